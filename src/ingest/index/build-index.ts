/**
 * `iamtrim index`: builds or updates the usage index from local CloudTrail files. Only new files
 * and files whose size or mtime changed are read (a changed file's rows are replaced, never added
 * twice); unreadable files are recorded as skipped and retried next run, so every answer from the
 * index can say what evidence is missing. Files are read one at a time by the local file scan in
 * rollup mode (file-scanner.ts), so memory does not follow the logs' size.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { compareText } from '../../util/compare-text.js';
import { discoverLogFiles, type LogFile } from '../local/discover.js';
import { scanLogFile } from '../local/stream/file-scanner.js';
import type { FileScan } from '../reference.js';
import { foldCallMap } from '../fold.js';
import { mergeCallRows } from '../call-rows.js';
import type { CallRow, UsageQuery } from '../../model.js';
import { appendRows, inTransaction, openIndex, queryRows, sqlString } from './index-store.js';
import { listFiles } from '../local/scan-result.js';
import { appendCalls, markDirty, refreshDirtyDays, type Piece } from './rollups.js';
import { withWorkingCopy } from '../../util/atomic-file.js';

export interface IndexUpdateOptions {
  logs: string;
  index: string;
  skipBadFiles: boolean;
  /** The clock, read by the caller. */
  now: Date;
}

export interface IndexUpdate {
  index: string;
  /** Files read this run because the index had not seen them. */
  added: number;
  /** Files read again because their size or mtime changed since they were indexed. */
  changed: number;
  unchanged: number;
  /** Indexed files no longer on disk: their rows are kept (logs expire locally, evidence does not). */
  missing: number;
  /** Files that could not be read this run (recorded; retried next run). */
  skipped: Array<{ file: string; reason: string }>;
  /** Records read this run. */
  records: number;
  /** Earliest and latest eventTime in the whole index. */
  covered: { first: string | null; last: string | null };
}

// Every record, any time: the rollup keeps all days and the window is applied when it is queried.
const ALL_RECORDS: UsageQuery = { roles: { kind: 'all' }, window: { start: '0001-01-01T00:00:00Z', end: '9999-12-31T00:00:00Z' } };

function describeError(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split('\n')[0]?.replace(/^[A-Za-z ]+Error: /, '') ?? message;
}

/** A SQL list of string literals. */
const sqlList = (values: readonly string[]): string => `[${values.map(sqlString).join(', ')}]`;

/**
 * Drops `paths` from `files` and `skipped`, and the rows of `rowPaths` from `calls` and `coverage`
 * (their days marked dirty).
 */
async function forgetFiles(connection: DuckDBConnection, paths: readonly string[], rowPaths: readonly string[]): Promise<void> {
  if (rowPaths.length > 0) {
    const list = sqlList(rowPaths);
    const days = await queryRows<{ day: string }>(connection, `SELECT DISTINCT day FROM calls WHERE list_contains(${list}, file)`);
    await markDirty(connection, days);
    for (const table of ['calls', 'coverage']) await connection.run(`DELETE FROM ${table} WHERE list_contains(${list}, file)`);
  }
  for (const table of ['files', 'skipped']) await connection.run(`DELETE FROM ${table} WHERE list_contains(${sqlList(paths)}, path)`);
}

/** One file's scan for the index (in rollup mode). */
type ScannedFile = { file: LogFile; scan: FileScan };

/** Replaces the rows of the scanned files with their scans; returns the files with no CloudTrail records. */
async function storeBatch(connection: DuckDBConnection, scanned: ScannedFile[], indexedAt: string, indexed: ReadonlyMap<string, unknown>): Promise<LogFile[]> {
  const paths = scanned.map(({ file }) => file.path);
  // Only files indexed before have rows to replace: new files skip two scans of the growing
  // `calls` table per batch.
  const reread = paths.filter((path) => indexed.has(path));
  await forgetFiles(connection, paths, reread);
  // Call groups per (day, file, role name), keyed by callKey, S3 object keys folded per piece.
  const pieces: Piece[] = [];
  for (const { file, scan } of scanned) {
    for (const piece of scan.pieces?.values() ?? []) {
      const calls = new Map<string, CallRow>();
      mergeCallRows(calls, piece.calls.values());
      pieces.push({ day: piece.day, file: file.path, roleName: piece.roleName, calls: foldCallMap(calls) });
    }
  }
  await appendCalls(connection, pieces);
  await markDirty(connection, pieces);
  const coverage = scanned.flatMap(({ file, scan }) => [...(scan.coverage?.values() ?? [])].map((c) => [c.day, file.path, c.source, c.category, c.records]));
  await appendRows(connection, 'coverage', coverage);
  const files = scanned.map(({ file, scan }) => [file.path, file.size, file.mtimeMs, scan.records, scan.validRecords, scan.first, scan.last, indexedAt]);
  await appendRows(connection, 'files', files);
  return scanned.filter(({ scan }) => scan.records > 0 && scan.validRecords === 0).map(({ file }) => file);
}

/**
 * Builds or updates the index at `options.index` from the files under `options.logs`. The update
 * runs on a working copy renamed over the index at the end (`withWorkingCopy`): a run that fails or
 * is interrupted (Ctrl-C, SIGTERM) leaves the previous index byte for byte. Unreadable files are
 * recorded in the index before the run reports them, so that update is kept.
 */
export async function updateUsageIndex(options: IndexUpdateOptions): Promise<IndexUpdate> {
  const { files } = await discoverLogFiles(resolve(options.logs), null);
  const update = await withWorkingCopy(options.index, async (copy) => ({ value: await updateIndexFile(options, copy, files), commit: true }));
  if (update.skipped.length > 0 && !options.skipBadFiles) {
    const message = `${update.skipped.length} log file(s) could not be indexed (recorded in the index as missing evidence):\n${listFiles(update.skipped)}`;
    const hint = 'fix or remove these files and run `iamtrim index` again, or pass --skip-bad-files to accept the gap (answers from the index then list them)';
    throw new InputError(message, { hint });
  }
  return update;
}

async function updateIndexFile(options: IndexUpdateOptions, path: string, onDisk: readonly LogFile[]): Promise<IndexUpdate> {
  const handle = await openIndex(path, { create: true, name: options.index });
  const { connection } = handle;
  const indexedAt = options.now.toISOString();
  const skipped: Array<{ file: string; reason: string }> = [];
  try {
    await refreshDirtyDays(connection, handle.blockLevels); // left by an interrupted run
    const before = await queryRows<{ path: string; size: string | number; mtime_ms: number }>(connection, 'SELECT path, size, mtime_ms FROM files');
    const known = new Map(before.map((r) => [r.path, { size: Number(r.size), mtime: Number(r.mtime_ms) }]));
    const toRead = onDisk.filter((file) => {
      const seen = known.get(file.path);
      return seen === undefined || seen.size !== file.size || seen.mtime !== file.mtimeMs;
    });
    const added = toRead.filter((file) => !known.has(file.path)).length;

    const record = async (file: LogFile, reason: string): Promise<void> => {
      skipped.push({ file: file.path, reason });
      await inTransaction(connection, async () => {
        await forgetFiles(connection, [file.path], [file.path]);
        await connection.run(`INSERT INTO skipped VALUES (${sqlString(file.path)}, ${file.size}, ${file.mtimeMs}, ${sqlString(reason)})`);
      });
    };
    const ingest = async (files: LogFile[]): Promise<void> => {
      // Read by the stream scanner (one file at a time, as a scan reads them), so memory is that
      // of one file and the batch's folded pieces, whatever the logs' size.
      const scanned: ScannedFile[] = [];
      for (const file of files) {
        const read = scanLogFile(file.path, ALL_RECORDS, { rollup: true });
        if (read.ok) scanned.push({ file, scan: read.scan });
        else await record(file, read.reason);
      }
      const notCloudTrail = await inTransaction(connection, () => storeBatch(connection, scanned, indexedAt, known));
      for (const file of notCloudTrail) await record(file, 'no CloudTrail records in it (no record has eventSource and eventTime)');
    };
    // 8 MB of gzip (~100 MB of JSON) per transaction: the batch's scans are held until stored
    // (1M-event build: 589 MiB peak with 32 MB, 473 MiB with 8 MB; 1-2 s slower).
    const batchBytes = 8 * 1024 * 1024;
    let batch: LogFile[] = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      try {
        await ingest(batch);
      } catch {
        for (const file of batch) {
          try {
            await ingest([file]);
          } catch (cause) {
            await record(file, describeError(cause));
          }
        }
      }
      batch = [];
      size = 0;
    };
    for (const file of toRead) {
      batch.push(file);
      size += file.size;
      if (size >= batchBytes || batch.length >= 2000) await flush();
    }
    await flush();
    await refreshDirtyDays(connection, handle.blockLevels);
    await connection.run('CHECKPOINT');

    const [span] = await queryRows<IndexUpdate['covered']>(connection, `SELECT MIN(first_seen) AS first, MAX(last_seen) AS last FROM files`);
    const readPaths = new Set(toRead.map((f) => f.path));
    const indexed = await queryRows<{ path: string; records: string | number }>(connection, `SELECT path, records FROM files`);
    const present = new Set(onDisk.map((f) => f.path));
    skipped.sort((a, b) => compareText(a.file, b.file));
    return {
      index: options.index,
      added,
      changed: toRead.length - added,
      unchanged: onDisk.length - toRead.length,
      missing: [...known.keys()].filter((p) => !present.has(p)).length,
      skipped,
      records: indexed.filter((r) => readPaths.has(r.path)).reduce((sum, r) => sum + Number(r.records), 0),
      covered: { first: span?.first ?? null, last: span?.last ?? null },
    };
  } finally {
    handle.close();
  }
}
