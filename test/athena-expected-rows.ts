/**
 * What the Trino usage query returns for a set of CloudTrail records, computed independently of
 * SQL: the stand-in decodes the ExecutionParameters the client bound (by the `?` markers of the
 * query text), selects records the way the WHERE clauses do, and groups them with `groupRecords`.
 */
import { groupRecords, recordTime, type CloudTrailRecord } from '../src/ingest/reference.js';
import { PARAM_COLUMNS } from '../src/ingest/query.js';
import { markerNames } from '../src/ingest/athena/trino-dialect.js';
import type { RoleFilter } from '../src/model.js';
import type { Cell, StartRequest } from './athena-stand-in.js';

export const RESULT_COLUMNS = [
  'grouping_set',
  'c_role',
  'c_role_name',
  'c_source',
  'c_name',
  'c_region',
  'c_account',
  'c_category',
  'c_error',
  'c_invoked_by',
  'c_resources',
  ...PARAM_COLUMNS.map((p) => p.column),
  'file_name',
  'event_source',
  'event_category',
  'in_window',
  'records',
  'valid_records',
  'first_seen',
  'last_seen',
];

/** A SQL string literal back to its value (the stand-in's reading of an ExecutionParameter). */
export function unquote(literal: string): string {
  if (!/^'.*'$/s.test(literal)) throw new Error(`not a string literal: ${literal}`);
  return literal.slice(1, -1).replace(/''/g, "'");
}

export function boundValues(start: StartRequest): Map<string, string> {
  const names = markerNames(start.QueryString);
  const values = start.ExecutionParameters ?? [];
  if (names.length !== values.length) throw new Error(`${names.length} markers, ${values.length} parameters`);
  return new Map(names.map((n, i) => [n, values[i] ?? '']));
}

function listOf(bound: Map<string, string>, name: string): string[] {
  return [...bound]
    .filter(([k]) => k.startsWith(`${name}.`))
    .flatMap(([, v]) => unquote(v).split(' '))
    .filter((v) => v !== '');
}

function str(record: CloudTrailRecord, key: keyof CloudTrailRecord): string | null {
  const v = record[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

export function expectedAthenaRows(records: readonly CloudTrailRecord[], start: StartRequest): { columns: string[]; rows: Cell[][] } {
  const bound = boundValues(start);
  const window = { start: unquote(bound.get('start') ?? ''), end: unquote(bound.get('end') ?? '') };
  const filter: RoleFilter =
    bound.get('allRoles') === 'true' ? { kind: 'all' } : { kind: 'roles', arns: listOf(bound, 'roleArns'), names: listOf(bound, 'roleNames') };
  // WHERE: eventtype IN ('AwsApiCall') and eventtime inside the window (the day partitions hold all fixture files).
  const scanned = records.filter((r) => {
    const t = recordTime(r);
    return r.eventType === 'AwsApiCall' && t !== null && t >= window.start && t < window.end;
  });
  const row = (values: Record<string, Cell>): Cell[] => RESULT_COLUMNS.map((c) => values[c] ?? null);
  const rows: Cell[][] = [];
  const times = scanned.map((r) => recordTime(r) ?? '').sort();
  rows.push(
    row({
      grouping_set: 'files',
      records: String(scanned.length),
      valid_records: String(scanned.filter((r) => str(r, 'eventSource') !== null).length),
      first_seen: times[0] ?? null,
      last_seen: times[times.length - 1] ?? null,
    }),
  );
  const coverage = new Map<string, { source: string; category: string | null; n: number; times: string[] }>();
  for (const r of scanned) {
    const key = JSON.stringify([str(r, 'eventSource'), str(r, 'eventCategory')]);
    const c = coverage.get(key) ?? { source: str(r, 'eventSource') ?? '', category: str(r, 'eventCategory'), n: 0, times: [] };
    c.n++;
    c.times.push(recordTime(r) ?? '');
    coverage.set(key, c);
  }
  for (const c of coverage.values()) {
    c.times.sort();
    rows.push(
      row({
        grouping_set: 'coverage',
        event_source: c.source,
        event_category: c.category,
        in_window: 'true',
        records: String(c.n),
        valid_records: String(c.n),
        first_seen: c.times[0] ?? null,
        last_seen: c.times[c.times.length - 1] ?? null,
      }),
    );
  }
  for (const call of groupRecords(scanned, filter, window, { fold: false })) {
    const values: Record<string, Cell> = {
      grouping_set: 'calls',
      c_role: call.roleArn,
      c_role_name: call.roleArn.slice(call.roleArn.lastIndexOf('/') + 1),
      c_source: call.eventSource,
      c_name: call.eventName,
      c_region: call.awsRegion === '' ? null : call.awsRegion,
      c_account: call.recipientAccountId === '' ? null : call.recipientAccountId,
      c_category: call.eventCategory === '' ? null : call.eventCategory,
      c_error: call.errorCode,
      c_invoked_by: call.invokedBy,
      c_resources: call.resourceArns.length > 0 ? JSON.stringify(call.resourceArns) : null,
      records: String(call.count),
      valid_records: String(call.count),
      first_seen: call.firstSeen,
      last_seen: call.lastSeen,
    };
    for (const p of PARAM_COLUMNS) values[p.column] = call.params[p.name] ?? null;
    rows.push(row(values));
  }
  // Athena returns groups in no particular order; shuffle deterministically so order cannot matter.
  rows.sort((a, b) => (JSON.stringify(a).length % 7) - (JSON.stringify(b).length % 7));
  return { columns: RESULT_COLUMNS, rows };
}
