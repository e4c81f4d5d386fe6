/**
 * The request parameters the usage query extracts and groups on. The same table drives the DuckDB
 * SQL, the Athena SQL and the in-memory parser for API sources, so all engines see the same keys.
 */
import { MAX_NESTING_DEPTH, nestsWithin } from '../limits.js';
import table from './data/request-keys.json' with { type: 'json' };

export interface RequestKey {
  name: string;
  /** JSONPath expressions (`$.a.b`, `$."x-y"`) tried in order; the first non-null wins. */
  paths: string[];
  /** `scalar` extracts a string; `json` keeps the JSON text of an array or object. */
  kind: 'scalar' | 'json';
  reason: string;
}

export const REQUEST_KEYS: readonly RequestKey[] = table.keys.map((k) => ({
  name: k.name,
  paths: k.paths,
  kind: k.kind === 'json' ? 'json' : 'scalar',
  reason: k.reason,
}));

/** Splits `$.a."x-y".b` into `['a', 'x-y', 'b']`. */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  const re = /\.(?:"([^"]+)"|([A-Za-z0-9_]+))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) segments.push(m[1] ?? m[2] ?? '');
  return segments;
}

/**
 * Paths by their first segment, so extraction looks only at the members a request has (a few)
 * instead of probing every path of the table (~90) on every record.
 */
const BY_FIRST_SEGMENT = new Map<string, { key: number; path: number; rest: string[] }[]>();
REQUEST_KEYS.forEach((key, k) =>
  key.paths.forEach((path, p) => {
    const [first = '', ...rest] = pathSegments(path);
    const list = BY_FIRST_SEGMENT.get(first) ?? [];
    list.push({ key: k, path: p, rest });
    BY_FIRST_SEGMENT.set(first, list);
  }),
);

/** The top-level request-parameter members any key reads: a scanner needs to decode only these. */
export const REQUEST_KEY_MEMBERS: readonly string[] = [...BY_FIRST_SEGMENT.keys()];

/**
 * Per REQUEST_KEY_MEMBERS entry: whether every key reads it as a scalar, on no deeper path. An
 * object or array there then gives no key (extractRequestKeys skips it), so a scanner may treat
 * it like null.
 */
export const REQUEST_KEY_MEMBER_SCALAR: readonly boolean[] = [...BY_FIRST_SEGMENT.values()].map((list) =>
  list.every(({ key, rest }) => rest.length === 0 && REQUEST_KEYS[key]?.kind === 'scalar'),
);

/**
 * Per REQUEST_KEY_MEMBERS entry: whether the member is read only as the request key `name`, as a
 * scalar on a top-level path, while every member `name` reads is such a member (else none is).
 * A scanner may then tell requests that differ only in that key apart by the member's value
 * alone (the S3 object key: record-index.ts's VALUE_KEY).
 */
export function membersReadOnlyAs(name: string): boolean[] {
  const lists = [...BY_FIRST_SEGMENT.values()];
  const only = lists.map((list) =>
    list.every(({ key, rest }) => REQUEST_KEYS[key]?.name === name && REQUEST_KEYS[key]?.kind === 'scalar' && rest.length === 0),
  );
  const feeds = lists.map((list) => list.some(({ key }) => REQUEST_KEYS[key]?.name === name));
  return feeds.every((f, i) => !f || only[i]) ? only.map((o, i) => o && (feeds[i] ?? false)) : only.map(() => false);
}

/**
 * The in-memory equivalent of the SQL extraction, for sources that hand us whole records: per
 * key, the first of its paths (in table order) that holds a usable value wins; scalars as text,
 * `json` keys as compact JSON. Keys come out in table order.
 */
export function extractRequestKeys(requestParameters: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (requestParameters === null || typeof requestParameters !== 'object' || Array.isArray(requestParameters)) return out;
  let found: { key: number; path: number; value: string }[] | undefined;
  for (const member of Object.keys(requestParameters)) {
    const candidates = BY_FIRST_SEGMENT.get(member);
    if (candidates === undefined) continue;
    for (const { key, path, rest } of candidates) {
      let value: unknown = (requestParameters as Record<string, unknown>)[member];
      for (const segment of rest) {
        value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
      }
      if (value === undefined || value === null) continue;
      const kind = REQUEST_KEYS[key]?.kind;
      if (kind === 'scalar' && typeof value === 'object') continue;
      // Past the nesting limit JSON.stringify would overflow the stack (the scanners refuse such
      // files; records from other sources reach here parsed): the key is left out, so the
      // resource is built without it, i.e. broader, never narrower.
      if (kind !== 'scalar' && typeof value === 'object' && !nestsWithin(value, MAX_NESTING_DEPTH)) continue;
      (found ??= []).push({ key, path, value: kind === 'scalar' ? String(value) : JSON.stringify(value) });
    }
  }
  if (found === undefined) return out;
  found.sort((a, b) => a.key - b.key || a.path - b.path);
  for (const f of found) {
    const name = REQUEST_KEYS[f.key]?.name;
    if (name !== undefined && !Object.hasOwn(out, name)) out[name] = f.value;
  }
  return out;
}
