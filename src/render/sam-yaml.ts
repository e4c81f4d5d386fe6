/**
 * SAM policies -> YAML text: the value of a function's `Policies:` (a sequence), canonical so the
 * same proposal always prints the same bytes and a PR diff shows only real changes.
 */
import { stringify } from 'yaml';
import type { PolicyDocument, Statement } from '../model.js';
import type { SamPolicies } from '../policy/sam-policies.js';

/**
 * Block YAML for CloudFormation and SAM templates, under YAML 1.1 rules as CloudFormation reads
 * them: '2012-10-17', 'yes', 'on' and '0777' stay quoted strings.
 */
export const TEMPLATE_YAML = { indent: 2, indentSeq: true, lineWidth: 0, singleQuote: true, version: '1.1' } as const;

/** Wire key order for statements: how people write them and how AWS docs show them. */
export function orderedStatement(s: Statement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'] as const) {
    if (s[key] !== undefined) out[key] = s[key];
  }
  return out;
}

/** A policy document with its statements in wire key order (`pr` writes these into templates too). */
export function inlineEntry(doc: PolicyDocument): Record<string, unknown> {
  return { ...(doc.Version !== undefined ? { Version: doc.Version } : {}), Statement: doc.Statement.map(orderedStatement) };
}

/** The `Policies:` sequence items as plain values (templates first, then inline documents). */
export function samPolicyItems(policies: SamPolicies): unknown[] {
  return [
    ...policies.templates.map((u) => ({ [u.template]: Object.keys(u.parameters).length === 0 ? {} : { ...u.parameters } })),
    ...policies.inline.map(inlineEntry),
  ];
}

/**
 * YAML for `Policies:` and its sequence at column 0: `Policies:\n  - KMSDecryptPolicy: ...`.
 * `indent` shifts every line (to paste under a function's `Properties:`).
 */
export function samPoliciesYaml(policies: SamPolicies, indent = 0): string {
  const text = stringify({ Policies: samPolicyItems(policies) }, TEMPLATE_YAML);
  if (indent === 0) return text;
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}
