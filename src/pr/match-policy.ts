/**
 * Proves that the policy a file holds is one of the role's policies: the two documents are the same
 * after canonicalisation (statement order, list order, Sids and action case ignored). A Terraform
 * expression in the file (`aws_s3_bucket.orders.arn`, `"${var.bucket}/*"`) matches any text in
 * its place, and the match records which literal ARN each expression stood for, so the rewrite can
 * put the expression back where the kept resource is the one it denotes.
 */
import { canonicalConditionKey } from '../iam/evaluate.js';
import { asList } from '../iam/expand.js';
import type { PolicyShare, Statement } from '../model.js';
import { hasExpression, matchesRead } from './hcl-value.js';
import type { PolicyRead } from './read-policy.js';

export type PolicyMatch =
  | { matched: true; share: PolicyShare; /** literal value in IAM -> expression source text in the file */ expressions: Map<string, string> }
  | { matched: false; closest: PolicyShare | undefined; similarity: number };

/**
 * Pairs each item of `left` with a distinct item of `right` for which `pair` gives pairs (a
 * backtracking search: an expression may match several literals, and the first choice may be the
 * one another entry needs). Undefined when there is no complete pairing.
 */
export function pairAll<A, B, P>(left: readonly A[], right: readonly B[], pair: (a: A, b: B) => P[] | undefined): P[] | undefined {
  if (left.length !== right.length) return undefined;
  const used = new Array<boolean>(right.length).fill(false);
  const out: P[][] = [];
  let steps = 0;
  const search = (i: number): boolean => {
    if (i === left.length) return true;
    const a = left[i] as A;
    for (let j = 0; j < right.length; j++) {
      if (used[j] === true || ++steps > 100_000) continue;
      const pairs = pair(a, right[j] as B);
      if (pairs === undefined) continue;
      used[j] = true;
      out[i] = pairs;
      if (search(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return search(0) ? out.flat() : undefined;
}

/** Pairs every entry of `read` with a distinct entry of `literal`; undefined when they differ. */
function pairLists(read: readonly string[], literal: readonly string[], caseInsensitive: boolean): Array<[string, string]> | undefined {
  const norm = (s: string): string => (caseInsensitive ? s.toLowerCase() : s);
  // Literal entries first: they have one possible partner.
  const ordered = [...read].sort((a, b) => Number(hasExpression(a)) - Number(hasExpression(b)));
  return pairAll(ordered, literal, (entry, l): Array<[string, string]> | undefined => (matchesRead(norm(entry), norm(l)) ? [[entry, l]] : undefined));
}

const LISTS: ReadonlyArray<[keyof Statement, boolean]> = [
  ['Action', true],
  ['NotAction', true],
  ['Resource', false],
  ['NotResource', false],
];

function unique(values: readonly string[], caseInsensitive: boolean): string[] {
  return [...new Map(values.map((v) => [caseInsensitive ? v.toLowerCase() : v, v])).values()];
}

/** The (read, literal) pairs of two equal statements; undefined when they differ. */
export function pairStatements(read: Statement, literal: Statement): Array<[string, string]> | undefined {
  if (read.Effect !== literal.Effect) return undefined;
  const pairs: Array<[string, string]> = [];
  for (const [key, caseInsensitive] of LISTS) {
    const a = read[key];
    const b = literal[key];
    if ((a === undefined) !== (b === undefined)) return undefined;
    const listed = pairLists(unique(asList(a as string | string[]), caseInsensitive), unique(asList(b as string | string[]), caseInsensitive), caseInsensitive);
    if (listed === undefined) return undefined;
    pairs.push(...listed);
  }
  if (!matchesRead(canonicalConditionKey(read.Condition), canonicalConditionKey(literal.Condition))) return undefined;
  return pairs;
}

function actionWords(statements: readonly Statement[]): Set<string> {
  return new Set(statements.flatMap((s) => [...asList(s.Action), ...asList(s.NotAction)].map((a) => `${s.Effect}:${a.toLowerCase()}`)));
}

/** How alike two documents are (0..1): shared action entries over all of them. */
function similarity(read: readonly Statement[], literal: readonly Statement[]): number {
  const a = actionWords(read);
  const b = actionWords(literal);
  const shared = [...a].filter((x) => b.has(x)).length;
  const all = new Set([...a, ...b]).size;
  return all === 0 ? 0 : shared / all;
}

export function dedupe(statements: readonly Statement[]): Statement[] {
  const seen = new Map<string, Statement>();
  for (const s of statements) {
    const { Sid: _sid, ...rest } = s;
    seen.set(JSON.stringify(rest), rest);
  }
  return [...seen.values()];
}

export function matchPolicy(read: PolicyRead, shares: readonly PolicyShare[]): PolicyMatch {
  const fileStatements = dedupe(read.document.Statement);
  for (const share of shares) {
    const pairs = pairAll(fileStatements, dedupe(share.current.Statement), pairStatements);
    if (pairs === undefined) continue;
    const expressions = new Map<string, string>();
    for (const [fileValue, literal] of pairs) {
      const source = read.expressions.get(fileValue);
      if (source !== undefined) expressions.set(literal, source);
    }
    return { matched: true, share, expressions };
  }
  let closest: PolicyShare | undefined;
  let best = -1;
  for (const share of shares) {
    const score = similarity(fileStatements, share.current.Statement);
    if (score > best) {
      best = score;
      closest = share;
    }
  }
  return { matched: false, closest, similarity: Math.max(best, 0) };
}
