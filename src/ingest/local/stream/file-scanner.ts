/**
 * Reading one log file for a scan or an index build (the native walker, else the reference path:
 * the same FileScan either way), and FileScanner, a scan thread's call groups folded as they
 * arrive, so memory follows distinct usage patterns.
 */
import { isUtf8 } from 'node:buffer';
import type { CallRow, UsageQuery } from '../../../model.js';
import { errorCode } from '../../../util/error-code.js';
import { FoldingCalls } from '../../fold.js';
import { scanRecords, type FileScan } from '../../reference.js';
import { isDeliveryFile, shapeOfHead, type FileShape } from '../discover.js';
import type { FileStats } from '../scan-result.js';
import { readLogBytes, type Scratch } from './read-log-bytes.js';
import { BadLogFileError, scanLimits } from '../../../limits.js';
import { NATIVE_MAX_BYTES, nativeWalker } from './record-index.js';
import { scanText } from './scan-text.js';
import { parseLogRecords } from './strict-parse.js';

/** What one file contributed, or why it could not be read. */
export type FileOutcome = ({ path: string; ok: true; dataSources: string[] } & FileStats) | { path: string; ok: false; reason: string };

type LogFileRead = { ok: true; scan: FileScan } | { ok: false; reason: string };

/** How a file holds its records: by its name (a delivery file is wrapped), else by its first bytes (discover.ts). */
export function shapeOf(path: string, bytes: Buffer): FileShape {
  return isDeliveryFile(path) ? 'wrapped' : shapeOfHead(bytes.toString('utf8', 0, Math.min(bytes.length, 4096)));
}

interface ScanOptions {
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

/** Reads and scans one log file, or says why it cannot be read (for a scan and an index build alike). */
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
  /** Reused file after file: nothing of a file's bytes outlives its scan. */
  private readonly scratch: Scratch = { buffer: Buffer.alloc(0) };

  constructor(
    private readonly query: UsageQuery,
    private readonly reference = false,
  ) {}

  scanFile(path: string): FileOutcome {
    // Keys of families already folded are folded as the file is scanned (FoldingCalls.depthOf).
    const read = scanLogFile(path, this.query, { foldDepth: this.depthOf, scratch: this.scratch, reference: this.reference });
    if (!read.ok) return { path, ok: false, reason: read.reason };
    const { calls, families, records, validRecords, first, last, dataSources } = read.scan;
    for (const [key, row] of calls) this.calls.add(row, key, families?.get(key));
    return { path, ok: true, records, validRecords, first, last, dataSources: [...dataSources] };
  }

  /** The call groups so far, folded. */
  rows(): CallRow[] {
    return this.calls.rows();
  }
}
