/**
 * The Athena query lifecycle: StartQueryExecution, poll GetQueryExecution with backoff until a
 * terminal state, then page GetQueryResults (1,000 rows a page, the header row only on the first
 * page). FAILED and CANCELLED end the run with Athena's own reason; a result that cannot be read
 * completely is an error, never a shorter answer.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
  type StartQueryExecutionCommandInput,
} from '@aws-sdk/client-athena';
import { callAws } from '../../aws/errors.js';
import { UpstreamError } from '../../errors.js';

export interface AthenaRunOptions {
  database: string;
  workgroup?: string;
  /** `s3://...`; omit for a workgroup with managed results or an enforced output location. */
  outputLocation?: string;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  onProgress?: (progress: AthenaProgress) => void;
}

export interface AthenaProgress {
  queryExecutionId: string;
  state: string;
  elapsedMs: number;
  bytesScanned: number;
}

export interface AthenaStatistics {
  queryExecutionId: string;
  bytesScanned: number;
  engineMs: number;
}

export interface AthenaResult {
  columns: string[];
  /** Cell values; null where Athena sent no VarCharValue (SQL NULL). */
  rows: (string | null)[][];
  statistics: AthenaStatistics;
}

/** Athena's price per TB scanned in most Regions; the estimate says it is one. */
const ATHENA_USD_PER_TB = 5;
const MIN_BILLED_BYTES = 10 * 1024 * 1024;
/** Waits between polls: first, growth factor, cap. */
const POLL = { initialMs: 500, factor: 1.5, maxMs: 5000 };

/** Estimated cost in USD: $5/TB, at least 10 MB per query (Athena's published model). */
export function estimateCostUsd(bytesScanned: number): number {
  return (Math.max(bytesScanned, MIN_BILLED_BYTES) / 1024 ** 4) * ATHENA_USD_PER_TB;
}

function statisticsOf(id: string, execution: QueryExecution | undefined): AthenaStatistics {
  const s = execution?.Statistics;
  return {
    queryExecutionId: id,
    bytesScanned: s?.DataScannedInBytes ?? 0,
    engineMs: s?.EngineExecutionTimeInMillis ?? 0,
  };
}

function reasonOf(execution: QueryExecution | undefined): string {
  const status = execution?.Status;
  return status?.AthenaError?.ErrorMessage ?? status?.StateChangeReason ?? 'no reason given';
}

/** Runs a statement to completion (enough for DDL, which has no result set); returns what it scanned. */
export async function executeAthenaStatement(
  client: AthenaClient,
  sql: string,
  options: AthenaRunOptions,
  parameters: readonly string[] = [],
): Promise<AthenaStatistics> {
  const input: StartQueryExecutionCommandInput = {
    QueryString: sql,
    QueryExecutionContext: { Database: options.database },
    ...(parameters.length > 0 ? { ExecutionParameters: [...parameters] } : {}),
    ...(options.workgroup !== undefined ? { WorkGroup: options.workgroup } : {}),
    ...(options.outputLocation !== undefined ? { ResultConfiguration: { OutputLocation: options.outputLocation } } : {}),
  };
  const started = await callAws('athena:StartQueryExecution', () => client.send(new StartQueryExecutionCommand(input)));
  const id = started.QueryExecutionId;
  if (id === undefined) throw new UpstreamError('athena:StartQueryExecution returned no QueryExecutionId');

  const startedAt = options.now();
  let wait = POLL.initialMs;
  for (;;) {
    const got = await callAws('athena:GetQueryExecution', () => client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
    const execution = got.QueryExecution;
    const state = execution?.Status?.State ?? 'UNKNOWN';
    const elapsedMs = options.now() - startedAt;
    options.onProgress?.({ queryExecutionId: id, state, elapsedMs, bytesScanned: execution?.Statistics?.DataScannedInBytes ?? 0 });
    if (state === 'SUCCEEDED') return statisticsOf(id, execution);
    if (state === 'FAILED') {
      throw new UpstreamError(`athena query ${id} FAILED: ${reasonOf(execution)}`, {
        hint: 'no policy is proposed from a failed query; check the table (iamtrim athena setup --print-only) and the workgroup',
      });
    }
    if (state === 'CANCELLED') {
      throw new UpstreamError(`athena query ${id} was CANCELLED: ${reasonOf(execution)}`, {
        hint: 'a cancelled query is not "no usage"; the workgroup may cap bytes scanned per query (BytesScannedCutoffPerQuery): shorten --days or raise the cap',
      });
    }
    if (state !== 'QUEUED' && state !== 'RUNNING') {
      throw new UpstreamError(`athena query ${id}: unexpected state ${state}`);
    }
    await options.sleep(wait);
    wait = Math.min(POLL.maxMs, Math.round(wait * POLL.factor));
  }
}

/** Runs one SELECT to completion and reads every result page. */
export async function runAthenaQuery(client: AthenaClient, sql: string, parameters: readonly string[], options: AthenaRunOptions): Promise<AthenaResult> {
  const statistics = await executeAthenaStatement(client, sql, options, parameters);
  const id = statistics.queryExecutionId;
  let columns: string[] | undefined;
  const rows: (string | null)[][] = [];
  let token: string | undefined;
  do {
    const page = await callAws('athena:GetQueryResults', () =>
      client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token !== undefined ? { NextToken: token } : {}) })),
    );
    let pageRows = (page.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
    if (columns === undefined) {
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      if (columns.length === 0) throw new UpstreamError(`athena query ${id}: the result has no column metadata`);
      // A SELECT's first page starts with the column names; later pages do not.
      const [header, ...rest] = pageRows;
      if (header !== undefined && header.join('\u0000') !== columns.join('\u0000')) {
        throw new UpstreamError(`athena query ${id}: the first result row is not the header (${header.slice(0, 3).join(', ')}…)`);
      }
      pageRows = rest;
    }
    for (const cells of pageRows) {
      if (cells.length !== columns.length) {
        throw new UpstreamError(`athena query ${id}: a result row has ${cells.length} cells, expected ${columns.length}`);
      }
      rows.push(cells);
    }
    token = page.NextToken;
  } while (token !== undefined && token !== '');
  return { columns, rows, statistics };
}
