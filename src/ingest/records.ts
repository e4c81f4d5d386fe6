/**
 * The in-memory twin of the usage query: whole CloudTrail records -> grouped CallRows.
 * Sources that receive records one by one (LookupEvents, CloudTrail Lake, tests) use it; the
 * DuckDB and Athena paths push the same grouping into SQL (see `query.ts`). Both must agree.
 */
import { extractRequestKeys } from '../mapping/request-keys.js';
import type { CallRow, RoleFilter, TimeWindow } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { foldCallMap } from './fold.js';

/** The fields of a CloudTrail record the usage query reads. Everything is optional: records lie. */
export interface CloudTrailRecord {
  eventTime?: unknown;
  '@timestamp'?: unknown;
  eventType?: unknown;
  eventSource?: unknown;
  eventName?: unknown;
  awsRegion?: unknown;
  recipientAccountId?: unknown;
  eventCategory?: unknown;
  errorCode?: unknown;
  requestParameters?: unknown;
  resources?: unknown;
  userIdentity?: unknown;
}

/** A record reduced to what attribution needs. */
export interface AttributedCall {
  roleArn: string;
  roleName: string;
  eventTime: string;
  eventType: string;
  row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'>;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The time of a record: `eventTime`, or `@timestamp` for records re-exported by a log pipeline
 * (Logstash/Elastic) that dropped `eventTime`. Normalised to `YYYY-MM-DDTHH:MM:SSZ`.
 */
export function recordTime(record: CloudTrailRecord): string | null {
  const raw = text(record.eventTime) ?? text(record['@timestamp']);
  if (raw === null) return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Attributes a record to the IAM role that made it (`sessionIssuer.arn`, which keeps the role
 * path), or returns undefined for records not made with a role's credentials.
 */
export function attributeRecord(record: CloudTrailRecord): AttributedCall | undefined {
  // A JSON array of records can hold null, numbers or strings: not records, not attributable.
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const issuer = field(field(record.userIdentity, 'sessionContext'), 'sessionIssuer');
  const roleArn = text(field(issuer, 'arn'));
  const eventTime = recordTime(record);
  const eventSource = text(record.eventSource);
  const eventName = text(record.eventName);
  if (roleArn === null || eventTime === null || eventSource === null || eventName === null) return undefined;
  if (text(field(issuer, 'type')) !== 'Role') return undefined;
  const resources = Array.isArray(record.resources) ? record.resources : [];
  const resourceArns = [
    ...new Set(resources.map((r) => text(field(r, 'ARN')) ?? text(field(r, 'arn'))).filter((a) => a !== null)),
  ].sort(compareText);
  return {
    roleArn,
    roleName: text(field(issuer, 'userName')) ?? roleArn.slice(roleArn.lastIndexOf('/') + 1),
    eventTime,
    eventType: text(record.eventType) ?? '',
    row: {
      roleArn,
      eventSource,
      eventName,
      awsRegion: text(record.awsRegion) ?? '',
      recipientAccountId: text(record.recipientAccountId) ?? text(field(record.userIdentity, 'accountId')) ?? '',
      eventCategory: text(record.eventCategory) ?? '',
      errorCode: text(record.errorCode),
      invokedBy: text(field(record.userIdentity, 'invokedBy')),
      params: extractRequestKeys(record.requestParameters),
      resourceArns,
    },
  };
}

/** Does a role filter select this role? Names match the role name; ARNs match exactly. */
export function roleFilterMatches(filter: RoleFilter, roleArn: string, roleName: string): boolean {
  if (filter.kind === 'all') return true;
  return filter.arns.includes(roleArn) || filter.names.includes(roleName);
}

export function inWindow(window: TimeWindow, eventTime: string): boolean {
  return eventTime >= window.start && eventTime < window.end;
}

/** Stable identity of a call group: everything but the counters. */
export function callKey(row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'>): string {
  const params = Object.keys(row.params)
    .sort(compareText)
    .map((k) => [k, row.params[k]]);
  const key: unknown[] = [
    row.roleArn,
    row.eventSource,
    row.eventName,
    row.awsRegion,
    row.recipientAccountId,
    row.eventCategory,
    row.errorCode,
    row.invokedBy,
    params,
    row.resourceArns,
  ];
  // Folded rows (see fold.ts) carry their depth, so a folded and an exact row never merge.
  if (row.foldedDepth !== undefined) key.push(row.foldedDepth);
  return JSON.stringify(key);
}

/** The call-key fields of a `callKey` text (its inverse): the usage index stores groups by their key. */
export function callFromKey(key: string): Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'> {
  const k = JSON.parse(key) as [string, string, string, string, string, string, string | null, string | null, Array<[string, string]>, string[], number?];
  const params: Record<string, string> = {};
  for (const [name, value] of k[8]) params[name] = value;
  const row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'> = {
    roleArn: k[0],
    eventSource: k[1],
    eventName: k[2],
    awsRegion: k[3],
    recipientAccountId: k[4],
    eventCategory: k[5],
    errorCode: k[6],
    invokedBy: k[7],
    params,
    resourceArns: k[9],
  };
  if (k[10] !== undefined) row.foldedDepth = k[10];
  return row;
}

/** Adds `next` into the groups in `into` (used to merge query batches and index partitions). */
export function mergeCallRows(into: Map<string, CallRow>, next: Iterable<CallRow>): void {
  for (const row of next) {
    const key = callKey(row);
    const seen = into.get(key);
    if (seen === undefined) {
      into.set(key, { ...row });
    } else {
      seen.count += row.count;
      if (row.firstSeen < seen.firstSeen) seen.firstSeen = row.firstSeen;
      if (row.lastSeen > seen.lastSeen) seen.lastSeen = row.lastSeen;
    }
  }
}

/** Canonical order of call rows, so every source returns the same sequence. */
export function sortCallRows(rows: CallRow[]): CallRow[] {
  return rows.sort((a, b) => compareText(callKey(a), callKey(b)));
}

/**
 * Groups whole records the way the SQL does: only `AwsApiCall` events by a selected role inside
 * the window count. S3 object keys are folded past `FOLD_LIMIT` per call (see fold.ts).
 */
export function groupRecords(
  records: Iterable<CloudTrailRecord>,
  filter: RoleFilter,
  window: TimeWindow,
  options: { fold?: boolean } = {},
): CallRow[] {
  const groups = new Map<string, CallRow>();
  for (const record of records) {
    const call = attributeRecord(record);
    if (call === undefined || call.eventType !== 'AwsApiCall') continue;
    if (!roleFilterMatches(filter, call.roleArn, call.roleName) || !inWindow(window, call.eventTime)) continue;
    mergeCallRows(groups, [{ ...call.row, count: 1, firstSeen: call.eventTime, lastSeen: call.eventTime }]);
  }
  // `fold: false` gives the SQL's unfolded groups (what Athena or DuckDB return before folding).
  if (options.fold !== false) foldCallMap(groups);
  return [...groups.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, row]) => row);
}

/**
 * Collects records that arrive as JSON text, page by page (LookupEvents, CloudTrail Lake): counts
 * them, counts the ones that are not CloudTrail records (not JSON, no time, no eventSource: the
 * same rule as the SQL's `valid`), tracks the time span they cover, and groups the valid ones.
 */
export interface RecordTextCollector {
  addPage(texts: Iterable<string | undefined>): void;
  records(): number;
  invalid(): number;
  covered(): { first: string | null; last: string | null };
  rows(): CallRow[];
}

export function collectRecordTexts(filter: RoleFilter, window: TimeWindow): RecordTextCollector {
  const calls = new Map<string, CallRow>();
  let records = 0;
  let invalid = 0;
  let first: string | null = null;
  let last: string | null = null;
  return {
    addPage(texts) {
      const parsed: CloudTrailRecord[] = [];
      for (const text of texts) {
        records++;
        let record: unknown;
        try {
          record = JSON.parse(text ?? '');
        } catch {
          invalid++;
          continue;
        }
        const time = record !== null && typeof record === 'object' ? recordTime(record as CloudTrailRecord) : null;
        if (time === null || typeof (record as CloudTrailRecord).eventSource !== 'string') {
          invalid++;
          continue;
        }
        if (first === null || time < first) first = time;
        if (last === null || time > last) last = time;
        parsed.push(record as CloudTrailRecord);
      }
      mergeCallRows(calls, groupRecords(parsed, filter, window));
      foldCallMap(calls); // page by page: memory stays bounded, the result equals one fold at the end
    },
    records: () => records,
    invalid: () => invalid,
    covered: () => ({ first, last }),
    rows: () => [...calls.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, row]) => row),
  };
}
