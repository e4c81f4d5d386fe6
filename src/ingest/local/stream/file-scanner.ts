/**
 * The per-thread state of a stream scan: reads files one at a time, keeps the call groups of the
 * files that read cleanly, folded as they arrive (FoldingCalls, fold.ts) so memory follows
 * distinct usage patterns. The same code runs in a worker thread or, where no worker can be started
 * (tests running the TypeScript sources), in the main thread.
 */
import { isUtf8 } from 'node:buffer';
import type { CallRow, UsageQuery } from '../../../model.js';
import { FoldingCalls } from '../../fold.js';
import { errorCode } from '../../../util/error-code.js';
import { JsonScanError } from './json-scan.js';
import { readLogBytes, scanText, shapeOf, type FileScan, type Scratch } from './scan-file.js';

/** What one file contributed, or why it could not be read. */
export type FileOutcome =
  | { path: string; ok: true; records: number; validRecords: number; first: string | null; last: string | null; dataSources: string[] }
  | { path: string; ok: false; reason: string };

/** One file read for a scan: its scan, or why it cannot be read. */
export type LogFileRead = { ok: true; scan: FileScan } | { ok: false; reason: string };

/**
 * Reads and scans one log file (scanText; `rollup` for the usage index), or says why the file
 * cannot be read: the same reasons for a scan and an index build.
 */
export function scanLogFile(path: string, query: UsageQuery, rollup = false, foldDepth?: (familyId: string) => number, scratch?: Scratch): LogFileRead {
  let bytes: Buffer;
  try {
    bytes = readLogBytes(path, 'auto', scratch);
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const reason = typeof code === 'string' && code.startsWith('Z_')
      ? `cannot decompress it (${(cause as Error).message}); the file is corrupt or truncated`
      : `cannot read it (${errorCode(cause)})`;
    return { ok: false, reason };
  }
  // CloudTrail writes UTF-8; other bytes would be decoded as U+FFFD, i.e. silently changed.
  if (!isUtf8(bytes)) return { ok: false, reason: 'not valid UTF-8 text; CloudTrail log files are UTF-8 JSON' };
  try {
    return { ok: true, scan: scanText(bytes, shapeOf(path, bytes), query, 'auto', rollup, foldDepth) };
  } catch (cause) {
    if (!(cause instanceof JsonScanError || cause instanceof SyntaxError)) throw cause;
    return { ok: false, reason: `${cause.message}; the file is not valid JSON` };
  }
}

export class FileScanner {
  private readonly calls = new FoldingCalls();
  private readonly depthOf = (familyId: string): number => this.calls.depthOf(familyId);
  /** The gunzip buffer, reused file after file: nothing of a file's bytes outlives its scan. */
  private readonly scratch: Scratch = { buffer: Buffer.alloc(0) };

  constructor(private readonly query: UsageQuery) {}

  scanFile(path: string): FileOutcome {
    // Keys of families already folded are folded as the file is scanned (FoldingCalls.depthOf).
    const read = scanLogFile(path, this.query, false, this.depthOf, this.scratch);
    if (!read.ok) return { path, ok: false, reason: read.reason };
    const { scan } = read;
    for (const [key, row] of scan.calls) this.calls.add(row, key);
    const { records, validRecords, first, last } = scan;
    return { path, ok: true, records, validRecords, first, last, dataSources: [...scan.dataSources] };
  }

  /** The call groups so far, folded. */
  rows(): CallRow[] {
    return this.calls.rows();
  }
}
