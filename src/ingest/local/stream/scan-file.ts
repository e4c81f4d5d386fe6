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
import { compareText } from '../../../util/compare-text.js';
import { extractRequestKeys, REQUEST_KEY_MEMBERS, stringMemberKeys, type StringMemberKey } from '../../../mapping/request-keys.js';
import { dropNonResourceParams, familyIdOf, familyOf, FOLDED_PARAM, foldCallMap, foldKey, hintFamily, objectArnHeadLength, scanIdentity } from '../../fold.js';
import { inWindow, recordTime, roleFilterMatches } from '../../records.js';
import { Interner, MemberNames, parseAt, skipValue, walkArray, walkObject } from './json-scan.js';
import { ABSENT, FIELD, KEY_AT, locateRecords, nativeWalker, RAW, STRIDE, VALUE_INERT, VALUE_JSON, VALUE_KEY, VALUE_OBJECT, VALUE_PLAIN, type RecordIndex } from './record-index.js';

export interface FileScan {
  /** Call groups keyed by an identity string (merged by callKey across files later). */
  calls: Map<string, CallRow>;
  records: number;
  validRecords: number;
  first: string | null;
  last: string | null;
  dataSources: Set<string>;
  /** In rollup mode (the usage index): the call groups per UTC day and role name, `calls` empty. */
  pieces?: Map<string, DayPiece>;
  /** In rollup mode: records per UTC day, eventSource and eventCategory (null when absent). */
  coverage?: Map<string, { day: string; source: string; category: string | null; records: number }>;
}

/** One file's call groups of one UTC day and one role name (`userName`, null when absent). */
export interface DayPiece {
  day: string;
  roleName: string | null;
  calls: Map<string, CallRow>;
}

/** Groups a scan holds before it folds them, and again whenever they have doubled since. */
export const FOLD_FLOOR = 20_000;

const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** How a file holds its records: the DuckDB engine's rule (discover.ts), on the bytes in hand. */
export function shapeOf(path: string, bytes: Buffer): FileShape {
  return isDeliveryFile(path) ? 'wrapped' : shapeOfHead(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)));
}

/**
 * A buffer the native gunzip inflates into and keeps between files (one per thread): a file's
 * bytes are then a view of it, valid until the next file is read into it. Fresh pages for every
 * file (~4 KB page faults and zeroing by the kernel) cost ~5 % of reading and walking.
 */
export interface Scratch {
  buffer: Buffer;
}

/** Largest output chunk asked of zlib at once (a file inflating to more is read in chunks). */
const MAX_CHUNK = 256 * 1024 * 1024;
/** Largest output the native gunzip inflates into one buffer; larger files go to zlib in chunks. */
const MAX_NATIVE_OUTPUT = 1024 * 1024 * 1024;

/**
 * Reads a log file's JSON bytes, gunzipping any file that starts with the gzip magic bytes. The
 * output buffer is sized from the gzip trailer's ISIZE (the inflated size mod 2^32), so the
 * inflater writes one buffer instead of 16 KB chunks joined by a copy (gunzip of the 1M bench:
 * 1.8-2.0 s -> 1.4 s). ISIZE is only a hint: a multi-member or corrupt file still inflates
 * correctly (each member's CRC and length are checked), into a grown buffer or in more chunks.
 *
 * The native module's gunzip (libdeflate, native/gunzip.c) inflates at ~1.8x Node's zlib; zlib
 * is the fallback when the module is not built or `walker` is 'typescript'. Both accept and
 * refuse the same files (test/read-log-bytes.test.ts).
 */
export function readLogBytes(path: string, walker: 'auto' | 'typescript' = 'auto', scratch?: Scratch): Buffer {
  const bytes = readFileSync(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const isize = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  // Deflate inflates at most ~1032:1: a larger ISIZE is corrupt and must not size a buffer.
  const hint = Math.max(64 * 1024, Math.min(isize, bytes.length * 1032));
  const native = walker === 'auto' ? nativeWalker() : null;
  if (native !== null) {
    for (let size = hint; size <= MAX_NATIVE_OUTPUT; size = Math.min(size * 2, bytes.length * 1032)) {
      let out: Buffer;
      if (scratch === undefined) out = Buffer.allocUnsafe(size);
      else {
        // Grown by half again past need, so a few files set its size; kept between files.
        if (scratch.buffer.length < size) scratch.buffer = Buffer.allocUnsafe(Math.min(MAX_NATIVE_OUTPUT, Math.ceil(size * 1.5)));
        out = scratch.buffer.subarray(0, size);
      }
      const written = native.gunzip(bytes, out);
      if (written >= 0) return out.subarray(0, written);
      if (size === bytes.length * 1032) break;
    }
  }
  return gunzipSync(bytes, { chunkSize: Math.min(hint + 1, MAX_CHUNK) });
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const PARAMETERS = new MemberNames(REQUEST_KEY_MEMBERS);
/** The request keys per set of string members (FieldReader.requestKeys), by the set's ids as characters. */
const KEYS_BY_SHAPE = new Map<string, StringMemberKey[]>();
/** Per request-key member, its last entry in the listing being reduced (-1 between uses). */
const LAST_ENTRY = new Int32Array(REQUEST_KEY_MEMBERS.length).fill(-1);
const RESOURCE = new MemberNames(['ARN', 'arn']);

/** Decodes the located fields of one file's records (record-index.ts). */
class FieldReader {
  private readonly strings = new Interner();
  private base = 0;
  constructor(
    private readonly s: Buffer,
    private readonly index: RecordIndex,
  ) {}

  /** Reads record k's fields from here on. Returns the record's start. */
  seek(k: number): number {
    this.base = k * STRIDE;
    return this.index.rows[this.base] ?? -1;
  }

  /** A field's value as a full parse gives it (undefined when absent). */
  value(field: number): unknown {
    const { rows } = this.index;
    const at = this.base + 2 + 3 * field;
    const id = rows[at] ?? ABSENT;
    if (id >= 0) return this.index.strings[id];
    if (id === ABSENT) return undefined;
    return parseAt(this.s, rows[at + 1] ?? 0, rows[at + 2] ?? 0);
  }

  /** A field's id (a plain string's, ABSENT or RAW): equal ids >= 0 are equal strings. */
  id(field: number): number {
    return this.index.rows[this.base + 2 + 3 * field] ?? ABSENT;
  }

  private start(field: number): number {
    const at = this.base + 2 + 3 * field;
    return (this.index.rows[at] ?? ABSENT) === ABSENT ? -1 : (this.index.rows[at + 1] ?? -1);
  }

  /** A listed member value (ListedMembers) at parts[at]: as a full parse gives it, or null when inert. */
  private listed(parts: Int32Array, at: number): unknown {
    const start = parts[at + 1] ?? 0;
    const end = parts[at + 2] ?? 0;
    const how = parts[at + 3];
    return how === VALUE_INERT ? null : how === VALUE_JSON ? parseAt(this.s, start, end) : this.s.toString('utf8', start + 1, end - 1);
  }

  /**
   * The record's request parameters, reduced to the members a request key reads (each decoded
   * as a full parse would): extractRequestKeys gives the same keys as on the whole object.
   */
  requestParameters(): unknown {
    const { s } = this;
    const start = this.start(FIELD.requestParameters);
    if (start < 0) return undefined;
    const { parts, at } = this.index.params;
    const k = at[RAW - this.id(FIELD.requestParameters)] ?? -1;
    const m = parts[k] ?? -1;
    if (m >= 0) {
      // Listed by the walk: its members' values, assigned in order (the last duplicate wins).
      const members: Record<string, unknown> = {};
      for (let v = k + 1; v < k + 1 + 4 * m; v += 4) members[REQUEST_KEY_MEMBERS[parts[v] ?? 0] ?? ''] = this.listed(parts, v);
      return members;
    }
    if (s[start] !== 0x7b) return parseAt(s, start, skipValue(s, start));
    const members: Record<string, unknown> = {};
    walkObject(s, start, PARAMETERS, (id, vs) => {
      members[REQUEST_KEY_MEMBERS[id] ?? ''] = this.strings.readOnce(s, vs);
      return this.strings.end;
    });
    return members;
  }

  /**
   * extractRequestKeys of the record's request parameters. A listed value whose members are all
   * plain strings or inert (the common case) is reduced by the keys its set of string members
   * gives (stringMemberKeys, computed once per set), without building the object.
   */
  requestKeys(): Record<string, string> {
    const { parts, at } = this.index.params;
    const k = at[RAW - this.id(FIELD.requestParameters)] ?? -1;
    const m = parts[k] ?? -1;
    if (m < 0) return extractRequestKeys(this.requestParameters());
    // The last of duplicate members wins, as in an object; a string member is one whose last value is plain.
    const last = LAST_ENTRY;
    let shape = '';
    for (let v = k + 1, e = 0; e < m; e++, v += 4) {
      if (parts[v + 3] === VALUE_JSON) {
        for (let w = k + 1; w < v; w += 4) last[parts[w] ?? 0] = -1;
        return extractRequestKeys(this.requestParameters());
      }
      last[parts[v] ?? 0] = v;
    }
    for (let v = k + 1, e = 0; e < m; e++, v += 4) {
      const id = parts[v] ?? 0;
      // A string member: plain, or the object key (VALUE_KEY, here the class's first value's).
      if (last[id] === v && (parts[v + 3] === VALUE_PLAIN || parts[v + 3] === VALUE_KEY)) shape += String.fromCharCode(id + 1);
    }
    let keys = KEYS_BY_SHAPE.get(shape);
    if (keys === undefined) {
      keys = stringMemberKeys([...shape].map((c) => c.charCodeAt(0) - 1));
      KEYS_BY_SHAPE.set(shape, keys);
    }
    const out: Record<string, string> = {};
    for (const { name, member, json } of keys) {
      const v = last[member] ?? 0;
      const value = this.s.toString('utf8', (parts[v + 1] ?? 0) + 1, (parts[v + 2] ?? 0) - 1);
      out[name] = json ? JSON.stringify(value) : value;
    }
    for (let v = k + 1, e = 0; e < m; e++, v += 4) last[parts[v] ?? 0] = -1;
    return out;
  }

  /**
   * resourceArns of the record's `resources`: from the listing when the walk listed it (an
   * element's ARN, else its arn, as a non-empty string), else from the decoded value. Of a listed
   * value, also the ARNs that are S3 object ARNs whose key is the record's (VALUE_OBJECT: their
   * heads) and the others, for a record to build its own from (scanText).
   */
  resourceArns(): ReducedArns {
    const { parts, at } = this.index.resources;
    let k = at[RAW - this.id(FIELD.resources)] ?? -1;
    const elements = parts[k++] ?? -1;
    if (elements < 0) {
      const value = resourceArns(this.resources());
      return { value, heads: [], others: value };
    }
    const arns = new Set<string>();
    const heads = new Set<string>();
    const others = new Set<string>();
    for (let e = 0; e < elements; e++) {
      const m = parts[k++] ?? -1;
      if (m < 0) continue;
      // The element's ARN and arn (duplicates: the last wins; each is decoded, as in an object).
      let upper: unknown;
      let lower: unknown;
      let upperAt = -1;
      let lowerAt = -1;
      for (const end = k + 4 * m; k < end; k += 4) {
        if (parts[k] === 0) upper = this.listed(parts, (upperAt = k));
        else lower = this.listed(parts, (lowerAt = k));
      }
      const chosen = text(upper) !== undefined ? upperAt : text(lower) !== undefined ? lowerAt : -1;
      if (chosen < 0) continue;
      const arn = text(chosen === upperAt ? upper : lower) ?? '';
      arns.add(arn);
      if (parts[chosen + 3] === VALUE_OBJECT) heads.add(arn.slice(0, objectArnHeadLength(arn)));
      else others.add(arn);
    }
    const sorted = (set: Set<string>): string[] => (set.size <= 1 ? [...set] : [...set].sort(compareText));
    return { value: sorted(arns), heads: sorted(heads), others: sorted(others) };
  }

  /** The current record's S3 object key when its requestParameters' class leaves it out (VALUE_KEY), else undefined. */
  objectKey(): string | undefined {
    const start = this.index.rows[this.base + KEY_AT] ?? -1;
    return start < 0 ? undefined : this.s.toString('utf8', start + 1, (this.index.rows[this.base + KEY_AT + 1] ?? 0) - 1);
  }

  /** The record's `resources`, reduced to each element's ARN members. */
  resources(): unknown {
    const { s } = this;
    const start = this.start(FIELD.resources);
    if (start < 0) return undefined;
    const { parts, at } = this.index.resources;
    let k = at[RAW - this.id(FIELD.resources)] ?? -1;
    const elements = parts[k++] ?? -1;
    if (elements >= 0) {
      const out: unknown[] = [];
      for (let e = 0; e < elements; e++) {
        const m = parts[k++] ?? -1;
        if (m < 0) {
          out.push(null);
          continue;
        }
        const element: Record<string, unknown> = {};
        out.push(element);
        for (const end = k + 4 * m; k < end; k += 4) element[parts[k] === 0 ? 'ARN' : 'arn'] = this.listed(parts, k);
      }
      return out;
    }
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
        element[id === 0 ? 'ARN' : 'arn'] = this.strings.read(s, vs);
        return this.strings.end;
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

/** A `requestParameters` or `resources` value reduced for grouping, with its JSON. */
interface Reduced<T> {
  value: T;
  json: string;
}

/**
 * A `resources` class reduced: its ARNs (resourceArns); of a listed value also the heads of its
 * S3 object ARNs whose key is each record's own (VALUE_OBJECT) and its other ARNs, sorted.
 */
interface ReducedArns {
  value: string[];
  heads: string[];
  others: string[];
}

/** `reduce()` of the value with span id `id` (RAW - n), once per distinct value of the file. */
function reducedOnce<T>(cache: Array<Reduced<T> | undefined>, id: number, reduce: () => T): Reduced<T> {
  const n = RAW - id;
  let hit = cache[n];
  if (hit === undefined) {
    const value = reduce();
    hit = { value, json: JSON.stringify(value) };
    if (n >= 0) cache[n] = hit;
  }
  return hit;
}

/**
 * What the records of one group (RecordIndex.groups: equal fields but for their time) share,
 * decoded from the group's first record: whether it counts as valid, its evidence of data
 * events, and once one of its records is in the window, its call group.
 */
interface Group {
  /** The eventSource when it is a string (a valid record), else null. */
  source: string | null;
  category: string | null;
  data: boolean;
  /** Could be attributed to a role (attributeRecord's rules but the window and role filter). */
  candidate: boolean;
  /** Resolved at the group's first record in the window: its call (null: not attributed). */
  call: GroupCall | null | undefined;
  /** The call row it last counted into, that row's object key (keyed calls), day (rollup) and the fold count then. */
  row: CallRow | undefined;
  rowKey: string | undefined;
  rowDay: string;
  rowFold: number;
  /** The coverage entry it last counted into, and its day (rollup). */
  covered: { records: number } | undefined;
  coveredDay: string;
}

/** The fields a call head reads (scanText's headOf): equal ids, equal heads. */
const HEAD_FIELDS = [
  FIELD['userIdentity.sessionContext.sessionIssuer.arn'], FIELD['userIdentity.sessionContext.sessionIssuer.userName'],
  FIELD.eventSource, FIELD.eventName, FIELD.awsRegion, FIELD.recipientAccountId, FIELD['userIdentity.accountId'],
  FIELD.eventCategory, FIELD.errorCode, FIELD['userIdentity.invokedBy'],
];

/** A call's fields but its parameters and resources, its key's JSON prefix, and its role name. */
interface CallHead extends Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen' | 'params' | 'resourceArns'> {
  /** `JSON.stringify` of the fields in callKey order, without its closing bracket. */
  json: string;
  roleName: string | null;
}

/**
 * A group's call: its identity in the file's call map, the row's fields, and its role name. A
 * keyed call (its requestParameters' class leaves the S3 object key out: VALUE_KEY) is a call per
 * object its records read: each record's row is the call's with the record's key in its
 * parameters and object ARNs (`heads` + key, with `others`), under scanIdentity(familyId, key).
 */
interface GroupCall {
  /** The identity of a call that is not keyed (a keyed call's rows have one per key). */
  key: string;
  row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'>;
  roleName: string | null;
  keyed: boolean;
  heads: string[];
  others: string[];
  /**
   * The call's fold family (familyOf), for a keyed call whatever the key, when the call alone
   * decides it (else worked out per row); undefined for a call without an object key.
   */
  familyId: string | undefined;
  /** The depth a keyed call's keys fold to on arrival (`foldDepth`; Infinity: not folded). */
  depth: number;
}

/**
 * Scans one file's text. Throws JsonScanError (or the SyntaxError of a bad escape) on malformed
 * JSON: the file is bad as a whole.
 *
 * Records of a group share every field but their time, so what depends only on those fields
 * (validity, attribution, the call's key) is decoded once per group, at its first record (the
 * fields a record in the window reads, at its first record in the window): every distinct value
 * is still decoded, so a malformed one fails the file as it did when each record was decoded.
 */
export function scanText(
  s: Buffer,
  shape: FileShape,
  query: UsageQuery,
  walker: 'auto' | 'typescript' = 'auto',
  rollup = false,
  foldDepth?: (familyId: string) => number,
): FileScan {
  const out: FileScan = { calls: new Map(), records: 0, validRecords: 0, first: null, last: null, dataSources: new Set() };
  const pieces = new Map<string, DayPiece>();
  const coverage = new Map<string, { day: string; source: string; category: string | null; records: number }>();
  if (rollup) {
    out.pieces = pieces;
    out.coverage = coverage;
  }
  let rows = 0;
  const { window, roles } = query;
  const index = locateRecords(s, shape === 'wrapped', walker);
  const f = new FieldReader(s, index);
  // Per distinct string of this file: whether it is a canonical time (1) or not (-1).
  const canonical = new Int8Array(index.strings.length);
  // Per requestParameters / resources class of this file (its id RAW - n, by n): the request
  // keys and the resource ARNs, each with its JSON for the group key.
  const paramsOf: Array<Reduced<Record<string, string>> | undefined> = [];
  const arnsOf: Array<Reduced<ReducedArns> | undefined> = [];
  const groups: Array<Group | undefined> = [];
  const heads = new Map<string, CallHead | null>();
  // A single large file (an export of millions of records) is folded as it grows, like a scan;
  // each fold replaces rows, so a group's remembered row is good until the next fold.
  let foldAt = FOLD_FLOOR;
  let folds = 0;

  /** The group's shared fields, read from its first record (the reader's current one). */
  const resolveGroup = (): Group => {
    const eventType = f.value(FIELD.eventType);
    const source = f.value(FIELD.eventSource);
    const eventCategory = f.value(FIELD.eventCategory);
    const issuerType = f.value(FIELD['userIdentity.sessionContext.sessionIssuer.type']);
    const issuerArn = f.value(FIELD['userIdentity.sessionContext.sessionIssuer.arn']);
    // attributeRecord's rules: an AwsApiCall by a role's session, with a source and a name.
    const candidate = eventType === 'AwsApiCall' && text(issuerArn) !== undefined && text(source) !== undefined && text(issuerType) === 'Role';
    return {
      source: typeof source === 'string' ? source : null,
      category: typeof eventCategory === 'string' ? eventCategory : null,
      data: eventCategory === 'Data',
      candidate,
      call: undefined,
      row: undefined,
      rowKey: undefined,
      rowDay: '',
      rowFold: -1,
      covered: undefined,
      coveredDay: '',
    };
  };

  /** The call's fields but its parameters and resources, read from the reader's current record (null: the role filter or a missing name drops it). */
  const readHead = (group: Group): CallHead | null => {
    const roleArn = text(f.value(FIELD['userIdentity.sessionContext.sessionIssuer.arn'])) ?? '';
    const name = f.value(FIELD['userIdentity.sessionContext.sessionIssuer.userName']);
    if (roles.kind !== 'all') {
      const roleName = text(name) ?? roleArn.slice(roleArn.lastIndexOf('/') + 1);
      if (!roles.arns.includes(roleArn) && !roleFilterMatches(roles, roleArn, roleName)) return null;
    }
    const eventName = text(f.value(FIELD.eventName));
    if (eventName === undefined) return null;
    const eventSource = group.source ?? '';
    const awsRegion = text(f.value(FIELD.awsRegion)) ?? '';
    const recipientAccountId = text(f.value(FIELD.recipientAccountId)) ?? text(f.value(FIELD['userIdentity.accountId'])) ?? '';
    const eventCategory = group.category ?? '';
    const errorCode = text(f.value(FIELD.errorCode)) ?? null;
    const invokedBy = text(f.value(FIELD['userIdentity.invokedBy'])) ?? null;
    // The group's identity within this file starts with the JSON of these fields (resolveCall).
    const json = JSON.stringify([roleArn, eventSource, eventName, awsRegion, recipientAccountId, eventCategory, errorCode, invokedBy]);
    return { json: json.slice(0, -1), roleArn, eventSource, eventName, awsRegion, recipientAccountId, eventCategory, errorCode, invokedBy, roleName: typeof name === 'string' ? name : null };
  };

  /**
   * The call head of the current record, once per distinct head of the file: groups that differ
   * only in their parameters or resources share it. Heads are told apart by their fields' ids,
   * which are equal only for equal plain strings (or absence); a head with another value is read
   * for each group, so its value is decoded (and a malformed one fails the file) as before.
   */
  const headOf = (group: Group): CallHead | null => {
    let id = '';
    for (const field of HEAD_FIELDS) {
      const n = f.id(field);
      if (n < ABSENT) return readHead(group);
      id += `${n},`;
    }
    let head = heads.get(id);
    if (head === undefined) heads.set(id, (head = readHead(group)));
    return head;
  };

  /** The group's call, read from its first record in the window (null: the role filter or a missing name drops it). */
  const resolveCall = (group: Group): GroupCall | null => {
    const h = headOf(group);
    if (h === null) return null;
    const p = reducedOnce(paramsOf, f.id(FIELD.requestParameters), () => f.requestKeys());
    const a = reducedOnce(arnsOf, f.id(FIELD.resources), () => f.resourceArns());
    const row = {
      roleArn: h.roleArn,
      eventSource: h.eventSource,
      eventName: h.eventName,
      awsRegion: h.awsRegion,
      recipientAccountId: h.recipientAccountId,
      eventCategory: h.eventCategory,
      errorCode: h.errorCode,
      invokedBy: h.invokedBy,
      params: p.value,
      resourceArns: a.value.value,
    };
    const call: GroupCall = { key: '', row, roleName: h.roleName, keyed: f.objectKey() !== undefined, heads: a.value.heads, others: a.value.others, familyId: undefined, depth: Infinity };
    const objectKey = p.value[FOLDED_PARAM];
    if (call.keyed) {
      // The family is the call's when nothing in it depends on the key: no request key is
      // dropped (dropNonResourceParams), and no other ARN could be an object ARN of some key.
      const sample = { ...row, count: 0, firstSeen: '', lastSeen: '' };
      if (dropNonResourceParams(sample) === sample && call.others.every((arn) => objectArnHeadLength(arn) === 0)) {
        call.familyId = familyIdOf(h.json, p.value, call.others, call.heads);
        // The family's depth now (the worker's FoldingCalls): its keys fold to it on arrival.
        if (foldDepth !== undefined && !rollup) call.depth = foldDepth(call.familyId);
      }
    } else if (objectKey !== undefined) {
      call.familyId = familyOf({ ...row, count: 0, firstSeen: '', lastSeen: '' }, objectKey).id;
      call.key = scanIdentity(call.familyId, objectKey);
    } else {
      // The group's identity within this file: JSON of the fields, params as an object (a
      // callKey holds them as pairs, so a folded row's callKey never equals a fresh row's key).
      call.key = `${h.json},${p.json},${a.json}]`;
    }
    return call;
  };

  /**
   * A keyed call's parameters and object ARNs for the record's object key `key` (already folded
   * to the call's depth), its identity and its family.
   */
  const keyedRow = (call: GroupCall, key: string): { identity: string; params: Record<string, string>; resourceArns: string[]; familyId: string } => {
    const params = Object.assign({}, call.row.params);
    params[FOLDED_PARAM] = key;
    let resourceArns = call.row.resourceArns;
    if (call.heads.length === 1 && call.others.length === 0) resourceArns = [call.heads[0] + key];
    else if (call.heads.length > 0) {
      const arns = new Set(call.others);
      for (const head of call.heads) arns.add(head + key);
      resourceArns = arns.size <= 1 ? [...arns] : [...arns].sort(compareText);
    }
    const familyId = call.familyId ?? familyOf({ ...call.row, params, resourceArns, count: 0, firstSeen: '', lastSeen: '' }, key).id;
    return { identity: scanIdentity(familyId, key, call.depth), params, resourceArns, familyId };
  };

  for (let k = 0; k < index.count; k++) {
    out.records++;
    const start = f.seek(k);
    if (s[start] !== 0x7b) continue; // null, a number, a string: not a record
    // The time is decoded in every record, the other fields once per group (see above).
    const timeId = f.id(FIELD.eventTime);
    let time: string | null;
    if (timeId >= 0 && (canonical[timeId] === 1 || (canonical[timeId] === 0 && (canonical[timeId] = CANONICAL_TIME.test(index.strings[timeId] ?? '') ? 1 : -1) === 1))) {
      time = index.strings[timeId] ?? null;
      // Unread, but a malformed value still fails the file.
      if (f.id(FIELD['@timestamp']) <= RAW) f.value(FIELD['@timestamp']);
    } else {
      const rawTime = text(f.value(FIELD.eventTime)) ?? text(f.value(FIELD['@timestamp']));
      time = rawTime === undefined ? null : CANONICAL_TIME.test(rawTime) ? rawTime : recordTime({ eventTime: rawTime });
    }
    const g = index.groups[k] ?? -1;
    let group = groups[g];
    if (group === undefined) {
      group = resolveGroup();
      groups[g] = group;
    }
    if (time === null) continue;
    if (out.first === null || time < out.first) out.first = time;
    if (out.last === null || time > out.last) out.last = time;
    const source = group.source;
    if (source === null) continue;
    out.validRecords++;
    const day = rollup ? time.slice(0, 10) : '';
    if (rollup) {
      if (group.coveredDay === day && group.covered !== undefined) {
        group.covered.records++;
      } else {
        const id = `${day}\u0000${source}\u0000${group.category ?? '\u0001'}`;
        let seen = coverage.get(id);
        if (seen === undefined) coverage.set(id, (seen = { day, source, category: group.category, records: 1 }));
        else seen.records++;
        group.covered = seen;
        group.coveredDay = day;
      }
    }
    if (!inWindow(window, time)) continue;
    if (group.data) out.dataSources.add(source);
    if (!group.candidate) continue;
    const call = group.call === undefined ? (group.call = resolveCall(group)) : group.call;
    if (call === null) continue;
    // A keyed call's row is per object key: the record's own, folded to the family's depth.
    let key = call.keyed ? (f.objectKey() ?? '') : undefined;
    if (key !== undefined && call.depth !== Infinity) key = foldKey(key, call.depth);
    let seen = group.row;
    if (seen !== undefined && group.rowFold === folds && group.rowDay === day && group.rowKey === key) {
      seen.count++;
      if (time < seen.firstSeen) seen.firstSeen = time;
      if (time > seen.lastSeen) seen.lastSeen = time;
      continue;
    }
    let calls = out.calls;
    if (rollup) {
      const id = `${day}\u0000${call.roleName ?? '\u0001'}`;
      let piece = pieces.get(id);
      if (piece === undefined) {
        piece = { day, roleName: call.roleName, calls: new Map() };
        pieces.set(id, piece);
      }
      calls = piece.calls;
    }
    const r = call.row;
    let identity = call.key;
    let params = r.params;
    let resourceArns = r.resourceArns;
    let familyId = call.familyId;
    if (key !== undefined) ({ identity, params, resourceArns, familyId } = keyedRow(call, key));
    seen = calls.get(identity);
    group.row = seen;
    group.rowKey = key;
    group.rowDay = day;
    group.rowFold = folds;
    if (seen !== undefined) {
      seen.count++;
      if (time < seen.firstSeen) seen.firstSeen = time;
      if (time > seen.lastSeen) seen.lastSeen = time;
      continue;
    }
    // Spelled out: a spread copies generically (1 s of the 1M all-roles scan), and the rows'
    // shape stays that of every other CallRow.
    seen = {
      roleArn: r.roleArn,
      eventSource: r.eventSource,
      eventName: r.eventName,
      awsRegion: r.awsRegion,
      recipientAccountId: r.recipientAccountId,
      eventCategory: r.eventCategory,
      errorCode: r.errorCode,
      invokedBy: r.invokedBy,
      params,
      resourceArns,
      count: 1,
      firstSeen: time,
      lastSeen: time,
    };
    if (key !== undefined && call.depth !== Infinity) seen.foldedDepth = call.depth;
    if (familyId !== undefined) hintFamily(seen, familyId);
    calls.set(identity, seen);
    group.row = seen;
    if (++rows >= foldAt) {
      // The fold replaces rows (this one too, perhaps): what groups remember is stale after it.
      rows = 0;
      if (rollup) for (const piece of pieces.values()) rows += foldCallMap(piece.calls).size;
      else rows = foldCallMap(out.calls).size;
      foldAt = Math.max(FOLD_FLOOR, rows * 2);
      folds++;
    }
  }
  if (index.error !== undefined) throw index.error;
  return out;
}
