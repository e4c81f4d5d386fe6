/**
 * The SAM target of `iamtrim pr`: `--file template.yaml --resource <logical id>` rewrites that
 * function's `Policies:` with the proposal as SAM policy templates plus inline statements.
 */
import type { MinimizePlan } from '../model.js';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import type { FileRewrite } from './rewrite.js';
import { samPoliciesForPlan, type SamRenderOptions } from '../render/sam.js';
import { rewriteSamPolicies } from './sam-rewrite.js';
import { samPoliciesYaml } from '../render/sam-yaml.js';

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
    const functions = samFunctionIds(text);
    throw new UsageError(`--file ${file} is a SAM template: pass --resource <logical id> of the AWS::Serverless::Function`, {
      hint: functions.length > 0 ? `its functions: ${functions.join(', ')}` : 'the template defines no AWS::Serverless::Function',
    });
  }
  const block = samPoliciesYaml(samPoliciesForPlan(plan, options));
  return { content: rewriteSamPolicies(text, resource, block), target: `Resources.${resource}.Properties.Policies` };
}

/** The logical ids of the template's AWS::Serverless::Function resources, in file order. */
export function samFunctionIds(text: string): string[] {
  let value: unknown;
  try {
    value = parse(text, { uniqueKeys: false, logLevel: 'silent' }) as unknown;
  } catch {
    return [];
  }
  const resources = (value as { Resources?: Record<string, { Type?: unknown }> } | null)?.Resources;
  if (resources === undefined || resources === null || typeof resources !== 'object') return [];
  return Object.entries(resources)
    .filter(([, r]) => r !== null && typeof r === 'object' && r.Type === 'AWS::Serverless::Function')
    .map(([id]) => id);
}
