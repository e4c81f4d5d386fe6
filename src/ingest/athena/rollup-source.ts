/**
 * The Athena rollup as a UsageSource (`--athena-rollup TABLE`): one SELECT summing the daily
 * rollup (`iamtrim athena rollup`) over the whole UTC days of the window, with the roles bound as
 * ExecutionParameters. Like the local usage index, a per-day rollup answers whole UTC days and
 * nothing finer: any other window is refused with the aligned `--end` to use. The rows go through
 * the same parsing as the plain Athena source (`scanFromAthenaResult`); evidence bytes are what
 * Athena scanned of the rollup.
 */
import { InternalError } from '../../errors.js';
import type { UsageQuery, UsageScan } from '../../model.js';
import type { UsageSource } from '../source.js';
import { checkIdentifier, packList, stringParameter } from './athena-query.js';
import type { AthenaResult } from './athena-client.js';
import { runSourceQuery, scanFromAthenaResult, type AthenaSourceOptions } from './athena-source.js';
import { wholeDays } from '../index/day-blocks.js';
import { ROLLUP_VALUE_COLUMNS } from './rollup.js';
import { marker, markerNames, trinoDialect } from './trino-dialect.js';

export interface AthenaRollupSourceOptions extends Omit<AthenaSourceOptions, 'table'> {
  rollup: string;
}

const KEYS = ROLLUP_VALUE_COLUMNS.filter((c) => !['records', 'valid_records', 'first_seen', 'last_seen'].includes(c));

/** The rollup query for one scan, and its ExecutionParameters (one per `?`, in text order). */
export function buildRollupUsageQuery(options: { database: string; rollup: string }, query: UsageQuery): { sql: string; parameters: string[] } {
  const database = checkIdentifier('--athena-database', options.database);
  const rollup = checkIdentifier('--athena-rollup', options.rollup);
  const { startDay, endDay } = wholeDays(query.window, 'the Athena rollup', 'query the raw table with --athena');
  const filter = query.roles;
  const arnSlots = packList(filter.kind === 'roles' ? filter.arns : []);
  const nameSlots = packList(filter.kind === 'roles' ? filter.names : []);
  const d = trinoDialect({ roleArns: arnSlots.length, roleNames: nameSlots.length });
  const values = new Map<string, string>([
    ['startDay', stringParameter(startDay)],
    ['endDay', stringParameter(endDay)],
    ['allRoles', filter.kind === 'all' ? 'true' : 'false'],
  ]);
  arnSlots.forEach((v, i) => values.set(`roleArns.${i}`, v));
  nameSlots.forEach((v, i) => values.set(`roleNames.${i}`, v));
  const sql = `SELECT ${KEYS.join(', ')},
  SUM(records) AS records, SUM(valid_records) AS valid_records, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
FROM "${database}"."${rollup}"
WHERE day >= ${marker('startDay')} AND day < ${marker('endDay')}
  AND (grouping_set <> 'calls' OR ${d.param('allRoles')} OR ${d.inList('c_role', 'roleArns')} OR ${d.inList('c_role_name', 'roleNames')})
GROUP BY ${KEYS.join(', ')}`;
  const parameters = markerNames(sql).map((name) => {
    const value = values.get(name);
    if (value === undefined) throw new InternalError(`athena rollup query: no value for parameter ${name}`);
    return value;
  });
  return { sql, parameters };
}

/**
 * The rollup keeps no per-file rows (Athena cannot name files without a row per object): the
 * record totals of the window are the sums of its coverage rows, which count every record.
 */
export function withFilesRow(result: AthenaResult): AthenaResult {
  const index = new Map(result.columns.map((c, i) => [c, i]));
  const at = (row: readonly (string | null)[], name: string): string | null => row[index.get(name) ?? -1] ?? null;
  let records = 0;
  let valid = 0;
  let first: string | null = null;
  let last: string | null = null;
  for (const row of result.rows) {
    if (at(row, 'grouping_set') !== 'coverage') continue;
    records += Number(at(row, 'records') ?? 0);
    valid += Number(at(row, 'valid_records') ?? 0);
    const f = at(row, 'first_seen');
    const l = at(row, 'last_seen');
    if (f !== null && (first === null || f < first)) first = f;
    if (l !== null && (last === null || l > last)) last = l;
  }
  const files: Record<string, string | null> = {
    grouping_set: 'files',
    records: String(records),
    valid_records: String(valid),
    first_seen: first,
    last_seen: last,
  };
  const filesRow = result.columns.map((c) => files[c] ?? null);
  return { ...result, rows: [...result.rows.filter((r) => at(r, 'grouping_set') !== 'files'), filesRow] };
}

/** The Athena rollup table as a UsageSource. */
export function athenaRollupSource(options: AthenaRollupSourceOptions): UsageSource {
  const description = `athena rollup ${options.database}.${options.rollup}`;
  return {
    description,
    async scan(query): Promise<UsageScan> {
      const { sql, parameters } = buildRollupUsageQuery(options, query);
      return scanFromAthenaResult(withFilesRow(await runSourceQuery(options, sql, parameters)), query, description);
    },
  };
}
