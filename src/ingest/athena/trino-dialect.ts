/**
 * The Athena (Trino) side of the usage query. The table is the CloudTrail table that
 * `iamtrim athena setup` creates: lower-case columns, `requestparameters` as JSON text,
 * `resources` as ARRAY<STRUCT<arn,...>>. Athena binds `ExecutionParameters` positionally and
 * only in WHERE clauses, so every `?` carries a comment naming the value it stands for, and
 * `bindMarkers` reads those names back in text order.
 */
import { InternalError } from '../../errors.js';
import { REQUEST_KEYS, pathSegments } from '../../mapping/request-keys.js';
import type { QueryParam, SqlDialect } from '../query.js';

const MARKER = /\?\s*\/\*p:([A-Za-z0-9_.]+)\*\//g;

/** `? /*p:name*\/`: a positional parameter that says which value it wants. */
export function marker(name: string): string {
  return `? /*p:${name}*/`;
}

/** The names of the markers in `sql`, in the order Athena binds them. */
export function markerNames(sql: string): string[] {
  return [...sql.matchAll(MARKER)].map((m) => m[1] ?? '');
}

function valueOf(values: ReadonlyMap<string, string>, name: string): string {
  const value = values.get(name);
  if (value === undefined) throw new InternalError(`athena query: no value for parameter ${name}`);
  return value;
}

/** The ExecutionParameters of `sql`: one value per marker, in the order Athena binds them. */
export function bindMarkers(sql: string, values: ReadonlyMap<string, string>): string[] {
  return markerNames(sql).map((name) => valueOf(values, name));
}

/** `sql` with every marker replaced by its value, for statements that cannot take parameters. */
export function inlineMarkers(sql: string, values: ReadonlyMap<string, string>): string {
  return sql.replace(MARKER, (_, name: string) => valueOf(values, name));
}

/** A string as a SQL string literal (also how Athena reads a string ExecutionParameter). */
export function stringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Trino JSONPath for a request-key path: `$.a."x-y"` -> `$["a"]["x-y"]` (no dots in names). */
function trinoJsonPath(path: string): string {
  return `$${pathSegments(path)
    .map((s) => `["${s}"]`)
    .join('')}`;
}

/** A Trino dialect whose list parameters span the given number of `?` slots (each up to 1,024 characters). */
export function trinoDialect(slots: { roleArns: number; roleNames: number }): SqlDialect {
  return {
    name: 'trino',
    paramsInWhereOnly: true,
    field: (path) => path.toLowerCase(),
    requestKeys(column, inScope) {
      // One JSON parse per in-scope row; try() so a malformed document yields NULL, as DuckDB's does.
      const prelude = [`CASE WHEN ${inScope} THEN try(json_parse(${column})) END AS rp`];
      const keys = REQUEST_KEYS.map((key) => {
        const options = key.paths.map((path) => {
          const p = stringLiteral(trinoJsonPath(path));
          if (key.kind === 'scalar') return `json_extract_scalar(rp, ${p})`;
          const value = `json_extract(rp, ${p})`;
          return `CASE WHEN json_array_length(${value}) IS NOT NULL OR try_cast(${value} AS map(varchar, json)) IS NOT NULL THEN json_format(${value}) END`;
        });
        return options.length === 1 ? (options[0] ?? 'NULL') : `COALESCE(${options.join(', ')})`;
      });
      return { prelude, keys };
    },
    resourceArnsJson: (column) =>
      `CASE WHEN cardinality(filter(${column}, x -> x.arn IS NOT NULL)) > 0 THEN json_format(CAST(array_sort(array_distinct(filter(transform(${column}, x -> x.arn), a -> a IS NOT NULL))) AS JSON)) END`,
    eventTime: () => `try(from_iso8601_timestamp(eventtime))`,
    formatTime: (expr) => `date_format(${expr} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%i:%sZ')`,
    param: (name) => marker(name),
    timestampParam: (name) => `from_iso8601_timestamp(${marker(name)})`,
    inList(expr, name: QueryParam) {
      const count = name === 'roleArns' ? slots.roleArns : name === 'roleNames' ? slots.roleNames : 1;
      const parts = Array.from({ length: Math.max(1, count) }, (_, i) => `contains(split(${marker(`${name}.${i}`)}, ' '), ${expr})`);
      return parts.length === 1 ? (parts[0] ?? 'false') : `(${parts.join(' OR ')})`;
    },
    // Athena could name each object ("$path"), but one row per S3 object would make the result
    // grow with the number of files; one NULL group keeps the record totals bounded.
    fileName: () => 'CAST(NULL AS varchar)',
  };
}
