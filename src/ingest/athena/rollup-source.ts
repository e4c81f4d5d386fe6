/**
 * The Athena rollup as a UsageSource (`--athena-rollup TABLE`): one SELECT summing the daily
 * rollup (`iamtrim athena rollup`) over the whole UTC days of the window, with the roles bound as
 * ExecutionParameters. Like the local usage index, a per-day rollup answers whole UTC days and
 * nothing finer: any other window is refused with the aligned `--end` to use. Evidence bytes are
 * what Athena scanned of the rollup.
 */
import type { UsageSource } from '../source.js';
import { checkIdentifier, roleBindings, type AthenaUsageQuery } from './athena-query.js';
import { athenaQuerySource, type AthenaSourceOptions } from './athena-source.js';
import { wholeDays } from '../index/day-blocks.js';
import { ROLLUP_KEY_COLUMNS } from './rollup.js';
import { bindMarkers, marker, stringLiteral } from './trino-dialect.js';
import type { UsageQuery } from '../../model.js';

export interface AthenaRollupSourceOptions extends Omit<AthenaSourceOptions, 'table'> {
  rollup: string;
}

/** The rollup query for one scan, and its ExecutionParameters (one per `?`, in text order). */
export function buildRollupUsageQuery(options: { database: string; rollup: string }, query: UsageQuery): AthenaUsageQuery {
  const database = checkIdentifier('--athena-database', options.database);
  const rollup = checkIdentifier('--athena-rollup', options.rollup);
  const { startDay, endDay } = wholeDays(query.window, 'the Athena rollup', 'query the raw table with --athena');
  const { dialect: d, values } = roleBindings(query.roles);
  values.set('startDay', stringLiteral(startDay));
  values.set('endDay', stringLiteral(endDay));
  const sql = `SELECT ${ROLLUP_KEY_COLUMNS.join(', ')},
  SUM(records) AS records, SUM(valid_records) AS valid_records, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
FROM "${database}"."${rollup}"
WHERE day >= ${marker('startDay')} AND day < ${marker('endDay')}
  AND (grouping_set <> 'calls' OR ${d.param('allRoles')} OR ${d.inList('c_role', 'roleArns')} OR ${d.inList('c_role_name', 'roleNames')})
GROUP BY ${ROLLUP_KEY_COLUMNS.join(', ')}`;
  return { sql, parameters: bindMarkers(sql, values) };
}

/** The Athena rollup table as a UsageSource. */
export function athenaRollupSource(options: AthenaRollupSourceOptions): UsageSource {
  const description = `athena rollup ${options.database}.${options.rollup}`;
  return athenaQuerySource(options, description, 'coverage', (query) => buildRollupUsageQuery(options, query));
}
