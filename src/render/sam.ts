/**
 * `--format sam`: the minimized policy as the `Policies:` block of an `AWS::Serverless::Function`,
 * with AWS SAM policy templates where one fits exactly within the proposal and inline statements
 * for the rest. Header comments say which role, which functions share it, and what was checked.
 */
import type { MinimizePlan } from '../model.js';
import { describeResolution, type FunctionResolution } from '../iam/lambda-functions.js';
import { buildSamPolicies, statementsWithin, type SamPolicies } from '../policy/sam-policies.js';
import { SAM_TEMPLATES_SOURCE, type SamContext } from '../policy/sam-templates.js';
import { samPoliciesYaml } from './sam-yaml.js';

export interface SamRenderOptions {
  /** Set with `--function`: gives the stack's region and names the functions sharing the role. */
  resolution?: FunctionResolution;
  /** The IAM catalogue's pattern expansion (see `SamBuildOptions.expandAction`). */
  expandAction?: (pattern: string) => string[];
}

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\//;

/** The stack the templates will be expanded in: the function's, else the role's account, region unknown. */
export function samContextFor(plan: MinimizePlan, resolution: FunctionResolution | undefined): SamContext {
  if (resolution !== undefined) {
    const f = resolution.function;
    return { partition: f.partition, accountId: f.accountId, region: f.region };
  }
  const m = ROLE_ARN.exec(plan.role);
  return { partition: m?.[1] ?? 'aws', accountId: m?.[2] ?? '' };
}

/** Builds the SAM policies of a plan (the pure part of the renderer, also used by `pr`). */
export function samPoliciesForPlan(plan: MinimizePlan, options: SamRenderOptions = {}): SamPolicies {
  return buildSamPolicies(plan.proposed, {
    context: samContextFor(plan, options.resolution),
    ...(options.expandAction !== undefined ? { expandAction: options.expandAction } : {}),
  });
}

export function renderMinimizeSam(plan: MinimizePlan, options: SamRenderOptions = {}): string {
  const policies = samPoliciesForPlan(plan, options);
  // Belt and braces: the split must stay within the proposal; a failure is a bug, said loudly.
  if (!statementsWithin(policies.expanded.Statement, plan.proposed, options.expandAction)) {
    throw new Error('internal: a SAM policy template expands beyond the proposed policy');
  }
  const lines = [`# iamtrim minimize: role ${plan.roleName} (${plan.role})`];
  if (options.resolution !== undefined) lines.push(`# ${describeResolution(options.resolution)}`);
  lines.push(
    `# window ${plan.window.start} to ${plan.window.end}, ${plan.evidence.events} events; used ${plan.used.length} permissions`,
    `# ${policies.templates.length} SAM policy template(s), each expanding within the proposed policy; ${policies.inline.reduce((n, d) => n + d.Statement.length, 0)} inline statement(s) for the rest`,
    `# templates as defined in ${SAM_TEMPLATES_SOURCE.repository}@${SAM_TEMPLATES_SOURCE.commit.slice(0, 7)}`,
  );
  if (policies.context.region === undefined) {
    lines.push('# the stack region is unknown (pass --function): region-scoped templates were not used');
  }
  return `${lines.join('\n')}\n${samPoliciesYaml(policies)}`;
}
