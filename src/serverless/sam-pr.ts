/**
 * The SAM target of `iamtrim pr`: `--file template.yaml --resource <logical id>` rewrites that
 * function's `Policies:` with the proposal as SAM policy templates plus inline statements.
 */
import type { MinimizePlan } from '../model.js';
import { UsageError } from '../errors.js';
import type { FileRewrite } from '../pr/rewrite.js';
import { samPoliciesForPlan, type SamRenderOptions } from '../render/sam.js';
import { rewriteSamPolicies } from './sam-rewrite.js';
import { samPoliciesYaml } from './sam-yaml.js';

/** SAM / CloudFormation templates are YAML files; JSON templates go through the policy-file path. */
export function isSamTemplateFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

export function rewriteSamTemplateFile(
  file: string,
  text: string,
  plan: MinimizePlan,
  resource: string | undefined,
  options: SamRenderOptions = {},
): FileRewrite {
  if (resource === undefined) {
    throw new UsageError(`--file ${file} is a SAM template: pass --resource <logical id> of the AWS::Serverless::Function`, {
      hint: 'for example --resource OrdersApiFunction',
    });
  }
  const block = samPoliciesYaml(samPoliciesForPlan(plan, options));
  return { content: rewriteSamPolicies(text, resource, block), target: `Resources.${resource}.Properties.Policies` };
}
