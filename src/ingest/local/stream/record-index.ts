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
import { hasBackslash, JsonScanError, MemberNames, skipValue, walkArray, walkDocument, walkObject } from './json-scan.js';

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

/** Int32 slots per record: its start and end, then (id, start, end) per field. */
export const STRIDE = 2 + 3 * FIELDS.length;
/** A field's id when the record has no such member. */
export const ABSENT = -1;
/**
 * A field's id when its value is not a plain string (another JSON value, or a string with
 * escapes). `requestParameters` and `resources` are never plain strings: their ids are RAW - n,
 * equal for equal bytes in a file (n numbered from 0 per file), so a scan decodes each distinct
 * value once.
 */
export const RAW = -2;

/**
 * The records of one file. Row k is `rows[k*STRIDE ..]`: record start and end (end -1 if the walk
 * stopped inside it), then per field an id (>= 0: `strings[id]`, the value's plain string;
 * ABSENT; <= RAW: decode the bytes [start, end)) and the value's start and end.
 */
export interface RecordIndex {
  rows: Int32Array;
  count: number;
  strings: string[];
  /** Set when the walk stopped at malformed JSON; the rows before it are complete. */
  error?: Error;
}

interface NativeResult {
  rows: Int32Array;
  count: number;
  strings: string[];
  error?: string;
  errorAt?: number;
  errorEnd?: number;
}
interface NativeModule {
  locate(bytes: Uint8Array, wrapped: boolean): NativeResult;
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
  if (loaded.stride !== STRIDE || loaded.fields !== FIELDS.length) {
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
  const result = module.locate(bytes, wrapped);
  const index: RecordIndex = { rows: result.rows, count: result.count, strings: result.strings };
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
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** The TypeScript walker: the same rows as native/scan.c. */
export function locateRecordsTs(s: Buffer, wrapped: boolean): RecordIndex {
  let rows = new Int32Array(256 * STRIDE);
  let count = 0;
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const spans = new Map<string, number>();
  let row = 0;

  const take = (field: number, start: number): number => {
    const end = skipValue(s, start);
    let id = RAW;
    if (field === FIELD.requestParameters || field === FIELD.resources) {
      const bytes = s.toString('latin1', start, end);
      id = spans.get(bytes) ?? RAW - spans.size;
      if (id === RAW - spans.size) spans.set(bytes, id);
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
    if (s[start] !== OPEN_BRACE) {
      count++; // counted before its value is checked
      const end = skipValue(s, start);
      rows[row + 1] = end;
      return end;
    }
    const end = walkObject(s, start, RECORD, member);
    rows[row + 1] = end;
    count++;
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
  const index: RecordIndex = { rows: rows.subarray(0, count * STRIDE), count, strings };
  if (error !== undefined) index.error = error;
  return index;
}
