/**
 * Athena as a usage source: one parameterised, grouped query per scan (all requested roles at
 * once), so Athena does the scanning and only distinct usage comes back. Result rows become the
 * same CallRows and Evidence as a scan of the logs (test/ingest-cases-sql.test.ts runs its SQL
 * on the cases).
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import type { AwsClientConfig } from '../../aws/client-config.js';
import { compareText } from '../../util/compare-text.js';
import { UpstreamError } from '../../errors.js';
import type { CallRow, Evidence, UsageQuery, UsageScan } from '../../model.js';
import { PARAM_COLUMNS } from '../query.js';
import { mergeCallRows, sortedRows } from '../call-rows.js';
import { foldCallMap } from '../fold.js';
import type { UsageSource } from '../source.js';
import { buildAthenaUsageQuery, type AthenaTableRef, type AthenaUsageQuery } from './athena-query.js';
import { runAthenaQuery, type AthenaResult, type AthenaRunOptions, type AthenaStatistics } from './athena-client.js';

export interface AthenaSourceOptions extends AthenaTableRef, Omit<AthenaRunOptions, 'sleep' | 'now'> {
  aws: AwsClientConfig;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Called once the query succeeded, with what it scanned (for the cost line). */
  onDone?: (statistics: AthenaStatistics) => void;
}

type Cell = string | null;

function columnReader(columns: readonly string[]): (row: readonly Cell[], name: string) => Cell {
  const index = new Map(columns.map((c, i) => [c, i]));
  return (row, name) => {
    const i = index.get(name);
    if (i === undefined) throw new UpstreamError(`athena result has no column ${name}; is the query from another iamtrim version?`);
    return row[i] ?? null;
  };
}

function count(value: Cell, what: string): number {
  const n = Number(value);
  if (value === null || !Number.isSafeInteger(n) || n < 0) throw new UpstreamError(`athena result: ${what} is not a count (${String(value)})`);
  return n;
}

function arns(value: Cell): string[] {
  if (value === null) return [];
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || !parsed.every((a): a is string => typeof a === 'string')) {
    throw new UpstreamError(`athena result: resources is not a JSON array of ARNs (${value.slice(0, 80)})`);
  }
  return [...new Set(parsed)].sort(compareText);
}

/** Turns the grouped result rows into a UsageScan. */
function scanFromAthenaResult(result: AthenaResult, query: UsageQuery, description: string, totalsFrom: 'files' | 'coverage'): UsageScan {
  const get = columnReader(result.columns);
  const calls = new Map<string, CallRow>();
  const dataSources = new Set<string>();
  let records = 0;
  let validRecords = 0;
  let first: string | null = null;
  let last: string | null = null;
  for (const row of result.rows) {
    const set = get(row, 'grouping_set');
    if (set === totalsFrom) {
      records += count(get(row, 'records'), 'records');
      validRecords += count(get(row, 'valid_records'), 'valid_records');
      const f = get(row, 'first_seen');
      const l = get(row, 'last_seen');
      if (f !== null && (first === null || f < first)) first = f;
      if (l !== null && (last === null || l > last)) last = l;
    }
    if (set === 'coverage') {
      const source = get(row, 'event_source');
      if (get(row, 'in_window') === 'true' && get(row, 'event_category') === 'Data' && source !== null) dataSources.add(source);
    } else if (set === 'calls') {
      const params: Record<string, string> = {};
      for (const p of PARAM_COLUMNS) {
        const value = get(row, p.column);
        if (value !== null) params[p.name] = value;
      }
      const role = get(row, 'c_role');
      const source = get(row, 'c_source');
      const name = get(row, 'c_name');
      const firstSeen = get(row, 'first_seen');
      const lastSeen = get(row, 'last_seen');
      if (role === null || source === null || name === null || firstSeen === null || lastSeen === null) {
        throw new UpstreamError('athena result: a call group without role, event or time');
      }
      mergeCallRows(calls, [
        {
          roleArn: role,
          eventSource: source,
          eventName: name,
          awsRegion: get(row, 'c_region') ?? '',
          recipientAccountId: get(row, 'c_account') ?? '',
          eventCategory: get(row, 'c_category') ?? '',
          errorCode: get(row, 'c_error'),
          invokedBy: get(row, 'c_invoked_by'),
          params,
          resourceArns: arns(get(row, 'c_resources')),
          count: count(get(row, 'records'), 'records'),
          firstSeen,
          lastSeen,
        },
      ]);
    } else if (set !== 'files') {
      throw new UpstreamError(`athena result: unknown grouping set ${String(set)}`);
    }
  }
  // S3 object keys folded past FOLD_LIMIT per call, as every source does (see fold.ts).
  const rows = sortedRows(foldCallMap(calls));
  const evidence: Evidence = {
    source: description,
    // Athena reads S3 objects we never see; bytes are what it scanned (billed), files unknown.
    files: 0,
    bytes: result.statistics.bytesScanned,
    skippedFiles: [],
    records,
    invalidRecords: records - validRecords,
    events: rows.reduce((sum, r) => sum + r.count, 0),
    covered: { first, last },
    dataEventSources: [...dataSources].sort(compareText),
  };
  return { window: query.window, rows, evidence };
}

/**
 * A UsageSource that runs one Athena query per scan, reports what it scanned and always releases
 * the client. `totalsFrom` is the grouping set whose rows hold the record totals: `files` for the
 * raw table; the rollup keeps no per-file rows (Athena cannot name files without a row per
 * object), so there the coverage rows, which count every record, give them.
 */
export function athenaQuerySource(
  options: Omit<AthenaSourceOptions, 'table'>,
  description: string,
  totalsFrom: 'files' | 'coverage',
  build: (query: UsageQuery) => AthenaUsageQuery,
): UsageSource {
  return {
    description,
    async scan(query) {
      const { sql, parameters } = build(query);
      const client = new AthenaClient(options.aws);
      try {
        const result = await runAthenaQuery(client, sql, parameters, {
          ...options,
          sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
          now: options.now ?? (() => Date.now()),
        });
        options.onDone?.(result.statistics);
        return scanFromAthenaResult(result, query, description, totalsFrom);
      } finally {
        client.destroy();
      }
    },
  };
}

/** The Athena table as a UsageSource. */
export function athenaSource(options: AthenaSourceOptions): UsageSource {
  return athenaQuerySource(options, `athena ${options.database}.${options.table}`, 'files', (query) => buildAthenaUsageQuery(options, query));
}
