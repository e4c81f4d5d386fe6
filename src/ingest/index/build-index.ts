/**
 * `iamtrim index`: builds or updates the usage index from local CloudTrail files. Only files the
 * index has not read, or whose size or mtime changed since, are read; a changed file's rows are
 * replaced, never added twice. Files that cannot be read are recorded as skipped (and retried on
 * the next run), so every answer from the index can say what evidence is missing. Files are read
 * by the local file scan in rollup mode (file-scanner.ts: call groups per UTC day and role name, and
 * records per day and service), one at a time, so memory does not follow the logs' size.
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
import { inTransaction, openIndex, queryRows, sqlString } from './index-store.js';
import { appendCalls, markDirty, refreshDirtyDays, type Piece } from './rollups.js';
import { withWorkingCopy } from '../../util/atomic-file.js';

export interface IndexUpdateOptions {
  logs: string;
  index: string;
  skipBadFiles: boolean;
  /** Compressed bytes of log files stored per transaction; bounds memory. */
  batchBytes?: number;
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

/** The days that hold rows of `paths` (`SELECT ... IN` list of SQL strings). */
async function daysOf(connection: DuckDBConnection, paths: string): Promise<string[]> {
  const rows = await queryRows(connection, `SELECT DISTINCT day FROM calls WHERE list_contains(${paths}, file)`);
  return rows.map((r) => String(r['day']));
}

/** One file's scan for the index (scanText in rollup mode). */
interface ScannedFile {
  file: LogFile;
  scan: FileScan;
}

/** Replaces the rows of the scanned files with their scans; returns the files with no CloudTrail records. */
async function storeBatch(
  connection: DuckDBConnection,
  scanned: readonly ScannedFile[],
  indexedAt: string,
  indexed: { has(path: string): boolean },
): Promise<string[]> {
  const paths = `[${scanned.map(({ file }) => sqlString(file.path)).join(', ')}]`;
  // Only files indexed before have rows to replace (rows and the `files` row are written in one
  // transaction): new files skip two scans of the growing `calls` table per batch.
  const again = scanned.filter(({ file }) => indexed.has(file.path));
  const touched = new Set<string>();
  if (again.length > 0) {
    const reread = `[${again.map(({ file }) => sqlString(file.path)).join(', ')}]`;
    for (const day of await daysOf(connection, reread)) touched.add(day);
    for (const table of ['calls', 'coverage']) await connection.run(`DELETE FROM ${table} WHERE list_contains(${reread}, file)`);
  }
  for (const table of ['files', 'skipped']) await connection.run(`DELETE FROM ${table} WHERE list_contains(${paths}, path)`);
  // Call groups per (day, file, role name), keyed by callKey, S3 object keys folded per piece.
  const pieces: Piece[] = [];
  for (const { file, scan } of scanned) {
    for (const piece of scan.pieces?.values() ?? []) {
      const calls = new Map<string, CallRow>();
      mergeCallRows(calls, [...piece.calls.values()]);
      pieces.push({ day: piece.day, file: file.path, roleName: piece.roleName, calls: foldCallMap(calls) });
      touched.add(piece.day);
    }
  }
  await appendCalls(connection, 'calls', pieces);
  await markDirty(connection, touched);
  const coverage = await connection.createAppender('coverage');
  const files = await connection.createAppender('files');
  try {
    for (const { file, scan } of scanned) {
      for (const c of scan.coverage?.values() ?? []) {
        coverage.appendVarchar(c.day);
        coverage.appendVarchar(file.path);
        coverage.appendVarchar(c.source);
        if (c.category === null) coverage.appendNull();
        else coverage.appendVarchar(c.category);
        coverage.appendBigInt(BigInt(c.records));
        coverage.endRow();
      }
      files.appendVarchar(file.path);
      files.appendBigInt(BigInt(file.size));
      files.appendDouble(file.mtimeMs);
      files.appendBigInt(BigInt(scan.records));
      files.appendBigInt(BigInt(scan.validRecords));
      for (const time of [scan.first, scan.last]) {
        if (time === null) files.appendNull();
        else files.appendVarchar(time);
      }
      files.appendVarchar(indexedAt);
      files.endRow();
    }
    coverage.flushSync();
    files.flushSync();
  } finally {
    coverage.closeSync();
    files.closeSync();
  }
  return scanned.filter(({ scan }) => scan.records > 0 && scan.validRecords === 0).map(({ file }) => file.path);
}

/**
 * Builds or updates the index at `options.index` from the files under `options.logs`. The update
 * runs on a working copy renamed over the index at the end (`withWorkingCopy`): a run that fails or
 * is interrupted (Ctrl-C, SIGTERM) leaves the previous index byte for byte. Unreadable files are
 * recorded in the index before the run reports them, so that update is kept.
 */
export async function updateUsageIndex(options: IndexUpdateOptions): Promise<IndexUpdate> {
  const discovery = await discoverLogFiles(resolve(options.logs), null);
  const { update, error } = await withWorkingCopy(options.index, async (copy) => {
    const value = await updateIndexFile(options, copy, discovery);
    return { value, commit: true };
  });
  if (error !== undefined) throw error;
  return update;
}

async function updateIndexFile(
  options: IndexUpdateOptions,
  file: string,
  discovery: Awaited<ReturnType<typeof discoverLogFiles>>,
): Promise<{ update: IndexUpdate; error?: InputError }> {
  const handle = await openIndex(file, { create: true, name: options.index });
  const { connection } = handle;
  const indexedAt = options.now.toISOString();
  const skipped: Array<{ file: string; reason: string }> = [];
  try {
    await refreshDirtyDays(connection, handle.blockLevels); // left by an interrupted run
    const known = new Map<string, { size: number; mtime: number }>();
    const rows = (await (await connection.run('SELECT path, size, mtime_ms FROM files')).getRowObjectsJson()) as Array<{
      path: string;
      size: string | number;
      mtime_ms: number;
    }>;
    for (const r of rows) known.set(r.path, { size: Number(r.size), mtime: Number(r.mtime_ms) });
    const onDisk = new Set(discovery.files.map((f) => f.path));
    let added = 0;
    let changed = 0;
    const toRead: LogFile[] = [];
    for (const file of discovery.files) {
      const seen = known.get(file.path);
      if (seen === undefined) {
        added++;
        toRead.push(file);
      } else if (seen.size !== file.size || seen.mtime !== file.mtimeMs) {
        changed++;
        toRead.push(file);
      }
    }

    const record = async (file: LogFile, reason: string): Promise<void> => {
      skipped.push({ file: file.path, reason });
      await inTransaction(connection, async () => {
        const touched = await daysOf(connection, `[${sqlString(file.path)}]`);
        for (const table of ['calls', 'coverage']) await connection.run(`DELETE FROM ${table} WHERE file = ${sqlString(file.path)}`);
        await markDirty(connection, touched);
        for (const table of ['files', 'skipped']) await connection.run(`DELETE FROM ${table} WHERE path = ${sqlString(file.path)}`);
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
      for (const path of notCloudTrail) {
        const file = files.find((f) => f.path === path);
        if (file !== undefined) await record(file, 'no CloudTrail records in it (no record has eventSource and eventTime)');
      }
    };
    // 8 MB of gzip (~100 MB of JSON) per transaction: the batch's scans are held until stored
    // (1M-event build: 589 MiB peak with 32 MB, 473 MiB with 8 MB; 1-2 s slower).
    const batchBytes = options.batchBytes ?? 8 * 1024 * 1024;
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
    await connection.run('DROP TABLE IF EXISTS batch');
    await refreshDirtyDays(connection, handle.blockLevels);
    await connection.run('CHECKPOINT');

    const summary = (await (await connection.run(`SELECT MIN(first_seen) AS first, MAX(last_seen) AS last FROM files`)).getRowObjectsJson()) as Array<{
      first: string | null;
      last: string | null;
    }>;
    const readPaths = new Set(toRead.map((f) => f.path));
    const recordsRead = (await (await connection.run(`SELECT path, records FROM files`)).getRowObjectsJson()) as Array<{
      path: string;
      records: string | number;
    }>;
    skipped.sort((a, b) => compareText(a.file, b.file));
    const update: IndexUpdate = {
      index: options.index,
      added,
      changed,
      unchanged: discovery.files.length - added - changed,
      missing: [...known.keys()].filter((p) => !onDisk.has(p)).length,
      skipped,
      records: recordsRead.filter((r) => readPaths.has(r.path)).reduce((sum, r) => sum + Number(r.records), 0),
      covered: { first: summary[0]?.first ?? null, last: summary[0]?.last ?? null },
    };
    if (skipped.length > 0 && !options.skipBadFiles) {
      const shown = skipped.slice(0, 10).map((b) => `  ${b.file}: ${b.reason}`);
      const more = skipped.length > 10 ? [`  … and ${skipped.length - 10} more`] : [];
      const error = new InputError(
        `${skipped.length} log file(s) could not be indexed (recorded in the index as missing evidence):\n${[...shown, ...more].join('\n')}`,
        {
          hint: 'fix or remove these files and run `iamtrim index` again, or pass --skip-bad-files to accept the gap (answers from the index then list them)',
        },
      );
      return { update, error };
    }
    return { update };
  } finally {
    handle.close();
  }
}
