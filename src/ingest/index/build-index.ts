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
import nonResourceParams from '../../mapping/data/non-resource-params.json' with { type: 'json' };
import { FOLDED_PARAM, foldCallMap } from '../fold.js';
import { callFromKey, mergeCallRows, mergeCounters } from '../call-rows.js';
import type { CallRow, UsageQuery } from '../../model.js';
import { dayNumber, dayString, halvesOf, isDay } from './day-blocks.js';
import { openIndex, queryRows, sqlString } from './index-store.js';
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

interface Piece {
  day: string;
  file: string;
  roleName: string | null;
  calls: Map<string, CallRow>;
  /**
   * Stored rows the fold cannot change (see `foldable`), by call key, kept as counters: never
   * parsed, merged by key only. Only pieces read back from the index have them.
   */
  plain?: Map<string, Counters>;
}

interface Counters {
  roleArn: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

/**
 * The request keys a stored call key must hold for `foldCallMap` to change its row: the S3
 * object key (folding) and the non-resource keys (dropped), as they appear in `callKey`'s JSON
 * (`["name",`). A row holding none of them has no fold family and loses no key, so the fold leaves
 * it as it is and merging it by key is all a rollup does to it; rows holding one are parsed and
 * folded. A false positive (the text inside a value, where JSON escapes the quotes anyway) only
 * costs a parse.
 */
const FOLD_MARKS = [...new Set([FOLDED_PARAM, ...nonResourceParams.rows.map((r) => r.param)])].map((p) => `[${JSON.stringify(p)},`);
const foldable = (key: string): boolean => FOLD_MARKS.some((mark) => key.includes(mark));

/**
 * Appends folded call maps to `table`: `calls` (with a file column), `calls_day`, or
 * `calls_block` (with a level column).
 */
async function appendCalls(connection: DuckDBConnection, table: 'calls' | 'calls_day' | 'calls_block', pieces: Iterable<Piece>, level = 0): Promise<void> {
  const appender = await connection.createAppender(table);
  try {
    for (const piece of pieces) {
      for (const rows of [piece.calls, piece.plain ?? []]) {
        for (const [key, row] of rows) {
          if (table === 'calls_block') appender.appendTinyInt(level);
          appender.appendVarchar(piece.day);
          if (table === 'calls') appender.appendVarchar(piece.file);
          appender.appendVarchar(row.roleArn);
          if (piece.roleName === null) appender.appendNull();
          else appender.appendVarchar(piece.roleName);
          appender.appendVarchar(key);
          appender.appendBigInt(BigInt(row.count));
          appender.appendVarchar(row.firstSeen);
          appender.appendVarchar(row.lastSeen);
          appender.endRow();
        }
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** The piece of `roleName` in `pieces`, created empty when missing. */
function pieceOf(pieces: Map<string, Piece>, day: string, roleName: string | null): Piece {
  const id = roleName ?? '\u0000';
  let piece = pieces.get(id);
  if (piece === undefined) {
    piece = { day, file: '', roleName, calls: new Map(), plain: new Map() };
    pieces.set(id, piece);
  }
  return piece;
}

/**
 * The rows of `from` (a FROM ... WHERE clause over `calls`, `calls_day` or `calls_block`) as
 * pieces of `day`, merged by role and call; rows the fold cannot change are left unparsed.
 */
async function readPieces(connection: DuckDBConnection, day: string, from: string): Promise<Map<string, Piece>> {
  // Merged in DuckDB first: `calls` holds a call once per file it is in (a day of the 10M-event
  // bench: 13,946 rows, 8,545 calls).
  const rows = await queryRows(
    connection,
    `SELECT c_role, c_role_name, call, SUM(records) AS records, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen ${from} GROUP BY c_role, c_role_name, call`,
  );
  const pieces = new Map<string, Piece>();
  for (const r of rows) {
    const roleName = r['c_role_name'] === null || r['c_role_name'] === undefined ? null : String(r['c_role_name']);
    const piece = pieceOf(pieces, day, roleName);
    const key = String(r['call']);
    const counters = { count: Number(r['records']), firstSeen: String(r['first_seen']), lastSeen: String(r['last_seen']) };
    if (foldable(key)) mergeCounters(piece.calls, key, { ...callFromKey(key), ...counters });
    else mergeCounters(piece.plain ?? new Map(), key, { roleArn: String(r['c_role']), ...counters });
  }
  return pieces;
}

/**
 * Rebuilds `calls_day` for `days` from the per-file rows (merged across files and folded per
 * role, which by the fold's algebra equals one fold over the day's records), and every block of
 * `calls_block` holding one of them, each from its two halves one level down (again equal to one
 * fold over the block's records). Depth first: a rebuilt half is merged into its parent from
 * memory, an unchanged half is read from the index, and only O(levels) blocks are held at once.
 * Blocks holding no changed day are neither read nor written.
 */
async function refreshDays(connection: DuckDBConnection, days: Iterable<string>, blockLevels: number): Promise<void> {
  const changed = [...new Set(days)].filter(isDay).map(dayNumber).sort((a, b) => a - b); // records without a readable time have no day
  const holdsChanged = (start: number, size: number): boolean => changed.some((n) => n >= start && n < start + size);
  /** The rebuilt block of `level` starting at day number `start`, or undefined when it holds no changed day. */
  const rebuild = async (level: number, start: number): Promise<Map<string, Piece> | undefined> => {
    if (!holdsChanged(start, 2 ** level)) return undefined;
    const day = dayString(start);
    let pieces: Map<string, Piece>;
    if (level === 0) {
      await connection.run(`DELETE FROM calls_day WHERE day = '${day}'`);
      pieces = await readPieces(connection, day, `FROM calls WHERE day = '${day}'`);
      for (const piece of pieces.values()) foldCallMap(piece.calls);
      await appendCalls(connection, 'calls_day', pieces.values());
      return pieces;
    }
    const halves: Array<Map<string, Piece>> = [];
    for (const half of halvesOf(day, level)) {
      const below = level - 1;
      const from = below === 0 ? `FROM calls_day WHERE day = '${half}'` : `FROM calls_block WHERE level = ${below} AND day = '${half}'`;
      halves.push((await rebuild(below, dayNumber(half))) ?? (await readPieces(connection, half, from)));
    }
    const [first = new Map<string, Piece>(), second = new Map<string, Piece>()] = halves;
    pieces = new Map();
    for (const half of [first, second]) {
      for (const piece of half.values()) {
        const merged = pieceOf(pieces, day, piece.roleName);
        for (const [key, row] of piece.calls) mergeCounters(merged.calls, key, row);
        for (const [key, row] of piece.plain ?? []) mergeCounters(merged.plain ?? new Map(), key, row);
      }
    }
    // A half alone is already folded (fold is idempotent): only two non-empty halves fold again.
    if (first.size > 0 && second.size > 0) for (const piece of pieces.values()) foldCallMap(piece.calls);
    await connection.run(`DELETE FROM calls_block WHERE level = ${level} AND day = '${day}'`);
    await appendCalls(connection, 'calls_block', pieces.values(), level);
    return pieces;
  };
  const size = 2 ** blockLevels;
  const tops = new Set(changed.map((n) => Math.floor(n / size) * size));
  for (const top of [...tops].sort((a, b) => a - b)) await rebuild(blockLevels, top);
}

/**
 * Records days whose per-file rows changed, in the same transaction as the change. Their
 * `calls_day` rows are rebuilt once at the end of the run (`refreshDirtyDays`), not after every
 * batch (a day spans many batches); a run that stops before that leaves them listed, the next run
 * rebuilds them first, and queries refuse an index with dirty days.
 */
async function markDirty(connection: DuckDBConnection, days: Iterable<string>): Promise<void> {
  const valid = [...new Set(days)].filter(isDay);
  if (valid.length === 0) return;
  await connection.run(`INSERT INTO dirty_days VALUES ${valid.map((d) => `('${d}')`).join(', ')} ON CONFLICT DO NOTHING`);
}

/** Rebuilds `calls_day` and `calls_block` for every dirty day, in one transaction. */
async function refreshDirtyDays(connection: DuckDBConnection, blockLevels: number): Promise<void> {
  await inTransaction(connection, async () => {
    const days = (await queryRows(connection, `SELECT day FROM dirty_days ORDER BY day`)).map((r) => String(r['day']));
    await refreshDays(connection, days, blockLevels);
    await connection.run(`DELETE FROM dirty_days`);
  });
}

/** One file's scan for the index (scanText in rollup mode). */
interface ScannedFile {
  file: LogFile;
  scan: FileScan;
}

/** Replaces the rows of the scanned files with their scans; returns the files with no CloudTrail records. */
async function storeBatch(connection: DuckDBConnection, scanned: readonly ScannedFile[], indexedAt: string, indexed: { has(path: string): boolean }): Promise<string[]> {
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

async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const value = await work();
    await connection.run('COMMIT');
    return value;
  } catch (cause) {
    await connection.run('ROLLBACK');
    throw cause;
  }
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
    const rows = (await (await connection.run('SELECT path, size, mtime_ms FROM files')).getRowObjectsJson()) as Array<{ path: string; size: string | number; mtime_ms: number }>;
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

    const summary = (await (await connection.run(`SELECT MIN(first_seen) AS first, MAX(last_seen) AS last FROM files`)).getRowObjectsJson()) as Array<{ first: string | null; last: string | null }>;
    const readPaths = new Set(toRead.map((f) => f.path));
    const recordsRead = (await (await connection.run(`SELECT path, records FROM files`)).getRowObjectsJson()) as Array<{ path: string; records: string | number }>;
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
      const error = new InputError(`${skipped.length} log file(s) could not be indexed (recorded in the index as missing evidence):\n${[...shown, ...more].join('\n')}`, {
        hint: 'fix or remove these files and run `iamtrim index` again, or pass --skip-bad-files to accept the gap (answers from the index then list them)',
      });
      return { update, error };
    }
    return { update };
  } finally {
    handle.close();
  }
}
