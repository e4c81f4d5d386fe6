/**
 * The DuckDB dialect of the usage query (src/ingest/query.ts), so tests run the Athena query's
 * logic locally (sql-harness.ts): records come from `read_json` as a struct column `rec` with a
 * fixed schema (`requestParameters` kept as JSON), plus DuckDB's `filename` column.
 */
import { REQUEST_KEYS } from '../../src/mapping/request-keys.js';
import type { SqlDialect } from '../../src/ingest/query.js';

/** The fixed record schema: only what the query reads. Unknown fields are ignored by read_json. */
export const RECORD_TYPE = `STRUCT(
  "eventTime" VARCHAR, "@timestamp" VARCHAR, "eventType" VARCHAR, "eventSource" VARCHAR,
  "eventName" VARCHAR, "awsRegion" VARCHAR, "recipientAccountId" VARCHAR, "eventCategory" VARCHAR,
  "errorCode" VARCHAR, "requestParameters" JSON, "resources" STRUCT("ARN" VARCHAR)[],
  "userIdentity" STRUCT("type" VARCHAR, "accountId" VARCHAR, "invokedBy" VARCHAR,
    "sessionContext" STRUCT("sessionIssuer" STRUCT("type" VARCHAR, "arn" VARCHAR, "userName" VARCHAR))))`.replace(/\s+/g, ' ');

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
    // One parse of the record's requestParameters for all paths (DuckDB's list form of
    // json_extract), then small per-key reads of the extracted fragments. This used to be three
    // list extractions (strings, types, JSON), i.e. three parses of every in-scope document.
    const paths = REQUEST_KEYS.flatMap((key) => key.paths);
    const prelude = [`CASE WHEN ${inScope} THEN json_extract(${column}, [${paths.map(sqlString).join(', ')}]) END AS kx`];
    let index = 0;
    const keys = REQUEST_KEYS.map((key) => {
      const options = key.paths.map(() => {
        index++;
        const fragment = `kx[${index}]`;
        const type = `json_type(${fragment})`;
        return key.kind === 'json'
          ? `CASE WHEN ${isContainerType(type)} THEN CAST(${fragment} AS VARCHAR) END`
          : `CASE WHEN ${isScalarType(type)} THEN json_extract_string(${fragment}, '$') END`;
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
