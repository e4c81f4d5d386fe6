/**
 * What one log file may hold before it is refused as a bad file (named, exit 3, `--skip-bad-files`
 * to go on), whatever engine reads it: the bounds that keep a scan's time and memory finite on
 * input an attacker can influence. README "Limits" and docs/architecture.md list them.
 *
 * Each can be lowered (or raised, up to its hard maximum) with an environment variable, which the
 * tests use to sit just past a limit without writing a gigabyte.
 */

/** Decompressed bytes of one file: 1 GiB (the walk's offsets are 32-bit, so never past 2 GiB). */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
/**
 * Containers (objects and arrays) open at once, counting the file's own wrapper: 512. CloudTrail
 * records nest a few dozen levels at most; JSON.stringify recurses and overflows the stack at
 * ~5,000, and the DuckDB engine crashed at 75,000.
 */
export const MAX_NESTING_DEPTH = 512;
/** Records per file: 1,000,000 (a delivery file holds thousands; the walk keeps 208 bytes a record). */
export const MAX_RECORDS_PER_FILE = 1_000_000;

/**
 * The largest values the environment may set: the walk indexes bytes with 32-bit integers, and
 * JSON.stringify (and the reference path's duplicate check) recurse once per nesting level.
 */
const HARD_MAX = { fileBytes: 0x7fff_fffe, depth: 2_000, records: 0x7fff_fffe };

export interface ScanLimits {
  fileBytes: number;
  depth: number;
  records: number;
}

/** The environment variable that sets each limit. */
export const LIMIT_ENV = {
  fileBytes: 'IAMTRIM_MAX_FILE_BYTES',
  depth: 'IAMTRIM_MAX_NESTING_DEPTH',
  records: 'IAMTRIM_MAX_RECORDS_PER_FILE',
} as const;

function fromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  // A malformed value is ignored rather than turned into no limit.
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, max) : fallback;
}

/** The limits in force (read on each call, so a test can set the environment). */
export function scanLimits(): ScanLimits {
  return {
    fileBytes: fromEnv(LIMIT_ENV.fileBytes, MAX_FILE_BYTES, HARD_MAX.fileBytes),
    depth: fromEnv(LIMIT_ENV.depth, MAX_NESTING_DEPTH, HARD_MAX.depth),
    records: fromEnv(LIMIT_ENV.records, MAX_RECORDS_PER_FILE, HARD_MAX.records),
  };
}

/** Bytes for a message: "1 GiB (1073741824 bytes)". */
function bytes(n: number): string {
  const units: Array<[number, string]> = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) if (n >= size && n % size === 0) return `${n / size} ${unit} (${n} bytes)`;
  return `${n} bytes`;
}

/** Why a file past a limit is refused, naming the limit and how it is set. */
export const limitReason = {
  fileBytes: (limit: number, compressed: boolean): string =>
    `${compressed ? 'decompresses to' : 'is'} more than ${bytes(limit)}, the size limit per log file (${LIMIT_ENV.fileBytes}); split it into smaller files`,
  depth: (limit: number, at: number): string =>
    `nests more than ${limit} objects or arrays deep at byte ${at}, past the nesting limit (${LIMIT_ENV.depth}); CloudTrail records never nest this deep`,
  records: (limit: number, at: number): string =>
    `holds more than ${limit.toLocaleString('en-US')} records (the one at byte ${at} is past it), the limit per log file (${LIMIT_ENV.records}); split it into smaller files`,
};

/**
 * Whether `value` nests no more than `limit` objects or arrays deep. Iterative: JSON.stringify
 * and recursive walks overflow the stack on values a few thousand levels deep.
 */
export function nestsWithin(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > limit) return false;
    for (const child of Object.values(item.value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: item.depth + 1 });
    }
  }
  return true;
}

/**
 * A log file refused as a whole: invalid JSON, not CloudTrail-shaped, a duplicate member the scan
 * reads, or past a limit. Its message is the reason shown next to the file's name.
 */
export class BadLogFileError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BadLogFileError';
  }
}

/**
 * Why a walk of a file's bytes refused it (the native walker's, or strict-parse.ts's on the
 * reference path: the same words either way): `code` is json, shape, duplicate (the member name
 * spans bytes at..end), depth or records; `what` the walk's message for json and shape.
 */
export function walkRefusal(bytes: Buffer, code: string, what: string, at: number, end: number, limits: ScanLimits): BadLogFileError {
  switch (code) {
    case 'depth':
      return new BadLogFileError(limitReason.depth(limits.depth, at));
    case 'records':
      return new BadLogFileError(limitReason.records(limits.records, at));
    case 'duplicate': {
      const name = bytes.toString('utf8', at, Math.min(end, at + 80));
      return new BadLogFileError(
        `member ${name} appears twice in one object at byte ${at}; CloudTrail never writes a member twice, so the file is corrupt or was altered`,
      );
    }
    case 'shape':
      return new BadLogFileError(`not a CloudTrail log: ${what} at byte ${at}`);
    default:
      return new BadLogFileError(`invalid JSON: ${what} at byte ${at}; the file is not valid JSON`);
  }
}
