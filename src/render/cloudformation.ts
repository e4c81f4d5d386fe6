/**
 * `--format cloudformation`: the proposed policies as `AWS::IAM::ManagedPolicy` resources in a YAML
 * `Resources:` snippet, ready to paste into a template. Plain strings are not `Fn::Sub` templates,
 * so IAM policy variables (`${aws:username}`) pass through unchanged.
 */
import { stringify } from 'yaml';
import type { PolicyPlan } from './terraform.js';

/** A logical ID must be alphanumeric: `app-api` -> `AppApi`. */
export function logicalId(name: string, suffix: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const id = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return `${/^[A-Za-z]/.test(id) ? id : `Role${id}`}${suffix}`;
}

export function renderCloudFormation(plan: PolicyPlan): string {
  const resources: Record<string, unknown> = {};
  plan.proposed.forEach((doc, i) => {
    const suffix = plan.proposed.length === 1 ? 'LeastPrivilegePolicy' : `LeastPrivilegePolicy${i + 1}`;
    resources[logicalId(plan.roleName, suffix)] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        Description: `Least privilege for ${plan.roleName} from CloudTrail usage ${plan.window.start} to ${plan.window.end} (iamtrim)`,
        Roles: [plan.roleName],
        PolicyDocument: doc,
      },
    };
  });
  const header = `# iamtrim: least-privilege policy for ${plan.role}\n`;
  // YAML 1.1 rules, as CloudFormation (and PyYAML) read templates: '2012-10-17' stays a string, not a date,
  // and so do 'yes', 'on', '0777' and the like.
  return header + stringify({ Resources: resources }, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}
