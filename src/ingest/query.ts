/**
 * The usage query in SQL (Athena and its rollup; tests run it on DuckDB). It groups API calls by role and by the request
 * parameters that identify resources, so the result grows with distinct usage, not with events.
 *
 * One scan serves three grouping sets:
 * - `calls`:    in-scope events (reference.ts's rule: counted eventType, a role's session, selected
 *               role, inside the window) -> CallRow groups;
 * - `files`:    per source file: records, valid records, first/last eventTime (one NULL file on Athena);
 * - `coverage`: per eventSource and eventCategory inside the window, any principal, so the
 *               policy stage knows which services have data events logged at all.
 * No user input is spliced into the SQL: role ARNs, names and the window are bound parameters.
 */
import { REQUEST_KEYS } from '../mapping/request-keys.js';
import { COUNTED_EVENT_TYPES } from './reference.js';

export interface SqlDialect {
  name: 'duckdb' | 'trino';
  /** A field of the record, by its CloudTrail path (`userIdentity.sessionContext.sessionIssuer.arn`). */
  field(path: string): string;
  /**
   * Expressions extracting every request key from the request-parameters column: `prelude` are
   * helper columns computed once per in-scope row (e.g. one JSON parse for all paths), `keys[i]`
   * the value of `REQUEST_KEYS[i]` (scalars as text, `json` keys as compact JSON text, else NULL).
   * `inScope` guards work so that out-of-scope rows cost nothing.
   */
  requestKeys(column: string, inScope: string): { prelude: string[]; keys: string[] };
  /** Sorted, distinct `resources[].ARN` as JSON array text, or NULL when none. */
  resourceArnsJson(column: string): string;
  /** The record's time as a timestamp (eventTime, else `@timestamp` where the engine has it). */
  eventTime(): string;
  /** A timestamp formatted `YYYY-MM-DDTHH:MM:SSZ`. */
  formatTime(expr: string): string;
  /** A bound parameter (named for DuckDB, positional `?` for Trino). */
  param(name: QueryParam): string;
  /** Casts a bound ISO-8601 string parameter to a timestamp. */
  timestampParam(name: QueryParam): string;
  /** Membership of a value in a bound list parameter. */
  inList(expr: string, name: QueryParam): string;
  /** The source file of a record, or NULL where the engine cannot tell. */
  fileName(): string;
  /**
   * Set for engines that accept bound parameters only in WHERE clauses (Athena). The window then
   * filters the scan itself, and the role filter applies to the grouped call rows in an outer
   * WHERE (every role's calls are grouped, then the selected ones kept: same rows, same bytes).
   */
  paramsInWhereOnly?: boolean;
}

/**
 * `column IN (...)` of the event types that count (reference.ts COUNTED_EVENT_TYPES, from
 * ignored-events.json): every SQL source filters with it. The types are our own table's
 * identifiers, checked here, not user input.
 */
export function countedEventTypeSql(column: string): string {
  if (COUNTED_EVENT_TYPES.length === 0 || COUNTED_EVENT_TYPES.some((t) => !/^[A-Za-z]+$/.test(t))) {
    throw new Error('ignored-events.json: the counted event types must be plain identifiers, at least one');
  }
  return `${column} IN (${COUNTED_EVENT_TYPES.map((t) => `'${t}'`).join(', ')})`;
}

export type QueryParam = 'roleArns' | 'roleNames' | 'allRoles' | 'start' | 'end';

/** Column aliases of the extracted request keys, in table order (`p_bucketName`, ...). */
export const PARAM_COLUMNS = REQUEST_KEYS.map((k) => ({ name: k.name, column: `p_${k.name}` }));

const ISSUER = 'userIdentity.sessionContext.sessionIssuer';

/** The call columns before the request keys, in the order the query returns them, and what each holds. */
const CALL_COLUMNS: ReadonlyArray<readonly [string, (d: SqlDialect) => string]> = [
  ['c_role', (d) => d.field(`${ISSUER}.arn`)],
  ['c_role_name', (d) => d.field(`${ISSUER}.userName`)],
  ['c_source', (d) => d.field('eventSource')],
  ['c_name', (d) => d.field('eventName')],
  ['c_region', (d) => d.field('awsRegion')],
  ['c_account', (d) => `COALESCE(${d.field('recipientAccountId')}, ${d.field('userIdentity.accountId')})`],
  ['c_category', (d) => d.field('eventCategory')],
  ['c_error', (d) => d.field('errorCode')],
  ['c_invoked_by', (d) => d.field('userIdentity.invokedBy')],
  ['c_resources', (d) => d.resourceArnsJson(d.field('resources'))],
];

/** The columns a call group is keyed by, in the order the query returns them (`c_role_name` only where needed: see below). */
export const CALL_KEY_COLUMNS: readonly string[] = [...CALL_COLUMNS.map(([column]) => column), ...PARAM_COLUMNS.map((p) => p.column)];

export interface UsageSqlParts {
  /** The relation the records come from, aliased `r` (a table, or read_json(...) for DuckDB). */
  from: string;
  /** Extra predicates ANDed into WHERE (partition pruning for Athena). */
  where?: string[];
  /**
   * Rollup mode (the Athena rollup; the local index builds the same rows without SQL): calls and
   * coverage are also grouped by UTC day (`day`, `YYYY-MM-DD`) and source file, and calls keep the
   * role name (`c_role_name`), so a later query can answer any whole-day window.
   */
  perFileDay?: boolean;
}

/**
 * Builds the grouped usage query. Result columns: `grouping_set` ('calls' | 'files' | 'coverage'),
 * the call keys, `file_name`, `records`, `valid_records`, `first_seen`, `last_seen`, `in_window`.
 */
export function buildUsageQuery(d: SqlDialect, parts: UsageSqlParts): string {
  const role = d.field(`${ISSUER}.arn`);
  const roleName = d.field(`${ISSUER}.userName`);
  const issuerType = d.field(`${ISSUER}.type`);
  const whereOnly = d.paramsInWhereOnly === true;
  const windowOf = (expr: string): string => `(${expr} >= ${d.timestampParam('start')} AND ${expr} < ${d.timestampParam('end')})`;
  const inWindow = whereOnly ? '(t IS NOT NULL)' : windowOf('t');
  const selectedBy = (arn: string, name: string): string => `(${d.param('allRoles')} OR ${d.inList(arn, 'roleArns')} OR ${d.inList(name, 'roleNames')})`;
  const roleSelected = whereOnly ? 'true' : selectedBy(role, roleName);
  // reference.ts attributedRole: a counted eventType, a role's session, non-empty issuer ARN, eventSource and eventName.
  const present = (expr: string): string => `COALESCE(${expr} <> '', false)`;
  const inScope = `(${countedEventTypeSql(d.field('eventType'))} AND ${issuerType} = 'Role' AND ${present(role)} AND ${present(d.field('eventSource'))} AND ${present(d.field('eventName'))} AND ${inWindow} AND ${roleSelected})`;
  const scoped = (expr: string): string => `CASE WHEN in_scope THEN ${expr} END`;

  const rollup = parts.perFileDay === true;
  // The outer role filter and the rollup both need the role name.
  const callKeys = whereOnly || rollup ? [...CALL_KEY_COLUMNS] : CALL_KEY_COLUMNS.filter((c) => c !== 'c_role_name');
  const extraction = d.requestKeys(d.field('requestParameters'), 'in_scope');
  const prelude = extraction.prelude.map((e) => `, ${e}`).join('');
  const callColumns = [
    ...CALL_COLUMNS.filter(([column]) => callKeys.includes(column)).map(([column, value]) => `    ${scoped(value(d))} AS ${column}`),
    ...PARAM_COLUMNS.map((p, i) => `    ${scoped(extraction.keys[i] ?? 'NULL')} AS ${p.column}`),
  ];
  const callSet = rollup ? [...callKeys, 'day', 'file_name'] : callKeys;
  const coverageSet = rollup ? 'event_source, event_category, in_window, day, file_name' : 'event_source, event_category, in_window';
  // Rollup rows carry file_name in every set, so the sets are told apart by in_scope instead.
  const label = rollup
    ? `CASE WHEN GROUPING(in_scope) = 0 THEN 'calls'
       WHEN GROUPING(event_source) = 0 THEN 'coverage'
       ELSE 'files' END`
    : `CASE WHEN GROUPING(file_name) = 0 THEN 'files'
       WHEN GROUPING(event_source) = 0 THEN 'coverage'
       ELSE 'calls' END`;
  const having = rollup ? 'GROUPING(in_scope) = 1 OR in_scope' : 'GROUPING(file_name) = 0 OR GROUPING(event_source) = 0 OR in_scope';
  const rollupColumns = rollup ? `\n    substr(${d.formatTime('t')}, 1, 10) AS day,` : '';
  const predicates = [...(parts.where ?? []), ...(whereOnly ? [windowOf(d.eventTime())] : [])];
  const where = predicates.length > 0 ? `\n  WHERE ${predicates.join('\n    AND ')}` : '';
  const grouped = `WITH timed AS (
  SELECT r.*, ${d.eventTime()} AS t, ${d.fileName()} AS file_name
  FROM ${parts.from}${where}
), scoped AS (
  SELECT *, ${inScope} AS in_scope, ${inWindow} AS in_window FROM timed
), keyed AS (
  SELECT *${prelude} FROM scoped
), projected AS (
  SELECT
    in_scope,
    COALESCE(in_window, false) AS in_window,
    file_name,
    t,
    ${d.field('eventSource')} AS event_source,
    ${d.field('eventCategory')} AS event_category,
    (${d.field('eventSource')} IS NOT NULL AND t IS NOT NULL) AS valid,${rollupColumns}
${callColumns.join(',\n')}
  FROM keyed
)
SELECT
  ${label} AS grouping_set,
  ${callSet.join(', ')},
  ${rollup ? '' : 'file_name, '}event_source, event_category, in_window,${rollup ? ' day, file_name,' : ''}
  COUNT(*) AS records,
  SUM(CASE WHEN valid THEN 1 ELSE 0 END) AS valid_records,
  ${d.formatTime('MIN(t)')} AS first_seen,
  ${d.formatTime('MAX(t)')} AS last_seen
FROM projected
GROUP BY GROUPING SETS (
  (in_scope, ${callSet.join(', ')}),
  (file_name),
  (${coverageSet})
)
HAVING ${having}`;
  if (!whereOnly) return grouped;
  return `SELECT * FROM (\n${grouped}\n) AS g\nWHERE g.grouping_set <> 'calls' OR ${selectedBy('g.c_role', 'g.c_role_name')}`;
}
