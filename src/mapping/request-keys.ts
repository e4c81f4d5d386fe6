/**
 * The request parameters the usage query extracts and groups on. The same table drives the DuckDB
 * SQL, the Athena SQL and the in-memory parser for API sources, so all engines see the same keys.
 */
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

/** The in-memory equivalent of the SQL extraction, for sources that hand us whole records. */
export function extractRequestKeys(requestParameters: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (requestParameters === null || typeof requestParameters !== 'object') return out;
  for (const key of REQUEST_KEYS) {
    for (const path of key.paths) {
      let value: unknown = requestParameters;
      for (const segment of pathSegments(path)) {
        value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
      }
      if (value === undefined || value === null) continue;
      if (key.kind === 'scalar') {
        if (typeof value === 'object') continue;
        out[key.name] = String(value);
      } else {
        out[key.name] = JSON.stringify(value);
      }
      break;
    }
  }
  return out;
}
