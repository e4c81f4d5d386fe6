/**
 * The DuckDB side of the usage query: records come from `read_json` as a struct column `rec`
 * with a fixed schema (`requestParameters` kept as JSON), plus DuckDB's `filename` column.
 */
import { REQUEST_KEYS } from '../../mapping/request-keys.js';
import type { SqlDialect } from '../query.js';

/** The fixed record schema: only what the query reads. Unknown fields are ignored by read_json. */
export const RECORD_TYPE = `STRUCT(
  "eventTime" VARCHAR, "@timestamp" VARCHAR, "eventType" VARCHAR, "eventSource" VARCHAR,
  "eventName" VARCHAR, "awsRegion" VARCHAR, "recipientAccountId" VARCHAR, "eventCategory" VARCHAR,
  "errorCode" VARCHAR, "requestParameters" JSON, "resources" STRUCT("ARN" VARCHAR)[],
  "userIdentity" STRUCT("type" VARCHAR, "accountId" VARCHAR, "invokedBy" VARCHAR,
    "sessionContext" STRUCT("sessionIssuer" STRUCT("type" VARCHAR, "arn" VARCHAR, "userName" VARCHAR))))`.replace(
  /\s+/g,
  ' ',
);

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function quotePath(path: string): string {
  return path
    .split('.')
    .map((segment) => `"${segment.replace(/"/g, '""')}"`)
    .join('.');
}

// Plain comparisons, not `IN (...)`: DuckDB plans each IN list as a join, 80 joins per query.
const isScalarType = (type: string): string => `(${type} <> 'OBJECT' AND ${type} <> 'ARRAY' AND ${type} <> 'NULL')`;
const isContainerType = (type: string): string => `(${type} = 'OBJECT' OR ${type} = 'ARRAY')`;

export const DUCKDB_DIALECT: SqlDialect = {
  name: 'duckdb',
  field: (path) => `rec.${quotePath(path)}`,
  requestKeys(column, inScope) {
    // One parse per in-scope record for all paths: DuckDB's list form of json_extract.
    const scalarPaths: string[] = [];
    const jsonPaths: string[] = [];
    for (const key of REQUEST_KEYS) (key.kind === 'json' ? jsonPaths : scalarPaths).push(...key.paths);
    const list = (paths: string[]): string => `[${paths.map(sqlString).join(', ')}]`;
    const prelude = [
      `CASE WHEN ${inScope} THEN json_extract_string(${column}, ${list(scalarPaths)}) END AS kv`,
      `CASE WHEN ${inScope} THEN json_type(${column}, ${list(scalarPaths)}) END AS kt`,
      `CASE WHEN ${inScope} THEN json_extract(${column}, ${list(jsonPaths)}) END AS kj`,
    ];
    let scalarIndex = 0;
    let jsonIndex = 0;
    const keys = REQUEST_KEYS.map((key) => {
      const options = key.paths.map(() => {
        if (key.kind === 'json') {
          jsonIndex++;
          return `CASE WHEN ${isContainerType(`json_type(kj[${jsonIndex}])`)} THEN CAST(kj[${jsonIndex}] AS VARCHAR) END`;
        }
        scalarIndex++;
        return `CASE WHEN ${isScalarType(`kt[${scalarIndex}]`)} THEN kv[${scalarIndex}] END`;
      });
      return options.length === 1 ? (options[0] ?? 'NULL') : `COALESCE(${options.join(', ')})`;
    });
    return { prelude, keys };
  },
  resourceArnsJson: (column) =>
    `CASE WHEN len(list_filter(${column}, x -> x."ARN" IS NOT NULL)) > 0 THEN CAST(to_json(list_sort(list_distinct(list_filter(list_transform(${column}, x -> x."ARN"), x -> x IS NOT NULL)))) AS VARCHAR) END`,
  eventTime: () => `try_cast(COALESCE(rec."eventTime", rec."@timestamp") AS TIMESTAMP)`,
  formatTime: (expr) => `strftime(${expr}, '%Y-%m-%dT%H:%M:%SZ')`,
  param: (name) => `$${name}`,
  timestampParam: (name) => `CAST($${name} AS TIMESTAMP)`,
  inList: (expr, name) => `list_contains($${name}, ${expr})`,
  fileName: () => 'r.filename',
};
