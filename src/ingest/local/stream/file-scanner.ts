/**
 * Reading one log file for a scan or an index build, and the per-thread state of a stream scan.
 * A file is scanned by the native walker (scan-text.ts) where it loads, else by the reference
 * path (reference.ts scanRecords over strict-parse.ts's records): the same FileScan either way.
 * FileScanner keeps the call groups of the files that read cleanly, folded as they arrive
 * (FoldingCalls, fold.ts), so memory follows distinct usage patterns; it runs in a worker thread
 * or, where no worker can be started (tests running the TypeScript sources), in the main thread.
 */
import { isUtf8 } from 'node:buffer';
import type { CallRow, UsageQuery } from '../../../model.js';
import { errorCode } from '../../../util/error-code.js';
import { FoldingCalls } from '../../fold.js';
import { scanRecords, type FileScan } from '../../reference.js';
import { isDeliveryFile, shapeOfHead, type FileShape } from '../discover.js';
import { readLogBytes, type Scratch } from './read-log-bytes.js';
import { BadLogFileError, scanLimits } from '../../../limits.js';
import { NATIVE_MAX_BYTES, nativeWalker } from './record-index.js';
import { scanText } from './scan-text.js';
import { parseLogRecords } from './strict-parse.js';

/** What one file contributed, or why it could not be read. */
export type FileOutcome =
  | { path: string; ok: true; records: number; validRecords: number; first: string | null; last: string | null; dataSources: string[] }
  | { path: string; ok: false; reason: string };

/** One file read for a scan: its scan, or why it cannot be read. */
export type LogFileRead = { ok: true; scan: FileScan } | { ok: false; reason: string };

/** How a file holds its records: by its name (a delivery file is wrapped), else by its first bytes (discover.ts). */
export function shapeOf(path: string, bytes: Buffer): FileShape {
  return isDeliveryFile(path) ? 'wrapped' : shapeOfHead(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)));
}

export interface ScanOptions {
  /** The usage index's per-day pieces and coverage instead of calls (reference.ts FileScan). */
  rollup?: boolean;
  /** The depth a fold family's keys fold to already (FoldingCalls.depthOf), for the native scan. */
  foldDepth?: (familyId: string) => number;
  /** The gunzip buffer kept between files. */
  scratch?: Scratch;
  /** Take the reference path even where the native walker loads (tests compare the two). */
  reference?: boolean;
}

/** Scans one file's JSON bytes: natively where the walker loads and takes them, else by the reference path. */
export function scanBytes(bytes: Buffer, shape: FileShape, query: UsageQuery, options: ScanOptions = {}): FileScan {
  const native = options.reference !== true && bytes.length < NATIVE_MAX_BYTES ? nativeWalker() : null;
  if (native !== null) return scanText(native, bytes, shape, query, options.rollup, options.foldDepth);
  return scanRecords(parseLogRecords(bytes, shape, scanLimits()), query, { rollup: options.rollup });
}

/**
 * Reads and scans one log file, or says why the file cannot be read: the same reasons for a
 * scan and an index build.
 */
export function scanLogFile(path: string, query: UsageQuery, options: ScanOptions = {}): LogFileRead {
  let bytes: Buffer;
  try {
    bytes = readLogBytes(path, options.reference === true ? 'zlib' : 'auto', options.scratch);
  } catch (cause) {
    if (cause instanceof BadLogFileError) return { ok: false, reason: cause.message };
    const code = (cause as { code?: unknown }).code;
    const reason =
      typeof code === 'string' && code.startsWith('Z_')
        ? `cannot decompress it (${(cause as Error).message}); the file is corrupt or truncated`
        : `cannot read it (${errorCode(cause)})`;
    return { ok: false, reason };
  }
  // CloudTrail writes UTF-8; other bytes would be decoded as U+FFFD, i.e. silently changed.
  if (!isUtf8(bytes)) return { ok: false, reason: 'not valid UTF-8 text; CloudTrail log files are UTF-8 JSON' };
  try {
    return { ok: true, scan: scanBytes(bytes, shapeOf(path, bytes), query, options) };
  } catch (cause) {
    if (cause instanceof BadLogFileError) return { ok: false, reason: cause.message };
    throw cause;
  }
}

export class FileScanner {
  private readonly calls = new FoldingCalls();
  private readonly depthOf = (familyId: string): number => this.calls.depthOf(familyId);
  /** The gunzip buffer, reused file after file: nothing of a file's bytes outlives its scan. */
  private readonly scratch: Scratch = { buffer: Buffer.alloc(0) };

  constructor(
    private readonly query: UsageQuery,
    private readonly reference = false,
  ) {}

  scanFile(path: string): FileOutcome {
    // Keys of families already folded are folded as the file is scanned (FoldingCalls.depthOf).
    const read = scanLogFile(path, this.query, { foldDepth: this.depthOf, scratch: this.scratch, reference: this.reference });
    if (!read.ok) return { path, ok: false, reason: read.reason };
    const { scan } = read;
    for (const [key, row] of scan.calls) this.calls.add(row, key, scan.families?.get(key));
    const { records, validRecords, first, last } = scan;
    return { path, ok: true, records, validRecords, first, last, dataSources: [...scan.dataSources] };
  }

  /** The call groups so far, folded. */
  rows(): CallRow[] {
    return this.calls.rows();
  }
}
