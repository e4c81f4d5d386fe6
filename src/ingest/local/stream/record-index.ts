/**
 * Where each CloudTrail record's fields are, in one file's JSON bytes: the structural walk of a
 * stream scan, apart from what the scan does with the fields (scan-file.ts). Two walkers give the
 * same {@link RecordIndex}:
 *
 * - the native one (`native/scan.c`, built by `npm install` with node-gyp): C with SSE2, ~5x the
 *   TypeScript walk;
 * - the TypeScript one below (json-scan.ts), used when the native module is not built (no C
 *   compiler) or `IAMTRIM_NATIVE=0`.
 *
 * `test/record-index.test.ts` holds them equal on generated documents, malformed ones included:
 * the same rows, the same strings, the same error at the same byte.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { membersReadOnlyAs, REQUEST_KEY_MEMBER_SCALAR, REQUEST_KEY_MEMBERS } from '../../../mapping/request-keys.js';
import { FOLDED_PARAM, objectArnHeadLength } from '../../fold.js';
import { hasBackslash, JsonScanError, MemberNames, skipSpace, skipString, skipValue, walkArray, walkDocument, walkObject } from './json-scan.js';

/** The fields located per record, in row order (native/scan.c's enum). */
export const FIELDS = [
  'eventTime', '@timestamp', 'eventType', 'eventSource', 'eventName', 'awsRegion', 'recipientAccountId',
  'eventCategory', 'errorCode', 'requestParameters', 'resources',
  'userIdentity.accountId', 'userIdentity.invokedBy',
  'userIdentity.sessionContext.sessionIssuer.type', 'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.userName',
] as const;
export type Field = (typeof FIELDS)[number];
export const FIELD = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as { [F in Field]: number };

/**
 * Int32 slots per record: its start and end, then (id, start, end) per field, then at KEY_AT the
 * span (quotes included) of its S3 object key when its requestParameters' class leaves the key
 * out (VALUE_KEY), else -1, -1.
 */
export const KEY_AT = 2 + 3 * FIELDS.length;
export const STRIDE = KEY_AT + 2;
/** A field's id when the record has no such member. */
export const ABSENT = -1;
/**
 * A field's id when its value is not a plain string (another JSON value, or a string with
 * escapes). `requestParameters` and `resources` are never plain strings: their ids are RAW - n,
 * n a class of values whose listings (ListedMembers) are equal, numbered from 0 per file and
 * field, so a scan reduces each class once. An unlisted value is a class of its own bytes.
 */
export const RAW = -2;

/** How a listed value reads: decode its bytes; a string without escapes; gives nothing (null). */
export const VALUE_JSON = 0;
export const VALUE_PLAIN = 1;
export const VALUE_INERT = 2;
/**
 * A string without escapes, the only member of a requestParameters value read as the S3 object
 * key (`key` or `Key`, REQUEST_KEY_OBJECT_KEY): the class leaves its bytes out, so requests that
 * differ only in the object they read share it. Each record's own key is at KEY_AT in its row;
 * the listing's span is the first value's.
 */
export const VALUE_KEY = 3;
/**
 * A string without escapes in `resources`, an S3 object ARN (`arn:<partition>:s3:::<bucket>/...`)
 * whose suffix after that head is the record's object key (VALUE_KEY): the class keeps only the
 * head, so the record's ARN is the head and its key. A record whose object ARNs are not its own
 * key's (or that has no VALUE_KEY) gets the class with every value's bytes instead.
 */
export const VALUE_OBJECT = 4;

/**
 * Where the members a scan reads are in each class n of `requestParameters` (or `resources`)
 * values of a file (its first value's): `parts[at[n]]` starts its entry. Values are listed as
 * four ints: (member id, start, end, how it reads), in document order, duplicates included. A
 * value is inert when it gives nothing to what a scan reads from it: null; an object or array
 * for a member read only as a scalar (REQUEST_KEY_MEMBER_SCALAR); for ARN or arn, anything but a
 * non-empty string. Inert values share a class whatever their bytes.
 *
 * - requestParameters: -1 (not an object, a member name with an escape, or broken syntax inside
 *   it: decode its bytes), or
 *   the count m of its members named in REQUEST_KEY_MEMBERS, then m values (id: index there).
 * - resources: -1 (not an array, an element's member name with an escape, broken syntax), or the element
 *   count e, then per element -1 (not an object) or the count m of its `ARN` (id 0) and `arn`
 *   (id 1) members, then m values.
 */
export interface ListedMembers {
  parts: Int32Array;
  at: Int32Array;
}

/**
 * The records of one file. Row k is `rows[k*STRIDE ..]`: record start and end (end -1 if the walk
 * stopped inside it), then per field an id (>= 0: `strings[id]`, the value's plain string;
 * ABSENT; <= RAW: decode the bytes [start, end)) and the value's start and end.
 */
export interface RecordIndex {
  rows: Int32Array;
  count: number;
  strings: string[];
  params: ListedMembers;
  resources: ListedMembers;
  /**
   * Per record, its group: records whose fields other than eventTime and @timestamp have equal
   * ids share one (numbered from 0 in order of first record), so a scan resolves what they share
   * once. A record with another field that is not a plain string is a group of its own.
   */
  groups: Int32Array;
  /** Set when the walk stopped at malformed JSON; the rows before it are complete. */
  error?: Error;
}

/** Per REQUEST_KEY_MEMBERS entry: read only as the S3 object key (VALUE_KEY). */
const REQUEST_KEY_OBJECT_KEY = membersReadOnlyAs(FOLDED_PARAM);
/**
 * REQUEST_KEY_MEMBERS as the native walker takes them: per name "2" (read only as the object
 * key), "1" (scalar-only) or "0", the name, a newline.
 */
const PARAM_NAMES = REQUEST_KEY_MEMBERS.map((name, id) => `${REQUEST_KEY_OBJECT_KEY[id] === true ? 2 : REQUEST_KEY_MEMBER_SCALAR[id] === true ? 1 : 0}${name}\n`).join('');
// The native walker compares names of up to 64 bytes.
if (REQUEST_KEY_MEMBERS.some((name) => Buffer.byteLength(name) > 64 || name.includes('\n'))) {
  throw new Error('request-keys.json: a top-level member name is over 64 bytes or holds a newline');
}

interface NativeResult {
  rows: Int32Array;
  count: number;
  strings: string[];
  params: Int32Array;
  paramsAt: Int32Array;
  resources: Int32Array;
  resourcesAt: Int32Array;
  groups: Int32Array;
  error?: string;
  errorAt?: number;
  errorEnd?: number;
}
interface NativeModule {
  locate(bytes: Uint8Array, wrapped: boolean, paramNames: string): NativeResult;
  /** native/gunzip.c: inflates a gzip file into `output`; the bytes written, or -1 when `output` is too small. */
  gunzip(input: Uint8Array, output: Uint8Array): number;
  stride: number;
  fields: number;
}

/** `native/build/Release/` from src/ingest/local/stream and dist/ingest/local/stream alike. */
const NATIVE_PATH = fileURLToPath(new URL('../../../../native/build/Release/iamtrim_scan.node', import.meta.url));

let native: NativeModule | null | undefined;

/** The native walker, or null when it is not built or is turned off with IAMTRIM_NATIVE=0. */
export function nativeWalker(): NativeModule | null {
  if (native !== undefined) return native;
  native = null;
  if (process.env['IAMTRIM_NATIVE'] === '0' || !existsSync(NATIVE_PATH)) return native;
  const loaded = createRequire(import.meta.url)(NATIVE_PATH) as NativeModule;
  // A module built from another version of scan.c would misread rows: refuse it loudly.
  if (loaded.stride !== STRIDE || loaded.fields !== FIELDS.length || typeof loaded.gunzip !== 'function') {
    throw new Error(`${NATIVE_PATH} was built from another version of native/scan.c; run npm run build`);
  }
  native = loaded;
  return native;
}

/** Which walker scans run with (for `--verbose` output and the bench). */
export function walkerName(): 'native' | 'typescript' {
  return nativeWalker() === null ? 'typescript' : 'native';
}

/** Locates the records of `bytes` (`wrapped`: a delivery file's `{"Records":[...]}`). */
export function locateRecords(bytes: Buffer, wrapped: boolean, walker: 'auto' | 'typescript' = 'auto'): RecordIndex {
  const module = walker === 'auto' && bytes.length < 0x7fffffff ? nativeWalker() : null;
  if (module === null) return locateRecordsTs(bytes, wrapped);
  const result = module.locate(bytes, wrapped, PARAM_NAMES);
  const index: RecordIndex = {
    rows: result.rows,
    count: result.count,
    strings: result.strings,
    params: { parts: result.params, at: result.paramsAt },
    resources: { parts: result.resources, at: result.resourcesAt },
    groups: result.groups,
  };
  if (result.error !== undefined) index.error = nativeError(bytes, result);
  return index;
}

/** The error the TypeScript walker throws at the same place. */
function nativeError(bytes: Buffer, result: NativeResult): Error {
  const at = result.errorAt ?? 0;
  if (result.error === 'bad key') {
    // A member name whose escapes JSON.parse rejects: its own SyntaxError, as json-scan.ts gives.
    try {
      JSON.parse(bytes.toString('utf8', at, result.errorEnd ?? at));
    } catch (cause) {
      return cause as Error;
    }
  }
  return new JsonScanError(result.error ?? 'invalid JSON', at);
}

const RECORD = new MemberNames([
  'eventTime', '@timestamp', 'eventType', 'eventSource', 'eventName', 'awsRegion', 'recipientAccountId',
  'eventCategory', 'errorCode', 'requestParameters', 'resources', 'userIdentity',
]);
const USER_IDENTITY = 11;
const IDENTITY = new MemberNames(['accountId', 'invokedBy', 'sessionContext']);
const SESSION = new MemberNames(['sessionIssuer']);
const ISSUER = new MemberNames(['type', 'arn', 'userName']);
const RECORDS = new MemberNames(['Records']);
const PARAMETERS = new MemberNames(REQUEST_KEY_MEMBERS);
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** A growable Int32Array. */
class Ints {
  data = new Int32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** The listing of distinct values (ListedMembers) as a walk builds it. */
class Listing {
  readonly parts = new Ints();
  readonly at = new Ints();
  done(): ListedMembers {
    return { parts: this.parts.done(), at: this.at.done() };
  }
}

/**
 * The members one kind of value lists: the key token [start, end)'s member id (a request-key
 * member's index, or ARN 0 / arn 1), and whether its value [start, end) is inert.
 */
interface Listed {
  id(s: Buffer, start: number, end: number): number;
  inert(s: Buffer, id: number, start: number, end: number): boolean;
}
const PARAM_MEMBERS: Listed = {
  id: (s, start, end) => PARAMETERS.idOf(s, start, end),
  inert: (s, id, start, end) =>
    (end - start === 4 && s.toString('latin1', start, end) === 'null') || ((s[start] === OPEN_BRACE || s[start] === OPEN_BRACKET) && REQUEST_KEY_MEMBER_SCALAR[id] === true),
};
const ARN_MEMBERS: Listed = {
  id: (s, start, end) => {
    if (end - start !== 5) return -1;
    const name = s.toString('latin1', start + 1, end - 1);
    return name === 'ARN' ? 0 : name === 'arn' ? 1 : -1;
  },
  inert: (s, _, start, end) => s[start] !== QUOTE || end - start === 2,
};

/**
 * native/scan.c's skip_listed: skipValue inside a value skipValue has passed, or -1 where it
 * throws (only a literal's syntax can fail there: brackets and strings were checked by the walk).
 */
function skipListed(s: Buffer, i: number): number {
  try {
    return skipValue(s, i);
  } catch (cause) {
    if (cause instanceof JsonScanError) return -1;
    throw cause;
  }
}

/**
 * native/scan.c's list_members: the members of the object at `i` that `members` names, into
 * `parts`. False when a member name has an escape or the object's syntax is broken.
 */
function listMembers(s: Buffer, parts: Ints, i: number, members: Listed): boolean {
  const countAt = parts.length;
  parts.push(0);
  let j = skipSpace(s, i + 1);
  if (s[j] === CLOSE_BRACE) return true;
  for (;;) {
    if (s[j] !== QUOTE) return false;
    const keyEnd = skipString(s, j);
    if (hasBackslash(s, j + 1, keyEnd - 1)) return false;
    const id = members.id(s, j, keyEnd);
    j = skipSpace(s, keyEnd);
    if (s[j] !== COLON) return false;
    const start = skipSpace(s, j + 1);
    const end = skipListed(s, start);
    if (end < 0) return false;
    if (id >= 0) {
      parts.push(id);
      parts.push(start);
      parts.push(end);
      parts.push(members.inert(s, id, start, end) ? VALUE_INERT : s[start] === QUOTE && !hasBackslash(s, start + 1, end - 1) ? VALUE_PLAIN : VALUE_JSON);
      parts.data[countAt] = (parts.data[countAt] ?? 0) + 1;
    }
    j = skipSpace(s, end);
    if (s[j] === CLOSE_BRACE) return true;
    if (s[j] !== COMMA) return false;
    j = skipSpace(s, j + 1);
  }
}

/** native/scan.c's list_params: lists the requestParameters value at `start` (ListedMembers). */
function listParams(s: Buffer, listing: Listing, start: number): void {
  const { parts } = listing;
  const mark = parts.length;
  if (s[start] === OPEN_BRACE && listMembers(s, parts, start, PARAM_MEMBERS)) return;
  parts.length = mark;
  parts.push(-1);
}

/** native/scan.c's list_resources: lists the resources value at `start` (ListedMembers). */
function listResources(s: Buffer, listing: Listing, start: number): void {
  const { parts } = listing;
  const mark = parts.length;
  if (s[start] === OPEN_BRACKET) {
    parts.push(0);
    let j = skipSpace(s, start + 1);
    let listed = true;
    if (s[j] !== CLOSE_BRACKET) {
      for (;;) {
        const end = skipListed(s, j);
        if (end < 0) {
          listed = false;
          break;
        }
        parts.data[mark] = (parts.data[mark] ?? 0) + 1;
        if (s[j] !== OPEN_BRACE) parts.push(-1);
        else if (!listMembers(s, parts, j, ARN_MEMBERS)) {
          listed = false;
          break;
        }
        j = skipSpace(s, end);
        if (s[j] === CLOSE_BRACKET) break;
        if (s[j] !== COMMA) {
          listed = false;
          break;
        }
        j = skipSpace(s, j + 1);
      }
    }
    if (listed) return;
  }
  parts.length = mark;
  parts.push(-1);
}

/**
 * native/scan.c's classify: the listing at `parts[mark..]` as a string equal for equal listings
 * (the values' bytes in order; an unlisted value's own bytes).
 */
function canonical(s: Buffer, parts: Int32Array, mark: number, resources: boolean, start: number, end: number): string {
  let k = mark;
  const head = parts[k++] ?? -1;
  const out: (number | string | null)[] = [head];
  const values = (m: number): void => {
    for (; m > 0; m--, k += 4) {
      const how = parts[k + 3];
      const start = parts[k + 1] ?? 0;
      const end = parts[k + 2] ?? 0;
      // No JSON value's bytes start with '*' or '#'.
      const bytes = how === VALUE_INERT ? null : how === VALUE_KEY ? '*' : how === VALUE_OBJECT ? `#${s.toString('latin1', start + 1, start + 1 + objectArnHead(s, start + 1, end - 1))}` : s.toString('latin1', start, end);
      out.push(parts[k] ?? 0, bytes);
    }
  };
  if (head < 0) out.push(s.toString('latin1', start, end));
  else if (!resources) values(head);
  else {
    for (let e = 0; e < head; e++) {
      const m = parts[k++] ?? -1;
      out.push(m);
      if (m > 0) values(m);
    }
  }
  return JSON.stringify(out);
}

/**
 * native/scan.c's object_arn_head: the length of the `arn:<partition>:s3:::<bucket>/` head of the
 * bytes [start, end), or 0 (fold.ts's objectArnHeadLength on them; latin1 keeps byte offsets, and
 * the head's delimiters are ASCII).
 */
function objectArnHead(s: Buffer, start: number, end: number): number {
  return objectArnHeadLength(s.toString('latin1', start, end));
}

/**
 * native/scan.c's mark_object_key: marks the listed request parameters' object key (VALUE_KEY),
 * the one member read as it when there is exactly one and it is a plain string. Returns its
 * offset from `start` and its length, or undefined.
 */
function markObjectKey(parts: Ints, mark: number, start: number): [number, number] | undefined {
  const data = parts.data;
  const m = data[mark] ?? 0;
  let found = 0;
  let key = 0;
  for (let e = 0; e < m; e++) {
    const k = mark + 1 + 4 * e;
    if (REQUEST_KEY_OBJECT_KEY[data[k] ?? 0] !== true) continue;
    found++;
    key = k;
  }
  if (found !== 1 || data[key + 3] !== VALUE_PLAIN) return undefined;
  data[key + 3] = VALUE_KEY;
  return [(data[key + 1] ?? 0) - start, (data[key + 2] ?? 0) - (data[key + 1] ?? 0)];
}

/**
 * native/scan.c's mark_object_arns: marks the listed resources' S3 object ARNs (VALUE_OBJECT).
 * Returns their key suffixes as offsets from `start` and lengths (empty: none).
 */
function markObjectArns(s: Buffer, parts: Ints, mark: number, start: number): [number, number][] {
  const data = parts.data;
  let k = mark;
  const elements = data[k++] ?? 0;
  const suffixes: [number, number][] = [];
  for (let e = 0; e < elements; e++) {
    let m = data[k++] ?? -1;
    for (; m > 0; m--, k += 4) {
      if (data[k + 3] !== VALUE_PLAIN) continue;
      const from = (data[k + 1] ?? 0) + 1;
      const to = (data[k + 2] ?? 0) - 1;
      const head = objectArnHead(s, from, to);
      if (head === 0) continue;
      data[k + 3] = VALUE_OBJECT;
      suffixes.push([from + head - start, to - (from + head)]);
    }
  }
  return suffixes;
}

/** The fields a record's group is keyed on (native/scan.c's group_record): all but its time. */
const FIRST_GROUP_FIELD = FIELD.eventType;

/**
 * A distinct requestParameters or resources value of a file: its id (RAW - class), where its first
 * bytes are, its object key's offset and length (requestParameters), its object ARNs' key
 * suffixes (resources), and its class with every value's bytes once a record needed it.
 */
interface SpanValue {
  id: number;
  start: number;
  end: number;
  key: [number, number] | undefined;
  suffixes: [number, number][];
  exact: number | undefined;
}

/** The TypeScript walker: the same rows as native/scan.c. */
export function locateRecordsTs(s: Buffer, wrapped: boolean): RecordIndex {
  let rows = new Int32Array(256 * STRIDE);
  let count = 0;
  const strings: string[] = [];
  const ids = new Map<string, number>();
  // Per field: value bytes -> id (RAW - class), and listing canonical -> class.
  const paramSpans = new Map<string, SpanValue>();
  const resourceSpans = new Map<string, SpanValue>();
  // The current record's requestParameters and resources values.
  let recordParams: SpanValue | undefined;
  let recordResources: SpanValue | undefined;
  const paramClasses = new Map<string, number>();
  const resourceClasses = new Map<string, number>();
  const params = new Listing();
  const resources = new Listing();
  const groups = new Ints();
  const groupIds = new Map<string, number>();
  let groupCount = 0;
  let row = 0;

  /** The class id (RAW - class) of the listing at `listing.parts[mark..]`, kept when new. */
  const classOf = (isParams: boolean, mark: number, start: number, end: number): number => {
    const listing = isParams ? params : resources;
    const classes = isParams ? paramClasses : resourceClasses;
    const key = canonical(s, listing.parts.data, mark, !isParams, start, end);
    let cls = classes.get(key);
    if (cls === undefined) {
      cls = classes.size;
      classes.set(key, cls);
      listing.at.push(mark);
    } else {
      listing.parts.length = mark;
    }
    return RAW - cls;
  };
  const reducedId = (isParams: boolean, start: number, end: number): number => {
    const spans = isParams ? paramSpans : resourceSpans;
    const bytes = s.toString('latin1', start, end);
    const seen = spans.get(bytes);
    if (seen !== undefined) {
      if (isParams) recordParams = seen;
      else recordResources = seen;
      return seen.id;
    }
    const listing = isParams ? params : resources;
    const mark = listing.parts.length;
    let value: SpanValue;
    if (isParams) {
      listParams(s, listing, start);
      const key = (listing.parts.data[mark] ?? -1) >= 0 ? markObjectKey(listing.parts, mark, start) : undefined;
      value = { id: classOf(true, mark, start, end), start, end, key, suffixes: [], exact: undefined };
      recordParams = value;
    } else {
      listResources(s, listing, start);
      const suffixes = (listing.parts.data[mark] ?? -1) >= 0 ? markObjectArns(s, listing.parts, mark, start) : [];
      value = { id: classOf(false, mark, start, end), start, end, key: undefined, suffixes, exact: undefined };
      recordResources = value;
    }
    spans.set(bytes, value);
    return value.id;
  };
  /** native/scan.c's settle_object_key, for the record at `row`. */
  const settleObjectKey = (): void => {
    let keyStart = 0;
    let keyLength = 0;
    const key = recordParams?.key;
    if (key !== undefined) {
      keyStart = (rows[row + 3 + 3 * FIELD.requestParameters] ?? 0) + key[0];
      keyLength = key[1];
      rows[row + KEY_AT] = keyStart;
      rows[row + KEY_AT + 1] = keyStart + keyLength;
    }
    const value = recordResources;
    if (value === undefined || value.suffixes.length === 0) return;
    const base = rows[row + 3 + 3 * FIELD.resources] ?? 0;
    const matches =
      key !== undefined &&
      value.suffixes.every(([offset, length]) => length === keyLength - 2 && s.compare(s, keyStart + 1, keyStart + 1 + length, base + offset, base + offset + length) === 0);
    if (matches) return;
    if (value.exact === undefined) {
      // Listed again from the value's first bytes, this time without VALUE_OBJECT.
      const mark = resources.parts.length;
      listResources(s, resources, value.start);
      value.exact = classOf(false, mark, value.start, value.end);
    }
    rows[row + 2 + 3 * FIELD.resources] = value.exact;
  };
  const group = (k: number): void => {
    const at = k * STRIDE + 2;
    let alone = false;
    const ids: number[] = [];
    for (let f = FIRST_GROUP_FIELD; f < FIELDS.length; f++) {
      const id = rows[at + 3 * f] ?? ABSENT;
      if (id <= RAW && f !== FIELD.requestParameters && f !== FIELD.resources) alone = true;
      ids.push(id);
    }
    const key = ids.join(',');
    const seen = alone ? undefined : groupIds.get(key);
    if (seen !== undefined) return groups.push(seen);
    if (!alone) groupIds.set(key, groupCount);
    groups.push(groupCount++);
  };

  const take = (field: number, start: number): number => {
    const end = skipValue(s, start);
    let id = RAW;
    if (field === FIELD.requestParameters || field === FIELD.resources) {
      id = reducedId(field === FIELD.requestParameters, start, end);
    } else if (s[start] === QUOTE && !hasBackslash(s, start + 1, end - 1)) {
      const value = s.toString('utf8', start + 1, end - 1);
      id = ids.get(value) ?? -1;
      if (id < 0) {
        id = strings.length;
        strings.push(value);
        ids.set(value, id);
      }
    }
    const at = row + 2 + 3 * field;
    rows[at] = id;
    rows[at + 1] = start;
    rows[at + 2] = end;
    return end;
  };
  const issuer = (id: number, start: number): number =>
    take(id === 0 ? FIELD['userIdentity.sessionContext.sessionIssuer.type'] : id === 1 ? FIELD['userIdentity.sessionContext.sessionIssuer.arn'] : FIELD['userIdentity.sessionContext.sessionIssuer.userName'], start);
  const session = (_: number, start: number): number => (s[start] === OPEN_BRACE ? walkObject(s, start, ISSUER, issuer) : skipValue(s, start));
  const identity = (id: number, start: number): number => {
    if (id === 2) return s[start] === OPEN_BRACE ? walkObject(s, start, SESSION, session) : skipValue(s, start);
    return take(id === 0 ? FIELD['userIdentity.accountId'] : FIELD['userIdentity.invokedBy'], start);
  };
  const member = (id: number, start: number): number => {
    if (id !== USER_IDENTITY) return take(id, start);
    return s[start] === OPEN_BRACE ? walkObject(s, start, IDENTITY, identity) : skipValue(s, start);
  };
  const record = (start: number): number => {
    if ((count + 1) * STRIDE > rows.length) {
      const grown = new Int32Array(rows.length * 2);
      grown.set(rows);
      rows = grown;
    }
    row = count * STRIDE;
    rows.fill(-1, row, row + STRIDE);
    rows[row] = start;
    recordParams = undefined;
    recordResources = undefined;
    if (s[start] !== OPEN_BRACE) {
      group(count++); // counted before its value is checked
      const end = skipValue(s, start);
      rows[row + 1] = end;
      return end;
    }
    const end = walkObject(s, start, RECORD, member);
    rows[row + 1] = end;
    settleObjectKey();
    group(count++);
    return end;
  };

  let error: Error | undefined;
  try {
    walkDocument(s, (start) => {
      const c = s[start];
      if (wrapped) {
        if (c !== OPEN_BRACE) return skipValue(s, start);
        return walkObject(s, start, RECORDS, (_, vs) => (s[vs] === OPEN_BRACKET ? walkArray(s, vs, record) : skipValue(s, vs)));
      }
      if (c === OPEN_BRACKET) return walkArray(s, start, record);
      return record(start);
    });
  } catch (cause) {
    if (!(cause instanceof JsonScanError || cause instanceof SyntaxError)) throw cause;
    error = cause;
  }
  const index: RecordIndex = { rows: rows.subarray(0, count * STRIDE), count, strings, params: params.done(), resources: resources.done(), groups: groups.done() };
  if (error !== undefined) index.error = error;
  return index;
}
