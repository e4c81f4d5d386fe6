/**
 * `--format terraform`: the proposed policies as `data "aws_iam_policy_document"` blocks, in the
 * layout of the `iam-policy-json-to-terraform` converter, so a reviewer sees the shape they know.
 * IAM policy variables (`${aws:username}`) are written `&{aws:username}`: the AWS provider turns
 * them back into `${...}` and Terraform does not try to interpolate them. Condition values are
 * strings in the data source, so boolean/number values come back from the provider as strings
 * (`true` -> `"true"`), which IAM evaluates the same way.
 */
import type { MinimizePlan } from '../model.js';
import { asList } from '../iam/expand.js';
import type { ConditionValue, PolicyDocument, Statement } from '../model.js';
import { hclLabel, hclString, hclStringList, layoutBody, type HclItem } from './hcl.js';

/** A string inside an `aws_iam_policy_document`: policy variables become `&{...}`. */
export function policyDocumentString(text: string): string {
  return hclString(text.replace(/\$\{/g, '&{'));
}

function list(name: string, values: readonly string[], indent: string): HclItem {
  return { kind: 'attribute', name, value: hclStringList(values, indent, policyDocumentString) };
}

/** `"*"` or `{ AWS: [...], Service: ... }` -> one principals block per principal type. */
function principalBlocks(type: 'principals' | 'not_principals', principal: unknown, indent: string): HclItem[] {
  if (principal === undefined) return [];
  if (principal === '*') {
    return [{ kind: 'block', type, body: [typeAttr('*'), list('identifiers', ['*'], `${indent}  `)] }];
  }
  if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) {
    throw new TypeError(`unsupported ${type} value ${JSON.stringify(principal)}`);
  }
  return Object.entries(principal as Record<string, unknown>).map(([key, ids]) => ({
    kind: 'block',
    type,
    body: [typeAttr(key), list('identifiers', asList(ids as string | string[]), `${indent}  `)],
  }));
}

function typeAttr(value: string): HclItem {
  return { kind: 'attribute', name: 'type', value: hclString(value) };
}

function conditionValues(value: ConditionValue): string[] {
  return (Array.isArray(value) ? [...(value as ReadonlyArray<string | number | boolean>)] : [value as string | number | boolean]).map(String);
}

/** One `statement { ... }` block, attributes in the converter's order. */
export function statementItem(s: Statement, indent: string): HclItem {
  const inner = `${indent}  `;
  const body: HclItem[] = [];
  if (s.Sid !== undefined) body.push({ kind: 'attribute', name: 'sid', value: policyDocumentString(s.Sid) });
  body.push({ kind: 'attribute', name: 'effect', value: hclString(s.Effect) });
  if (s.Action !== undefined) body.push(list('actions', asList(s.Action), inner));
  if (s.NotAction !== undefined) body.push(list('not_actions', asList(s.NotAction), inner));
  if (s.Resource !== undefined) body.push(list('resources', asList(s.Resource), inner));
  if (s.NotResource !== undefined) body.push(list('not_resources', asList(s.NotResource), inner));
  for (const [test, block] of Object.entries(s.Condition ?? {})) {
    for (const [variable, value] of Object.entries(block)) {
      body.push({
        kind: 'block',
        type: 'condition',
        body: [
          { kind: 'attribute', name: 'test', value: hclString(test) },
          { kind: 'attribute', name: 'variable', value: policyDocumentString(variable) },
          list('values', conditionValues(value), `${inner}  `),
        ],
      });
    }
  }
  body.push(...principalBlocks('principals', s.Principal, inner));
  body.push(...principalBlocks('not_principals', s.NotPrincipal, inner));
  return { kind: 'block', type: 'statement', body };
}

/** The body lines of an `aws_iam_policy_document` (without the braces), at `indent`. */
export function policyDocumentBody(doc: PolicyDocument, indent: string): string[] {
  const items: HclItem[] = [];
  if (doc.Version !== undefined) items.push({ kind: 'attribute', name: 'version', value: hclString(doc.Version) });
  if (doc.Id !== undefined) items.push({ kind: 'attribute', name: 'policy_id', value: policyDocumentString(doc.Id) });
  const attributes = layoutBody(items, indent);
  const statements = doc.Statement.map((s) => layoutBody([statementItem(s, indent)], indent).join('\n'));
  return [...attributes, ...(attributes.length > 0 && statements.length > 0 ? [''] : []), ...statements.flatMap((s, i) => (i === 0 ? [s] : ['', s]))];
}

/** A complete `data "aws_iam_policy_document" "<name>" { ... }` block. */
export function policyDocumentData(name: string, doc: PolicyDocument): string {
  return [`data "aws_iam_policy_document" ${hclString(hclLabel(name))} {`, ...policyDocumentBody(doc, '  '), '}'].join('\n');
}

/** Block names for the proposed policies: the role name, numbered when the proposal was split. */
export function terraformNames(plan: Pick<MinimizePlan, 'roleName' | 'proposed'>): string[] {
  const base = hclLabel(plan.roleName);
  return plan.proposed.map((_, i) => (plan.proposed.length === 1 ? base : `${base}_${i + 1}`));
}

/** Reads only what it prints, so any plan-shaped value (a fixture's expected output) renders. */
export type PolicyPlan = Pick<MinimizePlan, 'role' | 'roleName' | 'window' | 'proposed'>;

export function renderTerraform(plan: PolicyPlan): string {
  const names = terraformNames(plan);
  const header = `# iamtrim: least-privilege policy for ${plan.role}\n# from CloudTrail usage ${plan.window.start} to ${plan.window.end}\n`;
  return `${header}\n${plan.proposed.map((doc, i) => policyDocumentData(names[i] ?? '', doc)).join('\n\n')}\n`;
}
