/**
 * The usage index as a UsageSource (`--index FILE`). It answers whole UTC days exactly and nothing
 * finer, so a window not aligned to 00:00:00Z is refused with the `--end` to use, never widened or
 * narrowed silently. Evidence comes from the index (the files read, the files it could not read,
 * the time they cover), so a window beyond the indexed logs shows as uncovered, never "no usage".
 */
import { existsSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { compareText } from '../../util/compare-text.js';
import type { CallRow, Evidence, UsageQuery, UsageScan } from '../../model.js';
import { foldCallMap } from '../fold.js';
import { callFromKey, sortedRows } from '../call-rows.js';
import type { UsageSource } from '../source.js';
import { coverWindow, wholeDays } from './day-blocks.js';
import { duckdb, openIndex, queryRows } from './index-store.js';
import { blockFrom } from './rollups.js';
import { deliveryCoverage, deliveryKeyOf, logAccounts } from '../local/coverage.js';

/** Scans the index for `query`; the rows equal those of a cold scan of the same files and window. */
export async function scanUsageIndex(indexPath: string, query: UsageQuery, options: { perDay?: boolean } = {}): Promise<UsageScan> {
  const { startDay, endDay } = wholeDays(query.window, 'the usage index', 'read the logs with --logs');
  if (!existsSync(indexPath)) {
    throw new InputError(`${indexPath}: no usage index there`, { hint: 'build it with `iamtrim index --logs DIR --index FILE`' });
  }
  const handle = await openIndex(indexPath, { create: false }).catch((cause: unknown) => {
    if (cause instanceof InputError) throw cause;
    throw new InputError(`${indexPath}: cannot open the usage index (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`, {
      hint: 'wait for a running `iamtrim index` to finish, or rebuild the index',
      cause,
    });
  });
  try {
    const { connection } = handle;
    if ((await queryRows(connection, `SELECT day FROM dirty_days LIMIT 1`)).length > 0) {
      throw new InputError(`${indexPath}: an \`iamtrim index\` run stopped before it finished the per-day rollup`, {
        hint: 'run `iamtrim index` again (it finishes the rollup first); answers are refused until then',
      });
    }
    // The window as aligned day blocks (calls_day for single days, calls_block for 2^k days),
    // each folded over its block; merged here, then folded again: by the fold's algebra this
    // equals folding the window's records at once, i.e. a cold scan. `perDay` reads every day
    // from calls_day instead (the same answer, slower: kept to test the blocks against). One scan
    // per block, each with equality filters DuckDB skips storage with (with an `IN` list of days
    // and an `OR` of blocks it read all of calls_day: 65-75 ms instead of 27-33 ms for the bench's
    // 90-day window at 10M events). Days come from wholeDays and coverWindow: digits and dashes only.
    const columns = 'c_role, c_role_name, call, records, first_seen, last_seen';
    const parts = coverWindow(startDay, endDay, options.perDay === true ? 0 : handle.blockLevels).map((b) => `SELECT ${columns} ${blockFrom(b.level, b.day)}`);
    let rows: Array<{ call: string; n: string | number; f: string; l: string }> = [];
    if (parts.length > 0) {
      const filter = query.roles;
      const { BOOLEAN, LIST, VARCHAR, listValue } = duckdb;
      const result = await connection.run(
        `SELECT call, SUM(records) AS n, MIN(first_seen) AS f, MAX(last_seen) AS l
         FROM (${parts.join(' UNION ALL ')})
         WHERE ($allRoles OR list_contains($roleArns, c_role) OR list_contains($roleNames, c_role_name))
         GROUP BY call`,
        {
          allRoles: filter.kind === 'all',
          roleArns: listValue(filter.kind === 'roles' ? [...filter.arns] : []),
          roleNames: listValue(filter.kind === 'roles' ? [...filter.names] : []),
        },
        { allRoles: BOOLEAN, roleArns: LIST(VARCHAR), roleNames: LIST(VARCHAR) },
      );
      rows = (await result.getRowObjectsJson()) as typeof rows;
    }
    const calls = new Map<string, CallRow>();
    for (const r of rows) calls.set(r.call, { ...callFromKey(r.call), count: Number(r.n), firstSeen: r.f, lastSeen: r.l });
    rows.length = 0;

    const sources = await queryRows<{ event_source: string }>(
      connection,
      `SELECT DISTINCT event_source FROM coverage WHERE event_category = 'Data' AND day >= '${startDay}' AND day < '${endDay}'`,
    );
    // Files holding events of the window (by their first/last eventTime), and the whole index's span.
    const inWindow = `first_seen < '${query.window.end}' AND last_seen >= '${query.window.start}'`;
    const [f] = await queryRows<{ files: number; bytes: string | number; records: string | number; invalid: string | number }>(
      connection,
      `SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(records), 0) AS records, COALESCE(SUM(records - valid_records), 0) AS invalid FROM files WHERE ${inWindow}`,
    );
    const [span] = await queryRows<Evidence['covered']>(connection, `SELECT MIN(first_seen) AS first, MAX(last_seen) AS last FROM files`);
    const skipped = await queryRows<{ file: string; reason: string }>(connection, `SELECT path AS file, reason FROM skipped ORDER BY path`);
    // Delivery coverage from the indexed files' names and paths, as a cold scan computes it.
    const indexed = await queryRows<{ path: string }>(connection, `SELECT path FROM files ORDER BY path`);
    const keys = indexed.map((r) => deliveryKeyOf(r.path));
    const sorted = sortedRows(foldCallMap(calls));
    const evidence: Evidence = {
      source: `usage index ${indexPath}`,
      files: Number(f?.files ?? 0),
      bytes: Number(f?.bytes ?? 0),
      skippedFiles: skipped,
      records: Number(f?.records ?? 0),
      invalidRecords: Number(f?.invalid ?? 0),
      events: sorted.reduce((sum, r) => sum + r.count, 0),
      covered: { first: span?.first ?? null, last: span?.last ?? null },
      dataEventSources: sources.map((s) => s.event_source).sort(compareText),
      coverage: deliveryCoverage(keys, query.window),
      accounts: logAccounts(keys, sorted),
    };
    return { window: query.window, rows: sorted, evidence };
  } finally {
    handle.close();
  }
}

/** The usage index as a UsageSource. */
export function usageIndexSource(indexPath: string): UsageSource {
  return { description: `usage index ${indexPath}`, scan: (query) => scanUsageIndex(indexPath, query) };
}
