/**
 * The Athena usage query and its ExecutionParameters. The SQL comes from the shared
 * `buildUsageQuery` with the Trino dialect; this file adds the partition predicates (account,
 * delivery day padded for delivery lag) and binds every value through a `?`: Athena substitutes
 * each ExecutionParameter as a SQL literal, so strings travel as quoted literals (embedded quotes
 * doubled) and no role ARN, name or date is ever part of the query text.
 */
import { InternalError, UsageError } from '../../errors.js';
import type { UsageQuery } from '../../model.js';
import { buildUsageQuery, countedEventTypeSql } from '../query.js';
import { marker, markerNames, trinoDialect } from './trino-dialect.js';

/** Where the CloudTrail table lives. */
export interface AthenaTableRef {
  database: string;
  table: string;
}

export interface AthenaUsageQuery {
  sql: string;
  /** One string per `?`, in text order. */
  parameters: string[];
}

/** Athena's limit on one ExecutionParameter. */
export const MAX_PARAMETER_CHARS = 1024;
/** Days added before and after the window on the delivery-date partition (delivery lags events). */
export const PARTITION_PAD_DAYS = 1;

const IDENTIFIER = /^[A-Za-z0-9_]{1,255}$/;

/** Database and table names are identifiers, which cannot be bound: only plain names pass. */
export function checkIdentifier(flag: string, value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new UsageError(`${flag} ${value}: not a plain Athena name (letters, digits, underscore)`, {
      hint: 'Glue database and table names are lower-case letters, digits and underscores',
    });
  }
  return value.toLowerCase();
}

/** A string as an Athena execution parameter: a SQL string literal. */
export function stringParameter(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Packs values into space-separated literals of at most MAX_PARAMETER_CHARS each (at least one). */
export function packList(values: readonly string[]): string[] {
  for (const v of values) {
    if (/\s/.test(v)) throw new UsageError(`role ${JSON.stringify(v)}: role names and ARNs contain no spaces`);
  }
  const slots: string[] = [];
  let current: string[] = [];
  for (const value of [...new Set(values)].sort()) {
    const next = [...current, value];
    if (current.length > 0 && stringParameter(next.join(' ')).length > MAX_PARAMETER_CHARS) {
      slots.push(stringParameter(current.join(' ')));
      current = [value];
    } else current = next;
  }
  const last = stringParameter(current.join(' '));
  if (last.length > MAX_PARAMETER_CHARS) throw new UsageError(`role ${current[0] ?? ''}: longer than Athena's parameter limit`);
  slots.push(last);
  return slots;
}

function day(iso: string, shiftDays: number): string {
  const d = new Date(Date.parse(iso) + shiftDays * 86_400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, '/');
}

function accountsOf(arns: readonly string[]): string[] {
  return [...new Set(arns.map((a) => a.split(':')[4] ?? '').filter((a) => /^\d{12}$/.test(a)))].sort();
}

/**
 * Builds the query for one usage scan. Partition predicates: `day` (delivery date, padded a day
 * either side) and, when the roles are known by ARN, `account` (required by an injected
 * projection, and it keeps an organization table from scanning every account).
 */
export function buildAthenaUsageQuery(table: AthenaTableRef, query: UsageQuery): AthenaUsageQuery {
  const database = checkIdentifier('--athena-database', table.database);
  const tableName = checkIdentifier('--athena-table', table.table);
  const filter = query.roles;
  const arns = filter.kind === 'roles' ? filter.arns : [];
  const names = filter.kind === 'roles' ? filter.names : [];
  const arnSlots = packList(arns);
  const nameSlots = packList(names);
  const accounts = filter.kind === 'roles' && names.length === 0 ? accountsOf(arns) : [];

  const values = new Map<string, string>([
    ['start', stringParameter(query.window.start)],
    ['end', stringParameter(query.window.end)],
    ['allRoles', filter.kind === 'all' ? 'true' : 'false'],
    ['dayFrom', stringParameter(day(query.window.start, -PARTITION_PAD_DAYS))],
    ['dayTo', stringParameter(day(query.window.end, PARTITION_PAD_DAYS))],
  ]);
  arnSlots.forEach((v, i) => values.set(`roleArns.${i}`, v));
  nameSlots.forEach((v, i) => values.set(`roleNames.${i}`, v));
  accounts.forEach((v, i) => values.set(`account.${i}`, stringParameter(v)));

  const where = [`day BETWEEN ${marker('dayFrom')} AND ${marker('dayTo')}`];
  if (accounts.length > 0) where.push(`account IN (${accounts.map((_, i) => marker(`account.${i}`)).join(', ')})`);
  // Only API calls count as usage; data events are API calls too, so coverage still sees them.
  where.push(countedEventTypeSql('eventtype'));

  const dialect = trinoDialect({ roleArns: arnSlots.length, roleNames: nameSlots.length });
  const sql = buildUsageQuery(dialect, { from: `"${database}"."${tableName}" AS r`, where });
  const parameters = markerNames(sql).map((name) => {
    const value = values.get(name);
    if (value === undefined) throw new InternalError(`athena query: no value for parameter ${name}`);
    return value;
  });
  return { sql, parameters };
}
