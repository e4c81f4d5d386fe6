/**
 * The reference path: whole CloudTrail records (as JSON.parse gives them) -> grouped CallRows, and
 * the one statement of which records count and what a counted record contributes (`attributedRole`,
 * `attributeRecord`, `scanRecords`). LookupEvents, Lake, the native scan (once per group of
 * records), files the native walker cannot read and the tests' oracles all use it; the SQL sources
 * state the same rule from the same table (COUNTED_EVENT_TYPES). test/ingest-cases holds them to it.
 */
import ignoredEvents from '../mapping/data/ignored-events.json' with { type: 'json' };
import { extractRequestKeys } from '../mapping/request-keys.js';
import type { CallRow, Evidence, RoleFilter, TimeWindow, UsageQuery, UsageScan } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { mergeCounters, callKey, sortedRows } from './call-rows.js';
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

/** The eventType values whose records count as calls by their principal (`ignored-events.json`'s `eventTypes`). */
export const COUNTED_EVENT_TYPES: readonly string[] = ignoredEvents.eventTypes.filter((r) => r.counts).map((r) => r.eventType);

/** Whether records of this eventType count as calls by their principal (a type the table does not list does not). */
export function countsEventType(eventType: unknown): boolean {
  return typeof eventType === 'string' && COUNTED_EVENT_TYPES.includes(eventType);
}

/** A non-empty string, else null. */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Days of each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by the two ASCII digits of `text` at `at`. */
function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;
}

/**
 * Whether a time of the CANONICAL_TIME form names a second that exists (as Date counts): exactly
 * the strings normalTime's Date round trip gives back unchanged (test/normal-time.test.ts).
 */
function isRealSecond(raw: string): boolean {
  const year = twoDigits(raw, 0) * 100 + twoDigits(raw, 2);
  const month = twoDigits(raw, 5);
  const day = twoDigits(raw, 8);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0))) return false;
  return twoDigits(raw, 11) <= 23 && twoDigits(raw, 14) <= 59 && twoDigits(raw, 17) <= 59;
}

/**
 * A time as the usage query writes it (`YYYY-MM-DDTHH:MM:SSZ`), or null when it is not a time
 * (the form alone does not make one: "2026-02-30T10:00:00Z" is not a date).
 */
export function normalTime(raw: string): string | null {
  // CloudTrail's own form is told by its digits: Date.parse and toISOString for every distinct
  // time cost 16 % of a worker's scan.
  if (CANONICAL_TIME.test(raw)) return isRealSecond(raw) ? raw : null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The time of a record: `eventTime`, or `@timestamp` for records re-exported by a log pipeline
 * (Logstash/Elastic) that dropped `eventTime`. Normalised to `YYYY-MM-DDTHH:MM:SSZ`.
 */
export function recordTime(record: CloudTrailRecord): string | null {
  const raw = text(record.eventTime) ?? text(record['@timestamp']);
  return raw === null ? null : normalTime(raw);
}

/** The fields of a record that decide whether it counts, and for which role. */
export interface AttributionFields {
  eventType: unknown;
  eventSource: unknown;
  eventName: unknown;
  /** `userIdentity.sessionContext.sessionIssuer.type`, `.arn` and `.userName`. */
  issuerType: unknown;
  issuerArn: unknown;
  issuerName: unknown;
}

/**
 * The rule of which records count: an API call (COUNTED_EVENT_TYPES) made with a role's session
 * (`sessionIssuer.type` Role), with an issuer ARN (which keeps the role path, unlike the session
 * ARN), an eventSource and an eventName. Returns the role it counts for, or undefined.
 */
export function attributedRole(f: AttributionFields): { roleArn: string; roleName: string } | undefined {
  const roleArn = text(f.issuerArn);
  if (!countsEventType(f.eventType) || text(f.issuerType) !== 'Role' || roleArn === null) return undefined;
  if (text(f.eventSource) === null || text(f.eventName) === null) return undefined;
  return { roleArn, roleName: text(f.issuerName) ?? roleArn.slice(roleArn.lastIndexOf('/') + 1) };
}

/** A counted record reduced to its call. */
export interface AttributedCall {
  roleArn: string;
  roleName: string;
  eventTime: string;
  row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'>;
}

/** `resources[].ARN` (else `arn`) as non-empty strings, distinct and sorted. */
export function resourceArns(resources: unknown): string[] {
  if (!Array.isArray(resources) || resources.length === 0) return [];
  const arns = new Set<string>();
  for (const r of resources) {
    const arn = text(field(r, 'ARN')) ?? text(field(r, 'arn'));
    if (arn !== null) arns.add(arn);
  }
  return [...arns].sort(compareText);
}

/** The call a record counts as (attributedRole), or undefined for a record that does not count or has no time. */
export function attributeRecord(record: CloudTrailRecord): AttributedCall | undefined {
  // A JSON array of records can hold null, numbers or strings: not records, not attributable.
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const issuer = field(field(record.userIdentity, 'sessionContext'), 'sessionIssuer');
  const role = attributedRole({
    eventType: record.eventType,
    eventSource: record.eventSource,
    eventName: record.eventName,
    issuerType: field(issuer, 'type'),
    issuerArn: field(issuer, 'arn'),
    issuerName: field(issuer, 'userName'),
  });
  const eventTime = recordTime(record);
  if (role === undefined || eventTime === null) return undefined;
  return {
    ...role,
    eventTime,
    row: {
      roleArn: role.roleArn,
      eventSource: text(record.eventSource) ?? '',
      eventName: text(record.eventName) ?? '',
      awsRegion: text(record.awsRegion) ?? '',
      recipientAccountId: text(record.recipientAccountId) ?? text(field(record.userIdentity, 'accountId')) ?? '',
      eventCategory: text(record.eventCategory) ?? '',
      errorCode: text(record.errorCode),
      invokedBy: text(field(record.userIdentity, 'invokedBy')),
      params: extractRequestKeys(record.requestParameters),
      resourceArns: resourceArns(record.resources),
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

/**
 * The usage query's rows from whole records: counted records of a selected role inside the window,
 * folded (fold.ts) unless `fold: false` (the SQL's groups, as Athena returns them before folding).
 */
export function groupRecords(records: Iterable<unknown>, filter: RoleFilter, window: TimeWindow, options: { fold?: boolean } = {}): CallRow[] {
  const { calls } = scanRecords(records, { roles: filter, window }, options);
  if (options.fold !== false) foldCallMap(calls);
  return sortedRows(calls);
}

/** One file's share of the usage query: what a scan of its records gives. */
export interface FileScan {
  /** Call groups keyed by an identity string (merged by callKey across files later). */
  calls: Map<string, CallRow>;
  /** Of the rows in `calls` with an S3 object key, their fold family (familyOf) by identity, where the scan knew it. */
  families?: Map<string, string>;
  /** Records: every top-level value the file holds as one (a record, or something else). */
  records: number;
  /** Records with a time and an eventSource (CloudTrail records). */
  validRecords: number;
  first: string | null;
  last: string | null;
  /** eventSources with a data event (eventCategory Data) inside the window. */
  dataSources: Set<string>;
  /** In rollup mode (the usage index): the call groups per UTC day and role name, `calls` empty. */
  pieces?: Map<string, DayPiece>;
  /** In rollup mode: valid records per UTC day, eventSource and eventCategory (null when absent). */
  coverage?: Map<string, CoverageCount>;
}

/** One file's call groups of one UTC day and one role name (`userName`, null when absent). */
export interface DayPiece {
  day: string;
  roleName: string | null;
  calls: Map<string, CallRow>;
}

export interface CoverageCount {
  day: string;
  source: string;
  category: string | null;
  records: number;
}

/** The scan of no records (`rollup`: with the rollup's pieces and coverage). */
export function emptyFileScan(rollup: boolean): FileScan {
  const scan: FileScan = { calls: new Map(), records: 0, validRecords: 0, first: null, last: null, dataSources: new Set() };
  return rollup ? { ...scan, pieces: new Map(), coverage: new Map() } : scan;
}

/** Groups a scan holds before it folds them, and again whenever they have doubled since. */
export const FOLD_FLOOR = 20_000;

/** Counts a valid record into the rollup's coverage (per UTC day, eventSource and eventCategory). */
export function countCoverage(coverage: Map<string, CoverageCount>, day: string, source: string, category: string | null): CoverageCount {
  const id = `${day}\u0000${source}\u0000${category ?? '\u0001'}`;
  let seen = coverage.get(id);
  if (seen === undefined) coverage.set(id, (seen = { day, source, category, records: 0 }));
  seen.records++;
  return seen;
}

/** The call map of a rollup's (day, role name) piece. */
export function pieceCalls(pieces: Map<string, DayPiece>, day: string, roleName: string | null): Map<string, CallRow> {
  const id = `${day}\u0000${roleName ?? '\u0001'}`;
  let piece = pieces.get(id);
  if (piece === undefined) pieces.set(id, (piece = { day, roleName, calls: new Map() }));
  return piece.calls;
}

/**
 * The usage query over one file's top-level values: what every scan of a file must give, added to
 * `out` when given (a scan so far). `rollup`: the usage index's per-day pieces and coverage instead
 * of `calls`; `fold: false`: no fold as the groups grow.
 */
export function scanRecords(
  records: Iterable<unknown>,
  query: UsageQuery,
  options: { rollup?: boolean | undefined; fold?: boolean } = {},
  out = emptyFileScan(options.rollup === true),
): FileScan {
  const { pieces, coverage } = out;
  let foldAt = FOLD_FLOOR;
  let rows = 0;
  for (const value of records) {
    out.records++;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const record = value as CloudTrailRecord;
    const time = recordTime(record);
    if (time === null) continue;
    if (out.first === null || time < out.first) out.first = time;
    if (out.last === null || time > out.last) out.last = time;
    if (typeof record.eventSource !== 'string') continue;
    out.validRecords++;
    const category = typeof record.eventCategory === 'string' ? record.eventCategory : null;
    const day = time.slice(0, 10);
    if (coverage) countCoverage(coverage, day, record.eventSource, category);
    if (!inWindow(query.window, time)) continue;
    if (category === 'Data') out.dataSources.add(record.eventSource);
    const call = attributeRecord(record);
    if (call === undefined || !roleFilterMatches(query.roles, call.roleArn, call.roleName)) continue;
    const userName = field(field(field(record.userIdentity, 'sessionContext'), 'sessionIssuer'), 'userName');
    const calls = pieces ? pieceCalls(pieces, day, typeof userName === 'string' ? userName : null) : out.calls;
    const size = calls.size;
    mergeCounters(calls, callKey(call.row), { ...call.row, count: 1, firstSeen: time, lastSeen: time });
    // A single large file (an export of millions of records) is folded as it grows.
    if (options.fold !== false && calls.size > size && ++rows >= foldAt) {
      rows = 0;
      if (pieces) for (const piece of pieces.values()) rows += foldCallMap(piece.calls).size;
      else rows = foldCallMap(out.calls).size;
      foldAt = Math.max(FOLD_FLOOR, rows * 2);
    }
  }
  return out;
}

/**
 * Collects records that arrive as JSON text, page by page (LookupEvents, CloudTrail Lake): each
 * page is scanned as a file's records are (a text that is not JSON is a record that is not
 * CloudTrail's), and its groups are folded into the rest, so memory stays bounded.
 */
export interface RecordTextCollector {
  addPage(texts: Iterable<string | undefined>): void;
  /** The scan so far, read from `source` (`bytes` scanned; data event sources: those the rows show, or none). */
  result(source: string, bytes: number, dataEvents: 'rows' | 'none'): UsageScan;
}

export function collectRecordTexts(query: UsageQuery): RecordTextCollector {
  const scan = emptyFileScan(false);
  return {
    addPage(texts) {
      const parsed = [...texts].map((text): unknown => {
        try {
          return JSON.parse(text ?? '');
        } catch {
          return undefined; // not JSON: a record, but not CloudTrail's
        }
      });
      scanRecords(parsed, query, {}, scan);
      foldCallMap(scan.calls); // page by page: the result equals one fold at the end
    },
    result(source, bytes, dataEvents) {
      const rows = sortedRows(scan.calls);
      const { records, first, last } = scan;
      const evidence: Evidence = {
        source,
        files: 0,
        bytes,
        skippedFiles: [],
        records,
        invalidRecords: records - scan.validRecords,
        events: rows.reduce((sum, r) => sum + r.count, 0),
        covered: { first, last },
        dataEventSources: dataEvents === 'none' ? [] : [...new Set(rows.filter((r) => r.eventCategory === 'Data').map((r) => r.eventSource))].sort(compareText),
      };
      return { window: query.window, rows, evidence };
    },
  };
}
