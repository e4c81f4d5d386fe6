/**
 * Canonical policy documents: sorted, de-duplicated, single-element arrays collapsed, stable key
 * order and Sids derived from content, so the same evidence always gives byte-identical output.
 */
import { createHash } from 'node:crypto';
import { compareText } from '../util/compare-text.js';
import { asList } from '../iam/expand.js';
import type { ConditionBlock, ConditionValue, PolicyDocument, Statement } from '../model.js';

export const POLICY_VERSION = '2012-10-17';

/** IAM counts policy size without whitespace. */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).replace(/\s+/g, '').length;
}

export function canonicalPolicy(doc: PolicyDocument): PolicyDocument {
  const byKey = new Map<string, Statement>();
  for (const s of doc.Statement) {
    const statement = canonicalStatement(s);
    byKey.set(statementKey(statement), statement);
  }
  const statements = [...byKey].sort(([a], [b]) => compareText(a, b)).map(([key, s]) => withSid(s, key));
  return { Version: doc.Version ?? POLICY_VERSION, Statement: statements };
}

/** The statement with sorted, de-duplicated lists and keys in a fixed order; the Sid is dropped. */
export function canonicalStatement(s: Statement): Statement {
  const out: Statement = { Effect: s.Effect };
  if (s.Action !== undefined) out.Action = collapse(sortedUnique(asList(s.Action), true));
  if (s.NotAction !== undefined) out.NotAction = collapse(sortedUnique(asList(s.NotAction), true));
  if (s.Resource !== undefined) out.Resource = collapse(sortedUnique(asList(s.Resource), false));
  if (s.NotResource !== undefined) out.NotResource = collapse(sortedUnique(asList(s.NotResource), false));
  if (s.Condition !== undefined && Object.keys(s.Condition).length > 0) out.Condition = canonicalCondition(s.Condition);
  return out;
}

export function canonicalCondition(condition: ConditionBlock): ConditionBlock {
  const out: ConditionBlock = {};
  for (const op of Object.keys(condition).sort(compareText)) {
    const block = condition[op] ?? {};
    const sortedBlock: Record<string, ConditionValue> = {};
    for (const key of Object.keys(block).sort(compareText)) {
      const value = block[key];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        const values = [...(value as ReadonlyArray<string | number | boolean>)];
        const unique = [...new Map(values.map((v) => [`${typeof v}:${String(v)}`, v])).values()].sort((a, b) => compareText(String(a), String(b)));
        sortedBlock[key] = unique.length === 1 && unique[0] !== undefined ? unique[0] : unique;
      } else sortedBlock[key] = value;
    }
    out[op] = sortedBlock;
  }
  return out;
}

/** Actions de-duplicate case-insensitively (IAM action names are case-insensitive). */
function sortedUnique(values: readonly string[], caseInsensitive: boolean): string[] {
  const map = new Map<string, string>();
  for (const v of values) {
    const key = caseInsensitive ? v.toLowerCase() : v;
    const prior = map.get(key);
    if (prior === undefined || preferredSpelling(v, prior)) map.set(key, v);
  }
  return [...map.values()].sort(compareText);
}

/** Among case variants of one action, prefer a lowercase service prefix, then the first in order. */
function preferredSpelling(candidate: string, prior: string): boolean {
  const lowerService = (v: string): boolean => {
    const service = v.slice(0, Math.max(v.indexOf(':'), 0));
    return service === service.toLowerCase();
  };
  if (lowerService(candidate) !== lowerService(prior)) return lowerService(candidate);
  return compareText(candidate, prior) < 0;
}

function collapse(values: string[]): string | string[] {
  return values.length === 1 && values[0] !== undefined ? values[0] : values;
}

/** Deny statements first, then by content. */
function statementKey(s: Statement): string {
  return `${s.Effect === 'Deny' ? 0 : 1}${JSON.stringify(s)}`;
}

function withSid(s: Statement, key: string): Statement {
  const services = [
    ...new Set(
      [...asList(s.Action), ...asList(s.NotAction)].map((a) => {
        const service = a.includes(':') ? a.slice(0, a.indexOf(':')) : 'All';
        return service === '*' ? 'All' : service.replace(/[^A-Za-z0-9]/g, '');
      }),
    ),
  ]
    .slice(0, 3)
    .map((x) => x.charAt(0).toUpperCase() + x.slice(1))
    .join('');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return { Sid: `${s.Effect}${services}${hash}`, ...s };
}
