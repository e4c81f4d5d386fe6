/**
 * Where each CloudTrail record's fields are in one file's JSON bytes: the layout of the
 * RecordIndex the native walker (`native/scan-*.c`) returns, and the walker's loader.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../../errors.js';
import { scanLimits, walkRefusal } from '../../../limits.js';
import { membersReadOnlyAs, REQUEST_KEY_MEMBER_SCALAR, REQUEST_KEY_MEMBERS } from '../../../mapping/request-keys.js';
import { FOLDED_PARAM } from '../../fold.js';
import type { FileShape } from '../discover.js';

/** The fields located per record, in row order (native/scan.h's enum). */
export const FIELDS = [
  'eventTime',
  '@timestamp',
  'eventType',
  'eventSource',
  'eventName',
  'awsRegion',
  'recipientAccountId',
  'eventCategory',
  'errorCode',
  'requestParameters',
  'resources',
  'userIdentity.accountId',
  'userIdentity.invokedBy',
  'userIdentity.sessionContext.sessionIssuer.type',
  'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.userName',
] as const;
export const FIELD = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as { [F in (typeof FIELDS)[number]]: number };

/**
 * Int32 slots per record: its start and end, (id, start, end) per field, then at KEY_AT the span
 * (quotes included) of its S3 object key when its requestParameters' class leaves it out
 * (VALUE_KEY), else -1, -1.
 */
export const KEY_AT = 2 + 3 * FIELDS.length;
export const STRIDE = KEY_AT + 2;
/** A field's id when the record has no such member. */
export const ABSENT = -1;
/**
 * A field's id when its value is not a plain string (another JSON value, or a string with
 * escapes). `requestParameters` and `resources` ids are RAW - n, n a class of the file's values
 * with equal listings (ListedMembers), so a scan reduces each class once.
 */
export const RAW = -2;

/** How a listed value reads: decode its bytes; a string without escapes; gives nothing (null). */
export const VALUE_JSON = 0;
export const VALUE_PLAIN = 1;
export const VALUE_INERT = 2;
/**
 * The S3 object key (a string without escapes, the only requestParameters member read as
 * REQUEST_KEY_OBJECT_KEY): its class leaves the bytes out, so requests that differ only in the
 * object share a class; each record's own key is at KEY_AT.
 */
export const VALUE_KEY = 3;
/**
 * A `resources` ARN that is an S3 object ARN of the record's own key (its head, then VALUE_KEY's
 * bytes): its class keeps only the head. Object ARNs of another key keep their bytes.
 */
export const VALUE_OBJECT = 4;

/**
 * The listing of each class n of a file's `requestParameters` (or `resources`) values, starting
 * at `parts[at[n]]`: four ints per value (member id, start, end, how it reads), in document order,
 * duplicates included. An inert value (null; an object or array for a member read only as a
 * scalar; an ARN that is not a non-empty string) gives nothing, so inert values share a class.
 * - requestParameters: -1 (not a plain object: decode its bytes), or the count m of its members
 *   named in REQUEST_KEY_MEMBERS, then m values (id: index there).
 * - resources: -1 (not a plain array), or the element count, then per element -1 (not an object)
 *   or the count m of its `ARN` (id 0) and `arn` (id 1) members, then m values.
 */
export interface ListedMembers {
  parts: Int32Array;
  at: Int32Array;
}

/**
 * The records of one file. Row k is `rows[k*STRIDE ..]`: the record's start and end, then per
 * field an id (>= 0: `strings[id]`; ABSENT; <= RAW: decode the bytes) and the value's start and end.
 */
export interface RecordIndex {
  rows: Int32Array;
  count: number;
  strings: string[];
  params: ListedMembers;
  resources: ListedMembers;
  /**
   * Per record, its group: records whose fields but eventTime and @timestamp have equal ids (a
   * value that is not a plain string makes its own group), so a scan resolves them once.
   */
  groups: Int32Array;
  /** Why the walk refused the file (then there are no rows). */
  error?: Error;
}

/** Per REQUEST_KEY_MEMBERS entry: read only as the S3 object key (VALUE_KEY). */
const REQUEST_KEY_OBJECT_KEY = membersReadOnlyAs(FOLDED_PARAM);
/** REQUEST_KEY_MEMBERS for the walker: per name "2" (object key only), "1" (scalar only) or "0", the name, a newline. */
const PARAM_NAMES = REQUEST_KEY_MEMBERS.map(
  (name, id) => `${REQUEST_KEY_OBJECT_KEY[id] === true ? 2 : REQUEST_KEY_MEMBER_SCALAR[id] === true ? 1 : 0}${name}\n`,
).join('');
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
  /** json, shape, duplicate, depth or records (scan-walk.c's CODES). */
  errorCode?: string;
  errorAt?: number;
  errorEnd?: number;
}
export interface NativeModule {
  /** native/scan-*.c: the records of `bytes`, checked strictly (see locateRecords). */
  locate(bytes: Uint8Array, shape: number, paramNames: string, maxDepth: number, maxRecords: number, seed: Uint8Array): NativeResult;
  /** native/gunzip.c: inflates a gzip file into `output`; the bytes written, or -1 when `output` is too small. */
  gunzip(input: Uint8Array, output: Uint8Array): number;
  stride: number;
  fields: number;
  abi: number;
}

/** scan-napi.c's ABI: the interface this file calls (a module built from other sources has another). */
const NATIVE_ABI = 2;
/** The key of the walk's hashes, random per thread: keys chosen to collide offline do not collide here. */
const HASH_SEED = new Uint8Array(randomBytes(16));
/** FileShape as locate() takes it. */
const SHAPE_CODE: Record<FileShape, number> = { wrapped: 0, array: 1, lines: 2 };

/** The platform's prebuilt-binary folder name (native/build.mjs writes the same): `linux-x64`, `linux-x64-musl`, `darwin-arm64`. */
export function prebuildTag(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const musl = process.platform === 'linux' && header?.glibcVersionRuntime === undefined;
  return `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
}

let native: NativeModule | null | undefined;
let nativePath: string | undefined;
let loadError: UsageError | undefined;

/**
 * The native walker, or null when none is present or it is turned off with IAMTRIM_NATIVE=0. The
 * first that loads and was built from these sources wins: the prebuilt binary the package ships
 * for this platform (put there at pack time by native/build.mjs), then the one `npm run build`
 * compiled. When one is present but none qualifies, the first refusal is a UsageError with the fix.
 */
export function nativeWalker(): NativeModule | null {
  if (native !== undefined) return native;
  if (loadError !== undefined) throw loadError;
  if (process.env['IAMTRIM_NATIVE'] === '0') return (native = null);
  // The package root, from src/ and dist/ alike.
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const candidates = [join(root, 'prebuilds', prebuildTag(), 'iamtrim_scan.node'), join(root, 'native', 'build', 'Release', 'iamtrim_scan.node')];
  let refused: UsageError | undefined;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      native = checkNativeModule(createRequire(import.meta.url)(path), path);
      nativePath = path;
      return native;
    } catch (cause) {
      // Built for another Node.js, platform or sources, or half written.
      const why = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? '';
      refused ??=
        cause instanceof UsageError
          ? cause
          : new UsageError(`native scanner ${path} cannot be loaded (${why})`, { hint: 'run npm run build (or set IAMTRIM_NATIVE=0 to scan without it)' });
    }
  }
  // Every later call refuses too: a scan never goes on with a module it refused.
  if (refused !== undefined) throw (loadError = refused);
  return (native = null);
}

/** Which walker scans run with, and from where (for `--verbose` and the bench). */
export function walkerDescription(): string {
  if (process.env['IAMTRIM_NATIVE'] === '0') return 'reference path (JSON.parse; IAMTRIM_NATIVE=0)';
  return nativeWalker() === null
    ? 'reference path (JSON.parse; no native walker for this platform: install a C toolchain and run npm run build)'
    : `native walker (${nativePath ?? ''})`;
}

/**
 * The loaded module, if it was built from these sources; a module built from another version would
 * misread rows, so it is refused: a user error (exit 2) with the fix, never a crash.
 */
export function checkNativeModule(loaded: unknown, path: string): NativeModule {
  const m = loaded as Partial<NativeModule> | null | undefined;
  if (m?.abi !== NATIVE_ABI || m.stride !== STRIDE || m.fields !== FIELDS.length || typeof m.gunzip !== 'function' || typeof m.locate !== 'function') {
    throw new UsageError(`native scanner ${path} was built from another version of native/scan-*.c`, { hint: 'run npm run build' });
  }
  return m as NativeModule;
}

/** Which walker scans run with: the native one, or the reference path. */
export function walkerName(): 'native' | 'reference' {
  return nativeWalker() === null ? 'reference' : 'native';
}

/** Files this large or larger are past the native walker's 32-bit offsets: they take the reference path. */
export const NATIVE_MAX_BYTES = 0x7fffffff;

/**
 * Locates the records of `bytes`, held as `shape` says, with a loaded walker (bytes under
 * NATIVE_MAX_BYTES). A file that is not strict JSON in that shape, repeats a member a scan reads,
 * or is past a limit (src/limits.ts) is refused: index.error, a BadLogFileError, and no rows.
 */
export function locateRecords(module: NativeModule, bytes: Buffer, shape: FileShape): RecordIndex {
  const limits = scanLimits();
  const result = module.locate(bytes, SHAPE_CODE[shape], PARAM_NAMES, limits.depth, limits.records, HASH_SEED);
  const index: RecordIndex = {
    rows: result.rows,
    count: result.count,
    strings: result.strings,
    params: { parts: result.params, at: result.paramsAt },
    resources: { parts: result.resources, at: result.resourcesAt },
    groups: result.groups,
  };
  if (result.error !== undefined) {
    const at = result.errorAt ?? 0;
    index.error = walkRefusal(bytes, result.errorCode ?? 'json', result.error, at, result.errorEnd ?? at, limits);
  }
  return index;
}
