/**
 * One log file's text -> its share of the usage query: the call groups of in-scope records, the
 * file's record counts and time span, and the services with data events in the window. The rules
 * are those of the in-memory twin (`records.ts`: attributeRecord, recordTime) and of the SQL's
 * `files` and `coverage` sets; only the decoding differs (see json-scan.ts): a record's members
 * are located in one pass, and `requestParameters` and `resources` are decoded only for
 * in-scope records. `test/stream-scan.test.ts` holds it equal to the twin and to DuckDB.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { CallRow, UsageQuery } from '../../../model.js';
import { isDeliveryFile, shapeOfHead, type FileShape } from '../discover.js';
import { compareText } from '../../../iam/catalog.js';
import { extractRequestKeys, REQUEST_KEY_MEMBERS } from '../../../mapping/request-keys.js';
import { foldCallMap } from '../../fold.js';
import { inWindow, recordTime, roleFilterMatches } from '../../records.js';
import { Interner, MemberNames, parseAt, skipValue, walkArray, walkDocument, walkObject } from './json-scan.js';

export interface FileScan {
  /** Call groups keyed by an identity string (merged by callKey across files later). */
  calls: Map<string, CallRow>;
  records: number;
  validRecords: number;
  first: string | null;
  last: string | null;
  dataSources: Set<string>;
}

/** Groups a scan holds before it folds them, and again whenever they have doubled since. */
export const FOLD_FLOOR = 20_000;

const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** How a file holds its records: the DuckDB engine's rule (discover.ts), on the bytes in hand. */
export function shapeOf(path: string, bytes: Buffer): FileShape {
  return isDeliveryFile(path) ? 'wrapped' : shapeOfHead(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)));
}

/** Reads a log file's JSON bytes, gunzipping any file that starts with the gzip magic bytes. */
export function readLogBytes(path: string): Buffer {
  const bytes = readFileSync(path);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What one record contributes; reused across records (one allocation per file). The fields every
 * record needs (time, source, category, type, issuer) are decoded as they are met; the others
 * only by position (`...At`, -1 when absent), decoded once the record is known to be in scope.
 */
class RecordFields {
  eventTime: unknown;
  timestamp: unknown;
  eventType: unknown;
  eventSource: unknown;
  eventCategory: unknown;
  issuerType: unknown;
  issuerArn: unknown;
  eventNameAt = -1;
  awsRegionAt = -1;
  recipientAccountIdAt = -1;
  errorCodeAt = -1;
  accountIdAt = -1;
  invokedByAt = -1;
  issuerNameAt = -1;
  requestParameters = -1;
  resources = -1;
  reset(): void {
    this.eventTime = this.timestamp = this.eventType = this.eventSource = this.eventCategory = undefined;
    this.issuerType = this.issuerArn = undefined;
    this.eventNameAt = this.awsRegionAt = this.recipientAccountIdAt = this.errorCodeAt = -1;
    this.accountIdAt = this.invokedByAt = this.issuerNameAt = -1;
    this.requestParameters = this.resources = -1;
  }
}

const RECORD = new MemberNames([
  'eventTime', '@timestamp', 'eventType', 'eventSource', 'eventName', 'awsRegion', 'recipientAccountId',
  'eventCategory', 'errorCode', 'userIdentity', 'requestParameters', 'resources',
]);
const IDENTITY = new MemberNames(['accountId', 'invokedBy', 'sessionContext']);
const SESSION = new MemberNames(['sessionIssuer']);
const ISSUER = new MemberNames(['type', 'arn', 'userName']);
const PARAMETERS = new MemberNames(REQUEST_KEY_MEMBERS);
const RESOURCE = new MemberNames(['ARN', 'arn']);

/** Reads records out of one file's bytes. */
class RecordReader {
  readonly r = new RecordFields();
  private readonly strings = new Interner();
  constructor(private readonly s: Buffer) {}

  private value(start: number): unknown {
    return this.strings.read(this.s, start);
  }
  private get end(): number {
    return this.strings.end;
  }

  /** The value of a deferred field (a position from RecordFields), or undefined when absent. */
  at(start: number): unknown {
    return start < 0 ? undefined : this.strings.read(this.s, start);
  }

  private issuer = (id: number, start: number): number => {
    if (id === 2) {
      this.r.issuerNameAt = start;
      return skipValue(this.s, start);
    }
    const v = this.value(start);
    if (id === 0) this.r.issuerType = v;
    else this.r.issuerArn = v;
    return this.end;
  };
  private session = (_: number, start: number): number =>
    this.s[start] === 0x7b ? walkObject(this.s, start, ISSUER, this.issuer) : skipValue(this.s, start);
  private identity = (id: number, start: number): number => {
    if (id === 2) return this.s[start] === 0x7b ? walkObject(this.s, start, SESSION, this.session) : skipValue(this.s, start);
    if (id === 0) this.r.accountIdAt = start;
    else this.r.invokedByAt = start;
    return skipValue(this.s, start);
  };
  private member = (id: number, start: number): number => {
    const { s, r } = this;
    switch (id) {
      case 0:
        r.eventTime = this.strings.readOnce(s, start);
        return this.end;
      case 9:
        return s[start] === 0x7b ? walkObject(s, start, IDENTITY, this.identity) : skipValue(s, start);
      case 10:
        r.requestParameters = start;
        return skipValue(s, start);
      case 11:
        r.resources = start;
        return skipValue(s, start);
      case 4:
        r.eventNameAt = start;
        return skipValue(s, start);
      case 5:
        r.awsRegionAt = start;
        return skipValue(s, start);
      case 6:
        r.recipientAccountIdAt = start;
        return skipValue(s, start);
      case 8:
        r.errorCodeAt = start;
        return skipValue(s, start);
      default: {
        const v = this.value(start);
        if (id === 1) r.timestamp = v;
        else if (id === 2) r.eventType = v;
        else if (id === 3) r.eventSource = v;
        else r.eventCategory = v;
        return this.end;
      }
    }
  };

  /** Reads the record object at `start` into `r`; returns the index after it. */
  read(start: number): number {
    this.r.reset();
    return walkObject(this.s, start, RECORD, this.member);
  }

  /**
   * The record's request parameters, reduced to the members a request key reads (each decoded
   * as a full parse would): extractRequestKeys gives the same keys as on the whole object.
   */
  requestParameters(): unknown {
    const { s } = this;
    const start = this.r.requestParameters;
    if (start < 0) return undefined;
    if (s[start] !== 0x7b) return parseAt(s, start, skipValue(s, start));
    const members: Record<string, unknown> = {};
    walkObject(s, start, PARAMETERS, (id, vs) => {
      members[REQUEST_KEY_MEMBERS[id] ?? ''] = this.strings.readOnce(s, vs);
      return this.end;
    });
    return members;
  }

  /** The record's `resources`, reduced to each element's ARN members. */
  resources(): unknown {
    const { s } = this;
    const start = this.r.resources;
    if (start < 0) return undefined;
    if (s[start] !== 0x5b) return parseAt(s, start, skipValue(s, start));
    const out: unknown[] = [];
    walkArray(s, start, (es) => {
      if (s[es] !== 0x7b) {
        out.push(null);
        return skipValue(s, es);
      }
      const element: Record<string, unknown> = {};
      out.push(element);
      return walkObject(s, es, RESOURCE, (id, vs) => {
        element[id === 0 ? 'ARN' : 'arn'] = this.value(vs);
        return this.end;
      });
    });
    return out;
  }
}

/** `resources[].ARN` (or `arn`), distinct and sorted, as attributeRecord reads them. */
function resourceArns(resources: unknown): string[] {
  if (!Array.isArray(resources) || resources.length === 0) return [];
  const arns = new Set<string>();
  for (const r of resources) {
    if (r === null || typeof r !== 'object') continue;
    const arn = text((r as Record<string, unknown>)['ARN']) ?? text((r as Record<string, unknown>)['arn']);
    if (arn !== undefined) arns.add(arn);
  }
  return arns.size <= 1 ? [...arns] : [...arns].sort(compareText);
}

/** Scans one file's text. Throws JsonScanError on malformed JSON (the file is bad as a whole). */
export function scanText(s: Buffer, shape: FileShape, query: UsageQuery): FileScan {
  const out: FileScan = { calls: new Map(), records: 0, validRecords: 0, first: null, last: null, dataSources: new Set() };
  const { window, roles } = query;
  const reader = new RecordReader(s);
  const { r } = reader;
  // A single large file (an export of millions of records) is folded as it grows, like a scan.
  let foldAt = FOLD_FLOOR;

  const record = (start: number): number => {
    out.records++;
    if (s[start] !== 0x7b) return skipValue(s, start); // null, a number, a string: not a record
    const end = reader.read(start);
    const rawTime = text(r.eventTime) ?? text(r.timestamp);
    const time = rawTime === undefined ? null : CANONICAL_TIME.test(rawTime) ? rawTime : recordTime({ eventTime: rawTime });
    if (time === null) return end;
    if (out.first === null || time < out.first) out.first = time;
    if (out.last === null || time > out.last) out.last = time;
    if (typeof r.eventSource !== 'string') return end;
    out.validRecords++;
    const timely = inWindow(window, time);
    if (timely && r.eventCategory === 'Data') out.dataSources.add(r.eventSource);
    // attributeRecord's rules: an AwsApiCall by a role's session, with a source and a name.
    const roleArn = text(r.issuerArn);
    const eventSource = text(r.eventSource);
    if (!timely || r.eventType !== 'AwsApiCall' || roleArn === undefined || eventSource === undefined) return end;
    if (text(r.issuerType) !== 'Role') return end;
    if (roles.kind !== 'all' && !roles.arns.includes(roleArn)) {
      const roleName = text(reader.at(r.issuerNameAt)) ?? roleArn.slice(roleArn.lastIndexOf('/') + 1);
      if (!roleFilterMatches(roles, roleArn, roleName)) return end;
    }
    const eventName = text(reader.at(r.eventNameAt));
    if (eventName === undefined) return end;
    const awsRegion = text(reader.at(r.awsRegionAt)) ?? '';
    const recipientAccountId = text(reader.at(r.recipientAccountIdAt)) ?? text(reader.at(r.accountIdAt)) ?? '';
    const eventCategory = text(r.eventCategory) ?? '';
    const errorCode = text(reader.at(r.errorCodeAt)) ?? null;
    const invokedBy = text(reader.at(r.invokedByAt)) ?? null;
    const params = extractRequestKeys(reader.requestParameters());
    const arns = resourceArns(reader.resources());
    // The group's identity within this file: JSON of the fields, params as an object (a callKey
    // holds them as pairs, so a folded row's callKey never equals a fresh row's key).
    const key = JSON.stringify([roleArn, eventSource, eventName, awsRegion, recipientAccountId, eventCategory, errorCode, invokedBy, params, arns]);
    const seen = out.calls.get(key);
    if (seen === undefined) {
      out.calls.set(key, {
        roleArn,
        eventSource,
        eventName,
        awsRegion,
        recipientAccountId,
        eventCategory,
        errorCode,
        invokedBy,
        params,
        resourceArns: arns,
        count: 1,
        firstSeen: time,
        lastSeen: time,
      });
      if (out.calls.size >= foldAt) {
        foldCallMap(out.calls);
        foldAt = Math.max(FOLD_FLOOR, out.calls.size * 2);
      }
    } else {
      seen.count++;
      if (time < seen.firstSeen) seen.firstSeen = time;
      if (time > seen.lastSeen) seen.lastSeen = time;
    }
    return end;
  };

  walkDocument(s, (start) => {
    const c = s[start];
    if (shape === 'wrapped') {
      if (c !== 0x7b) return skipValue(s, start);
      return walkObject(s, start, RECORDS, (_, vs) => (s[vs] === 0x5b ? walkArray(s, vs, record) : skipValue(s, vs)));
    }
    if (c === 0x5b) return walkArray(s, start, record);
    return record(start);
  });
  return out;
}

const RECORDS = new MemberNames(['Records']);
