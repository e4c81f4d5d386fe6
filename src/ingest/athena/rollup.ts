/**
 * The Athena daily rollup (`iamtrim athena rollup`): the per-day usage groups of the shared usage
 * query (`buildUsageQuery` in rollup mode, Trino dialect), kept as a Parquet table partitioned by
 * UTC day, so scheduled runs scan the small rollup instead of the raw CloudTrail table.
 *
 * Athena DDL and INSERT INTO do not take ExecutionParameters reliably, so these statements are
 * plain text. The only values spliced into them are ones iamtrim generates and checks itself:
 * days matching `^\d{4}-\d{2}-\d{2}$`, 12-digit account IDs, and identifiers that passed
 * `checkIdentifier`. No role, ARN or other user free text is ever part of the SQL.
 */
import { InternalError, UsageError } from '../../errors.js';
import { CALL_KEY_COLUMNS, buildUsageQuery, countedEventTypeSql } from '../query.js';
import { checkIdentifier, roleBindings, type AthenaTableRef } from './athena-query.js';
import { inlineMarkers } from './trino-dialect.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Athena writes at most 100 partitions per CTAS or INSERT INTO statement. */
const MAX_PARTITIONS_PER_STATEMENT = 100;
/** Events of day D are delivered in files dated up to D+1: only days up to today − 2 are complete. */
const DELIVERY_LAG_DAYS = 2;

export interface RollupRef extends AthenaTableRef {
  /** The rollup table, in the same database. */
  rollup: string;
  /** Accounts to restrict the scan to (required by an organization table's injected projection). */
  accounts?: readonly string[];
}

const COVERAGE_KEYS = ['event_source', 'event_category', 'in_window'];
const TOTALS = ['records', 'valid_records', 'first_seen', 'last_seen'];
/** The columns a rollup row is grouped by. */
export const ROLLUP_KEY_COLUMNS = ['grouping_set', ...CALL_KEY_COLUMNS, ...COVERAGE_KEYS];
/** The rollup table's columns, in table order (`day`, the partition, last). */
export const ROLLUP_COLUMNS = [...ROLLUP_KEY_COLUMNS, ...TOTALS, 'day'];
/** The columns of `buildUsageQuery(trino, { perFileDay: true })`, in order, duplicates renamed. */
const USAGE_ROLLUP_OUTPUT = ['grouping_set', ...CALL_KEY_COLUMNS, 'day', 'file_name', ...COVERAGE_KEYS, 'day_2', 'file_name_2', ...TOTALS];

function checkDay(day: string): string {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new InternalError(`rollup: ${day} is not a YYYY-MM-DD day`);
  }
  return day;
}

/** `day` shifted by `n` whole days (UTC). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${checkDay(day)}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The last complete UTC day at `now` (today − 2: delivery lags events by up to a day). */
export function lastCompleteDay(now: Date): string {
  return addDays(now.toISOString().slice(0, 10), -DELIVERY_LAG_DAYS);
}

function checkAccount(account: string): string {
  if (!/^\d{12}$/.test(account)) throw new UsageError(`--accounts ${account}: not a 12-digit AWS account ID`);
  return account;
}

export function parseAccounts(list: string | undefined): string[] {
  if (list === undefined) return [];
  const accounts = list
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  return [...new Set(accounts.map(checkAccount))].sort();
}

/**
 * The SELECT that rolls up the CloudTrail table over the days `[fromDay, toDay]` (inclusive, UTC),
 * all roles, one row per group and day, `day` last (Athena's partition column must be).
 */
function buildRollupSelect(ref: RollupRef, fromDay: string, toDay: string): string {
  const database = checkIdentifier('--athena-database', ref.database);
  const table = checkIdentifier('--athena-table', ref.table);
  const from = checkDay(fromDay);
  const to = checkDay(toDay);
  if (from > to) throw new InternalError(`rollup: empty day range ${from}..${to}`);
  const accounts = (ref.accounts ?? []).map(checkAccount);
  // The delivery-date partition, padded a day either side (as the plain Athena query does).
  const partition = (day: string): string => `'${day.replace(/-/g, '/')}'`;
  const where = [`day BETWEEN ${partition(addDays(from, -1))} AND ${partition(addDays(to, 1))}`];
  if (accounts.length > 0) where.push(`account IN (${accounts.map((a) => `'${a}'`).join(', ')})`);
  where.push(countedEventTypeSql('eventtype'));
  // Every marker gets a literal iamtrim made itself: all roles, the window as whole days.
  const { dialect, values } = roleBindings({ kind: 'all' });
  values.set('start', `'${from}T00:00:00Z'`);
  values.set('end', `'${addDays(to, 1)}T00:00:00Z'`);
  const sql = buildUsageQuery(dialect, { from: `"${database}"."${table}" AS r`, where, perFileDay: true });
  const text = inlineMarkers(sql, values);
  if (text.includes('?')) throw new InternalError('rollup: a parameter marker is left in the SQL');
  const typed = (c: string): string => (c.startsWith('c_') || c.startsWith('p_') ? `CAST(${c} AS varchar) AS ${c}` : c);
  return `SELECT ${ROLLUP_COLUMNS.map(typed).join(', ')}
FROM (
${text}
) AS u (${USAGE_ROLLUP_OUTPUT.join(', ')})
WHERE grouping_set <> 'files' AND day IS NOT NULL`;
}

function rollupTable(ref: RollupRef): string {
  return `"${checkIdentifier('--athena-database', ref.database)}"."${checkIdentifier('--rollup-table', ref.rollup)}"`;
}

/** CREATE TABLE … AS: a new rollup table holding the days `[fromDay, toDay]`. */
export function buildRollupCtas(ref: RollupRef, fromDay: string, toDay: string): string {
  return `CREATE TABLE ${rollupTable(ref)}
WITH (format = 'PARQUET', write_compression = 'SNAPPY', partitioned_by = ARRAY['day'])
AS ${buildRollupSelect(ref, fromDay, toDay)}`;
}

/** INSERT INTO: appends the days `[fromDay, toDay]` to the rollup table. */
export function buildRollupInsert(ref: RollupRef, fromDay: string, toDay: string): string {
  return `INSERT INTO ${rollupTable(ref)}
${buildRollupSelect(ref, fromDay, toDay)}`;
}

/** `[fromDay, toDay]` cut into runs of at most MAX_PARTITIONS_PER_STATEMENT days. */
export function dayChunks(fromDay: string, toDay: string): Array<{ from: string; to: string }> {
  const chunks: Array<{ from: string; to: string }> = [];
  for (let from = checkDay(fromDay); from <= checkDay(toDay); from = addDays(from, MAX_PARTITIONS_PER_STATEMENT)) {
    const last = addDays(from, MAX_PARTITIONS_PER_STATEMENT - 1);
    chunks.push({ from, to: last < toDay ? last : toDay });
  }
  return chunks;
}

export interface RollupPlan {
  statements: Array<{ kind: 'CTAS' | 'INSERT'; from: string; to: string; sql: string }>;
}

/**
 * What to run: with no table, CTAS for the last `days` complete days (then INSERTs past 100
 * partitions); with a table whose latest day is `maxDay`, INSERT INTO for the days after it up to
 * the last complete day (nothing when it is up to date).
 */
export function planRollup(ref: RollupRef, state: { exists: boolean; maxDay: string | null }, now: Date, days: number): RollupPlan {
  const last = lastCompleteDay(now);
  const from = state.exists && state.maxDay !== null ? addDays(checkDay(state.maxDay), 1) : addDays(last, -(days - 1));
  if (from > last) return { statements: [] };
  const statements = dayChunks(from, last).map((c, i) =>
    !state.exists && i === 0
      ? { kind: 'CTAS' as const, ...c, sql: buildRollupCtas(ref, c.from, c.to) }
      : { kind: 'INSERT' as const, ...c, sql: buildRollupInsert(ref, c.from, c.to) },
  );
  return { statements };
}
