/**
 * The Athena usage query (the shared `buildUsageQuery`, Trino dialect, plus partition predicates)
 * and its ExecutionParameters. Every value is bound through a `?`: Athena substitutes each
 * ExecutionParameter as a SQL literal, so strings travel as quoted literals (embedded quotes
 * doubled) and no role ARN, name or date is ever part of the query text.
 */
import { UsageError } from '../../errors.js';
import type { RoleFilter, UsageQuery } from '../../model.js';
import { buildUsageQuery, countedEventTypeSql, type SqlDialect } from '../query.js';
import { bindMarkers, marker, stringLiteral, trinoDialect } from './trino-dialect.js';

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
const MAX_PARAMETER_CHARS = 1024;
/** Days added before and after the window on the delivery-date partition (delivery lags events). */
const PARTITION_PAD_DAYS = 1;

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

/** Packs values into space-separated literals of at most MAX_PARAMETER_CHARS each (at least one). */
function packList(values: readonly string[]): string[] {
  for (const v of values) {
    if (/\s/.test(v)) throw new UsageError(`role ${JSON.stringify(v)}: role names and ARNs contain no spaces`);
  }
  const slots: string[] = [];
  let current: string[] = [];
  for (const value of [...new Set(values)].sort()) {
    if (current.length > 0 && stringLiteral([...current, value].join(' ')).length > MAX_PARAMETER_CHARS) {
      slots.push(stringLiteral(current.join(' ')));
      current = [];
    }
    current.push(value);
  }
  const last = stringLiteral(current.join(' '));
  if (last.length > MAX_PARAMETER_CHARS) throw new UsageError(`role ${current[0] ?? ''}: longer than Athena's parameter limit`);
  slots.push(last);
  return slots;
}

/**
 * The role filter as bound values (`allRoles`, and the role ARNs and names packed into
 * `roleArns.i`/`roleNames.i` slots), with a Trino dialect that has as many slots.
 */
export function roleBindings(filter: RoleFilter): { dialect: SqlDialect; values: Map<string, string> } {
  const arnSlots = packList(filter.kind === 'roles' ? filter.arns : []);
  const nameSlots = packList(filter.kind === 'roles' ? filter.names : []);
  const values = new Map([['allRoles', filter.kind === 'all' ? 'true' : 'false']]);
  arnSlots.forEach((v, i) => values.set(`roleArns.${i}`, v));
  nameSlots.forEach((v, i) => values.set(`roleNames.${i}`, v));
  return { dialect: trinoDialect({ roleArns: arnSlots.length, roleNames: nameSlots.length }), values };
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
  const { dialect, values } = roleBindings(filter);
  const accounts = filter.kind === 'roles' && filter.names.length === 0 ? accountsOf(filter.arns) : [];
  values.set('start', stringLiteral(query.window.start));
  values.set('end', stringLiteral(query.window.end));
  values.set('dayFrom', stringLiteral(day(query.window.start, -PARTITION_PAD_DAYS)));
  values.set('dayTo', stringLiteral(day(query.window.end, PARTITION_PAD_DAYS)));
  accounts.forEach((v, i) => values.set(`account.${i}`, stringLiteral(v)));

  const where = [`day BETWEEN ${marker('dayFrom')} AND ${marker('dayTo')}`];
  if (accounts.length > 0) where.push(`account IN (${accounts.map((_, i) => marker(`account.${i}`)).join(', ')})`);
  // Only API calls count as usage; data events are API calls too, so coverage still sees them.
  where.push(countedEventTypeSql('eventtype'));

  const sql = buildUsageQuery(dialect, { from: `"${database}"."${tableName}" AS r`, where });
  return { sql, parameters: bindMarkers(sql, values) };
}
