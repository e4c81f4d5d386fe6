/**
 * Resource generalisation along an ARN's own structure: S3 object keys to their longest common
 * prefix, log streams to their group, DynamoDB indexes and streams to their table, other
 * resources to the common prefix of their last path segment. Partition, account and region stay
 * as observed. Every pattern is offered to `allowed` first (the caller checks it against the current
 * policies) and rejected patterns leave the exact ARNs in place.
 */
import { compareText } from '../util/compare-text.js';
import { hasWildcard, patternCovers } from '../iam/wildcard-patterns.js';

interface Family {
  /** Everything up to the part being generalised. */
  prefix: string;
  /** `lcp`: prefix + longest common prefix of the tails + `*`; `star`: prefix + `*`. */
  mode: 'lcp' | 'star';
}

const DYNAMODB_SUB = /^(table\/[^/]+\/(?:index|stream|backup|export|import)\/)/;
const LOG_STREAM = /^(log-group:[^:]+:log-stream:)/;

/** The family an ARN (or pattern) generalises within, or undefined when it is not an ARN. */
export function arnFamily(arn: string): Family | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const head = `${parts.slice(0, 5).join(':')}:`;
  const service = parts[2] ?? '';
  const resource = parts.slice(5).join(':');
  if (service === 's3' && parts[3] === '' && parts[4] === '') {
    const slash = resource.indexOf('/');
    if (slash > 0 && !hasWildcard(resource.slice(0, slash))) return { prefix: head + resource.slice(0, slash + 1), mode: 'lcp' };
  }
  const fixed = (service === 'dynamodb' ? DYNAMODB_SUB : service === 'logs' ? LOG_STREAM : undefined)?.exec(resource);
  if (fixed?.[1] !== undefined) return { prefix: head + fixed[1], mode: 'star' };
  const body = resource.endsWith('*') ? resource.slice(0, -1) : resource;
  const cut = Math.max(body.lastIndexOf('/'), body.lastIndexOf(':'));
  const stem = resource.slice(0, cut + 1);
  if (hasWildcard(stem)) return undefined;
  return { prefix: head + stem, mode: 'lcp' };
}

/** Longest common prefix, stopping before any wildcard so the result is literal. */
export function literalCommonPrefix(values: readonly string[]): string {
  const first = values[0] ?? '';
  let end = 0;
  while (
    end < first.length &&
    first[end] !== '*' &&
    first[end] !== '?' &&
    values.every((v) => v[end] === first[end])
  )
    end += 1;
  return first.slice(0, end);
}

export function familyPattern(family: Family, members: readonly string[]): string {
  if (family.mode === 'star') return `${family.prefix}*`;
  return `${family.prefix}${literalCommonPrefix(members.map((m) => m.slice(family.prefix.length)))}*`;
}

export interface GeneralisedResources {
  resources: string[];
  /** Patterns introduced, with the ARNs each replaced. */
  introduced: { pattern: string; replaced: string[] }[];
  /** Patterns refused because the current policies do not grant them. */
  rejected: string[];
}

/**
 * `resources` without those another one covers (`bucket/public/img/*` under `bucket/public/*`,
 * an object ARN under either): the same grant, each part listed once. Of two patterns covering
 * each other the first in text order stays. Only a pattern with a wildcard covers another entry.
 */
export function withoutCovered(resources: readonly string[]): string[] {
  const unique = [...new Set(resources)].sort(compareText);
  const patterns = unique.filter(hasWildcard);
  return unique.filter((r) => !patterns.some((p) => p !== r && patternCovers(p, r) && (!patternCovers(r, p) || compareText(p, r) < 0)));
}

/**
 * Reduces `resources` to at most `limit` entries where the current grant allows it, largest
 * families first. Entries are never widened beyond what `allowed` accepts.
 */
export function generaliseResources(
  resources: readonly string[],
  limit: number,
  allowed: (pattern: string) => boolean,
): GeneralisedResources {
  let current = [...new Set(resources)].sort(compareText);
  const introduced: { pattern: string; replaced: string[] }[] = [];
  const rejected = new Set<string>();
  while (current.length > limit) {
    const families = new Map<string, { family: Family; members: string[] }>();
    for (const r of current) {
      const family = arnFamily(r);
      if (family === undefined) continue;
      const key = `${family.mode}|${family.prefix}`;
      const entry = families.get(key) ?? { family, members: [] };
      entry.members.push(r);
      families.set(key, entry);
    }
    const present = new Set(current);
    const candidates = [...families.values()]
      .flatMap((f) => familyCandidates(f.family, f.members))
      .filter((c) => !rejected.has(c.pattern) && !present.has(c.pattern))
      .sort((a, b) => b.size - a.size || compareText(a.pattern, b.pattern));
    const chosen = candidates.find((c) => {
      if (allowed(c.pattern)) return true;
      rejected.add(c.pattern);
      return false;
    });
    if (chosen === undefined) break;
    const replaced = current.filter((r) => patternCovers(chosen.pattern, r));
    const replacedSet = new Set(replaced);
    introduced.push({ pattern: chosen.pattern, replaced });
    current = [...current.filter((r) => !replacedSet.has(r)), chosen.pattern].sort(compareText);
  }
  return { resources: current, introduced, rejected: [...rejected].sort(compareText) };
}

/**
 * Patterns for a family: the whole family, and for `lcp` families each group of members sharing a
 * path prefix (`uploads/2024/`), so a refused wide pattern leaves narrower ones to try.
 */
function familyCandidates(family: Family, members: readonly string[]): { pattern: string; size: number }[] {
  if (members.length < 2) return [];
  const out = new Map<string, number>([[familyPattern(family, members), members.length]]);
  if (family.mode === 'lcp') {
    const groups = new Map<string, string[]>();
    for (const m of members) {
      const tail = m.slice(family.prefix.length);
      for (let i = tail.indexOf('/'); i >= 0; i = tail.indexOf('/', i + 1)) {
        const key = tail.slice(0, i + 1);
        if (hasWildcard(key)) break;
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [m]);
        else group.push(m);
      }
    }
    for (const [key, group] of groups)
      if (group.length >= 2) out.set(familyPattern({ prefix: family.prefix + key, mode: 'lcp' }, group), group.length);
  }
  return [...out].map(([pattern, size]) => ({ pattern, size }));
}

/** `arn:aws:sqs:eu-west-1:123456789012:jobs` -> `arn:aws:sqs:eu-west-1:123456789012:*`. */
export function serviceScopePattern(arn: string): string | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  if (parts.slice(0, 5).some(hasWildcard)) return undefined;
  return `${parts.slice(0, 5).join(':')}:*`;
}
