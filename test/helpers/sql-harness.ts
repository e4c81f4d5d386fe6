/**
 * The usage query's SQL (src/ingest/query.ts, the logic Athena runs) run locally on DuckDB over
 * log files, so tests can hold the SQL to the reference path without AWS: read_json gives the
 * records, DUCKDB_DIALECT the dialect, and the result's three grouping sets come back as call
 * rows, per-file counts and the data-event sources.
 */
import { BOOLEAN, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { mergeCallRows, sortedRows } from '../../src/ingest/call-rows.js';
import { foldCallMap } from '../../src/ingest/fold.js';
import type { FileShape } from '../../src/ingest/local/discover.js';
import { buildUsageQuery, PARAM_COLUMNS } from '../../src/ingest/query.js';
import type { CallRow, UsageQuery } from '../../src/model.js';
import { DUCKDB_DIALECT, RECORD_TYPE, sqlString } from './duckdb-dialect.js';

export interface SqlFileStats {
  records: number;
  validRecords: number;
  first: string | null;
  last: string | null;
}

export interface SqlResult {
  /** Folded and in canonical order, as every source returns them. */
  rows: CallRow[];
  files: Map<string, SqlFileStats>;
  dataSources: string[];
}

function relationFor(shape: FileShape, paths: readonly string[]): string {
  const list = `[${paths.map(sqlString).join(', ')}]`;
  const common = `maximum_object_size=${256 * 1024 * 1024}, filename=true`;
  if (shape === 'wrapped') {
    return `SELECT unnest("Records") AS rec, filename FROM read_json(${list}, columns={"Records": '${RECORD_TYPE}[]'}, format='auto', ${common})`;
  }
  return `SELECT rec, filename FROM read_json(${list}, columns={"rec": '${RECORD_TYPE}'}, format='${shape === 'array' ? 'array' : 'auto'}', records=false, ${common})`;
}

const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

let shared: Promise<DuckDBInstance> | undefined;

/** Runs the usage query over `files` (each with its shape) in an in-memory DuckDB (one per test file). */
export async function runUsageSql(files: ReadonlyArray<{ path: string; shape: FileShape }>, query: UsageQuery): Promise<SqlResult> {
  const byShape = new Map<FileShape, string[]>();
  for (const f of files) byShape.set(f.shape, [...(byShape.get(f.shape) ?? []), f.path]);
  const relations = [...byShape].map(([shape, paths]) => relationFor(shape, paths));
  const sql = buildUsageQuery(DUCKDB_DIALECT, { from: `(${relations.join(' UNION ALL ')}) AS r` });
  shared ??= DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await (await shared).connect();
  try {
    const prepared = await connection.prepare(sql);
    const roles = query.roles;
    prepared.bind(
      {
        roleArns: listValue(roles.kind === 'roles' ? [...roles.arns] : []),
        roleNames: listValue(roles.kind === 'roles' ? [...roles.names] : []),
        allRoles: roles.kind === 'all',
        start: query.window.start,
        end: query.window.end,
      },
      { roleArns: LIST(VARCHAR), roleNames: LIST(VARCHAR), allRoles: BOOLEAN, start: VARCHAR, end: VARCHAR },
    );
    const result = await prepared.run();
    const out = (await result.getRowObjectsJson()) as Array<Record<string, unknown>>;
    const calls = new Map<string, CallRow>();
    const stats = new Map<string, SqlFileStats>();
    const dataSources = new Set<string>();
    for (const r of out) {
      if (r['grouping_set'] === 'files') {
        stats.set(String(r['file_name']), {
          records: Number(r['records']),
          validRecords: Number(r['valid_records']),
          first: str(r['first_seen']),
          last: str(r['last_seen']),
        });
      } else if (r['grouping_set'] === 'coverage') {
        if (r['in_window'] === true && r['event_category'] === 'Data' && typeof r['event_source'] === 'string') dataSources.add(r['event_source']);
      } else {
        const params: Record<string, string> = {};
        for (const p of PARAM_COLUMNS) if (r[p.column] !== null && r[p.column] !== undefined) params[p.name] = String(r[p.column]);
        const resources = str(r['c_resources']);
        mergeCallRows(calls, [
          {
            roleArn: String(r['c_role']),
            eventSource: String(r['c_source']),
            eventName: String(r['c_name']),
            awsRegion: str(r['c_region']) ?? '',
            recipientAccountId: str(r['c_account']) ?? '',
            eventCategory: str(r['c_category']) ?? '',
            errorCode: str(r['c_error']),
            invokedBy: str(r['c_invoked_by']),
            params,
            resourceArns: resources === null ? [] : (JSON.parse(resources) as string[]),
            count: Number(r['records']),
            firstSeen: String(r['first_seen']),
            lastSeen: String(r['last_seen']),
          },
        ]);
      }
    }
    return { rows: sortedRows(foldCallMap(calls)), files: stats, dataSources: [...dataSources].sort() };
  } finally {
    connection.closeSync();
  }
}
