/**
 * Resource generalisation along an ARN's own structure: S3 object keys (and other `/` paths) by
 * whole segments, log streams to their group, DynamoDB indexes and streams to their table, other
 * resources to the common prefix of their last name. A path is never cut inside a segment, and a
 * segment that varies with time or identity (a date, a `dt=` partition, a timestamp, a UUID, a
 * hash, a number) becomes `*` whole even when every observed key has the same value, so the keys a
 * nightly job writes tomorrow, next month and next year stay allowed. Partition, account and
 * region stay as observed. Every pattern is offered to `allowed` first (the caller checks it
 * against the current policies) and rejected patterns leave the exact ARNs in place.
 */
import { compareText } from '../util/compare-text.js';
import { hasWildcard, patternCovers } from '../iam/wildcard-patterns.js';

interface Family {
  /** Everything up to the part being generalised. */
  prefix: string;
  /**
   * `path`: prefix + the tails' common `/` segments (see `pathPattern`); `lcp`: prefix + longest
   * common prefix of the tails (cut before a trailing number) + `*`; `star`: prefix + `*`.
   */
  mode: 'path' | 'lcp' | 'star';
}

/**
 * Segments whose value changes with time or identity: ISO dates and months (`2026-11-03`,
 * `2026-11`), any run of 4+ digits (`2026`, `20261103`, epoch timestamps, numeric ids), an all-digit
 * segment (`03`, `7`), UUIDs and long hex hashes (12+ hex digits with a digit in them).
 */
const VARIABLE_PARTS = [/\d{4}-\d{2}/, /\d{4,}/, /^\d+$/, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, /(?=[0-9a-f]*\d)[0-9a-f]{12,}/i];

const PARTITION = /^([A-Za-z_][A-Za-z0-9_.-]*)=/;

/**
 * Whether a path segment's value varies with time or identity (the whole segment becomes `*`); for
 * a Hive partition (`month=11`) its value is what is tested.
 */
export function isVariableSegment(segment: string): boolean {
  const name = PARTITION.exec(segment)?.[1];
  const value = name === undefined ? segment : segment.slice(name.length + 1);
  return VARIABLE_PARTS.some((re) => re.test(value));
}

/**
 * The pattern for `/`-separated tails under `prefix`, segment by segment: a segment every tail has
 * alike and that does not vary with time or identity stays; a Hive partition (`dt=2026-11-03`,
 * `year=2026`) whose values differ or vary keeps its name (`dt=*`); any other segment becomes `*`
 * whole. Where the tails' depths differ, the last common segment becomes `*` (which spans the
 * rest). Trailing `*` segments collapse to one. Never cuts inside a segment.
 */
export function pathPattern(prefix: string, members: readonly string[]): string {
  const split = members.map((m) => m.slice(prefix.length).split('/'));
  const depth = Math.min(...split.map((s) => s.length));
  const uneven = split.some((s) => s.length !== depth);
  const out: string[] = [];
  for (let i = 0; i < depth; i += 1) {
    if (uneven && i === depth - 1) {
      out.push('*');
      break;
    }
    const values = split.map((s) => s[i] ?? '');
    const first = values[0] ?? '';
    if (hasWildcard(first) || values.some(hasWildcard)) {
      out.push('*');
      break;
    }
    if (values.every((v) => v === first) && !isVariableSegment(first)) {
      out.push(first);
      continue;
    }
    const name = PARTITION.exec(first)?.[1];
    if (name !== undefined && values.every((v) => v.startsWith(`${name}=`))) out.push(`${name}=*`);
    else out.push('*');
  }
  while (out.length > 1 && out[out.length - 1] === '*' && out[out.length - 2] === '*') out.pop();
  return `${prefix}${out.join('/')}`;
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
    if (slash > 0 && !hasWildcard(resource.slice(0, slash))) return { prefix: head + resource.slice(0, slash + 1), mode: 'path' };
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
  while (end < first.length && first[end] !== '*' && first[end] !== '?' && values.every((v) => v[end] === first[end])) end += 1;
  return first.slice(0, end);
}

/** A common name prefix never ends inside a number (`jobs-2026-1` -> `jobs-`): numbers vary. */
function withoutTrailingNumber(prefix: string): string {
  return prefix.replace(/\d[\d._:T-]*$/, '');
}

export function familyPattern(family: Family, members: readonly string[]): string {
  if (family.mode === 'star') return `${family.prefix}*`;
  if (family.mode === 'path') return pathPattern(family.prefix, members);
  return `${family.prefix}${withoutTrailingNumber(literalCommonPrefix(members.map((m) => m.slice(family.prefix.length))))}*`;
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
export function generaliseResources(resources: readonly string[], limit: number, allowed: (pattern: string) => boolean): GeneralisedResources {
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
 * Patterns for a family: the whole family, and for `path` families each group of members sharing a
 * path prefix (`uploads/images/`), so a refused wide pattern leaves narrower ones to try; a group's
 * pattern is built like the family's (its variable segments become `*` too).
 */
function familyCandidates(family: Family, members: readonly string[]): { pattern: string; size: number }[] {
  if (members.length < 2) return [];
  const out = new Map<string, number>([[familyPattern(family, members), members.length]]);
  if (family.mode === 'path') {
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
    for (const group of groups.values())
      if (group.length >= 2) {
        const pattern = familyPattern(family, group);
        out.set(pattern, Math.max(out.get(pattern) ?? 0, group.length));
      }
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
