/**
 * `pr` on a CloudFormation template: finds which of the template's policies is one of the role's
 * (template-policies.ts finds and reads them; match-policy.ts proves it) and rewrites that policy
 * document's span with its share, as YAML 1.1 reads it (`Version: '2012-10-17'` quoted) or as JSON
 * in a JSON template. Everything outside the span stays byte for byte. An intrinsic function is
 * written back as it was wherever the new document keeps exactly the value it stood for; the
 * result is parsed again and must hold the new document, or nothing is written.
 */
import { isMap, stringify } from 'yaml';
import { InputError, UsageError } from '../errors.js';
import { asList } from '../iam/expand.js';
import type { ConditionBlock, PolicyDocument, PolicyShare, Statement } from '../model.js';
import { hasExpression, matchesRead } from './hcl-value.js';
import { matchPolicy } from './match-policy.js';
import { contentEnd, sourceStart, type TemplatePolicy } from './cloudformation-read.js';
import { parseTemplate } from './template-policies.js';
import type { PolicyRead } from './read-policy.js';
import type { FileRewrite } from './rewrite.js';
import { inlineEntry, TEMPLATE_YAML } from '../render/sam-yaml.js';
import { expressionTokens, type ExpressionTokens } from './expression-tokens.js';

export type TemplateMatch =
  | { kind: 'matched'; policy: TemplatePolicy; read: PolicyRead; share: PolicyShare; expressions: Map<string, string> }
  | { kind: 'none'; closest: PolicyShare | undefined; similarity: number; refused: TemplatePolicy[]; considered: number }
  | { kind: 'ambiguous'; policies: TemplatePolicy[] };

/** `--resource AppRole` or `AppRole.app-s3` (an inline policy's name). */
function selectPolicies(file: string, policies: readonly TemplatePolicy[], resource: string | undefined): TemplatePolicy[] {
  if (resource === undefined) return [...policies];
  const dot = resource.indexOf('.');
  const logicalId = dot < 0 ? resource : resource.slice(0, dot);
  const name = dot < 0 ? undefined : resource.slice(dot + 1);
  const selected = policies.filter((p) => p.logicalId === logicalId && (name === undefined || p.policyName === name));
  if (selected.length === 0) {
    throw new UsageError(`--resource ${resource}: no IAM policy of that name in ${file}`, {
      hint: `policies found: ${[...new Set(policies.map((p) => (p.policyName === undefined ? p.logicalId : `${p.logicalId}.${p.policyName}`)))].join(', ') || 'none'}`,
    });
  }
  return selected;
}

/** Condition values written with intrinsics: literal (IAM) value -> source, for statements that match. */
function conditionExpressions(read: PolicyRead, share: PolicyShare): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of read.document.Statement) {
    for (const literal of share.current.Statement) {
      pairConditions(file.Condition, literal.Condition, read.expressions, out);
    }
  }
  return out;
}

function pairConditions(
  file: ConditionBlock | undefined,
  literal: ConditionBlock | undefined,
  sources: ReadonlyMap<string, string>,
  out: Map<string, string>,
): void {
  if (file === undefined || literal === undefined) return;
  for (const [operator, entries] of Object.entries(file)) {
    const theirs = Object.entries(literal).find(([op]) => op.toLowerCase() === operator.toLowerCase())?.[1];
    if (theirs === undefined) continue;
    for (const [key, value] of Object.entries(entries)) {
      const other = Object.entries(theirs).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      if (other === undefined) continue;
      const mine = asList(value as string | string[]).map(String);
      const candidates = asList(other as string | string[])
        .map(String)
        .filter((v) => !mine.includes(v));
      for (const entry of mine.filter(hasExpression)) {
        const fits = candidates.filter((c) => matchesRead(entry, c));
        const source = sources.get(entry);
        if (fits.length === 1 && fits[0] !== undefined && source !== undefined) out.set(fits[0], source);
      }
    }
  }
}

/** Which of the template's policies (all, or those `--resource` names) is one of `shares`. */
export function matchTemplatePolicy(file: string, text: string, resource: string | undefined, shares: readonly PolicyShare[]): TemplateMatch {
  const parsed = parseTemplate(file, text);
  const selected = selectPolicies(file, parsed.policies, resource);
  const matches: Array<Extract<TemplateMatch, { kind: 'matched' }>> = [];
  let closest: PolicyShare | undefined;
  let similarity = -1;
  for (const policy of selected) {
    if (policy.result.kind !== 'read') continue;
    const { read } = policy.result;
    // The share of the same name first: a literal PolicyName, or the name SAM gives an item.
    const ordered = [...shares].sort((a, b) => Number(b.name === policy.policyName) - Number(a.name === policy.policyName));
    const match = matchPolicy(read, ordered);
    if (match.matched) {
      const expressions = new Map([...conditionExpressions(read, match.share), ...match.expressions]);
      matches.push({ kind: 'matched', policy, read, share: match.share, expressions });
    } else if (match.similarity > similarity) {
      similarity = match.similarity;
      closest = match.closest;
    }
  }
  // Documents with intrinsics can match one policy alike (two DynamoDBCrudPolicy items on `!Ref`
  // tables): the policy's name in IAM then tells which is that policy.
  const chosen = matches.filter((m) => {
    const same = matches.filter((o) => o.share === m.share);
    const named = same.filter((o) => o.policy.policyName === o.share.name);
    return same.length === 1 || named.length !== 1 || named[0] === m;
  });
  if (chosen.length > 1) return { kind: 'ambiguous', policies: chosen.map((m) => m.policy) };
  if (chosen[0] !== undefined) return chosen[0];
  return {
    kind: 'none',
    closest,
    similarity: Math.max(similarity, 0),
    refused: selected.filter((p) => p.result.kind === 'refused'),
    considered: selected.length,
  };
}

/** Replaces every value an expression stood for with a token, so the printed text can take the source back. */
function tokenize(doc: PolicyDocument, expressions: ReadonlyMap<string, string>): { doc: PolicyDocument; tokens: ExpressionTokens } {
  const tokens = expressionTokens(expressions);
  const token = (value: unknown): unknown => (typeof value === 'string' ? tokens.token(value) : value);
  const swap = (v: unknown): unknown => (Array.isArray(v) ? v.map(token) : token(v));
  const condition = (c: ConditionBlock): ConditionBlock =>
    Object.fromEntries(
      Object.entries(c).map(([op, entries]) => [op, Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, swap(v)]))]),
    ) as ConditionBlock;
  const statements = doc.Statement.map((s) => {
    const out: Statement = { ...s };
    for (const key of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      if (s[key] !== undefined) out[key] = swap(s[key]) as string | string[];
    }
    if (s.Condition !== undefined) out.Condition = condition(s.Condition);
    return out;
  });
  return { doc: { ...doc, Statement: statements }, tokens };
}

/** One-line flow YAML (also JSON) with a space after `:` and `,`, which every YAML 1.1 reader takes. */
function flowJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flowJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${flowJson(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The new text of the span: block YAML, one-line flow YAML, or JSON indented like the file. */
function spanText(text: string, json: boolean, policy: TemplatePolicy, doc: Record<string, unknown>, tokens: ExpressionTokens): string {
  const start = policy.node.range?.[0] ?? 0;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const linePrefix = text.slice(lineStart(text, start), start);
  let body: string;
  let continuation: string;
  let quoted = true;
  if (json) {
    const unit = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
    body = JSON.stringify(doc, null, unit);
    continuation = /^[ \t]*/.exec(linePrefix)?.[0] ?? '';
  } else if (isMap(policy.node) && policy.node.flow !== true) {
    body = stringify(doc, TEMPLATE_YAML).trimEnd();
    continuation = ' '.repeat(linePrefix.length);
    quoted = false;
  } else {
    body = flowJson(doc);
    continuation = '';
  }
  body = tokens.restore(body, quoted ? '"' : '');
  return body.split('\n').join(`${eol}${continuation}`);
}

/** Writes `doc` over the template policy `id`; `expressions` maps IAM's literal values back to intrinsics. */
export function rewriteTemplatePolicy(file: string, text: string, id: string, doc: PolicyDocument, expressions: ReadonlyMap<string, string>): FileRewrite {
  const parsed = parseTemplate(file, text);
  const policy = parsed.policies.find((p) => p.id === id);
  if (policy === undefined || policy.result.kind !== 'read') throw new Error(`internal: template policy ${id} is not readable`);
  const range = policy.node.range;
  if (range === undefined || range === null) throw new Error(`internal: template policy ${id} has no source range`);
  const start = sourceStart(text, policy.node);
  // The span ends with its last value: comments after it (its range takes them in) stay.
  const span = text.slice(start, contentEnd(policy.node));
  const end = start + span.trimEnd().length;
  const { doc: tokenized, tokens } = tokenize(doc, expressions);
  const content = text.slice(0, start) + spanText(text, parsed.json, policy, inlineEntry(tokenized), tokens) + text.slice(end);
  checkRewrite(file, content, parsed.json, id, doc);
  return { content, target: `${id} (${policy.label})` };
}

/** The new text must parse (YAML 1.1, or JSON) and hold `doc` at `id`; a failure is a bug, said loudly. */
function checkRewrite(file: string, content: string, json: boolean, id: string, doc: PolicyDocument): void {
  if (json) JSON.parse(content);
  const again = parseTemplate(file, content, '1.1').policies.find((p) => p.id === id);
  if (again?.result.kind !== 'read')
    throw new Error(`internal: ${file} ${id} does not read back after the rewrite (${again?.result.kind === 'refused' ? again.result.reason : 'gone'})`);
  const share: PolicyShare = {
    kind: 'inline',
    name: id,
    awsManaged: false,
    change: 'edit',
    current: doc,
    proposed: doc,
    grantedActions: 0,
    keptActions: 0,
    removedActions: [],
  };
  if (!matchPolicy(again.result.read, [share]).matched || again.result.read.document.Version !== doc.Version) {
    throw new Error(`internal: ${file} ${id} reads back as another policy after the rewrite`);
  }
}

/** The one-line refusal for a template none of whose policies is the role's. */
export function noMatchMessage(file: string, roleName: string, policies: string, match: Extract<TemplateMatch, { kind: 'none' | 'ambiguous' }>): InputError {
  if (match.kind === 'ambiguous') {
    return new InputError(
      `--file ${file}: ${match.policies.length} of its policies are ${roleName}'s (${match.policies.map((p) => p.label).join(', ')}); pr writes one policy at a time`,
      {
        hint: 'pass --resource LOGICAL_ID (or LOGICAL_ID.POLICY_NAME) to choose one',
      },
    );
  }
  const closest = match.closest === undefined ? '' : `; closest: ${match.closest.name}, ${Math.round(match.similarity * 100)}% of action entries shared`;
  const refused =
    match.refused.length === 0
      ? ''
      : `; not read: ${match.refused.map((p) => `${p.label} (${p.result.kind === 'refused' ? p.result.reason : ''})`).join('; ')}`;
  return new InputError(
    `--file ${file}: none of its ${match.considered} IAM policies is one of ${roleName}'s policies${closest}${refused}; ${roleName} has ${policies}`,
    {
      hint:
        match.refused.length > 0
          ? 'edit a policy iamtrim cannot read by hand, from iamtrim minimize --format json (policies[])'
          : "point --file (and --resource) at the template that defines the role's policy, as deployed today",
    },
  );
}
