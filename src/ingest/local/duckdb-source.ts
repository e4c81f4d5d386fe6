/**
 * The embedded default source: CloudTrail files on disk read by DuckDB. The role filter, the
 * window and the grouping run inside DuckDB, batch by batch, so memory follows distinct usage and
 * not the number of events. A file that cannot be read fails the run (naming it) unless the user
 * asked to skip bad files; it is never silently dropped.
 */
import { DuckDBInstance, LIST, VARCHAR, BOOLEAN, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { cpus } from 'node:os';
import { gunzipSync } from 'node:zlib';
import type { CallRow, SkippedFile, UsageQuery, UsageScan } from '../../model.js';
import { buildUsageQuery } from '../query.js';
import { packedCallSql, unpackCallRow } from '../packed-call.js';
import { mergeCallRows } from '../call-rows.js';
import { foldCallMap } from '../fold.js';
import { discoverLogFiles, isDeliveryFile, shapeOfHead, type FileShape, type LogFile } from './discover.js';
import { errorCode } from '../../util/error-code.js';
import { finishLocalScan, type FileStats } from './scan-result.js';
import { DUCKDB_DIALECT, RECORD_TYPE, sqlString } from './duckdb-dialect.js';
import type { UsageSource } from '../source.js';

export interface ScanProgress {
  filesDone: number;
  files: number;
  bytesDone: number;
  bytes: number;
  records: number;
}

export interface LocalSourceOptions {
  logs: string;
  skipBadFiles: boolean;
  onProgress?: (progress: ScanProgress) => void;
  /** Compressed bytes per DuckDB query; bounds memory. */
  batchBytes?: number;
  threads?: number;
}

const MIN_OBJECT_BYTES = 16 * 1024 * 1024;
/** New call groups read from a batch between two folds of the batch's map (bounds its memory). */
const FOLD_EVERY = 20_000;
const MAX_OBJECT_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * read_json's `maximum_object_size` must exceed the largest JSON value (a whole delivery file is
 * one object), but DuckDB allocates buffers of that size per file, so it is sized per batch:
 * gzipped CloudTrail JSON inflates about 10-20x; 32x leaves margin, and a too-small guess is
 * retried larger (see runBatchSized).
 */
export function objectSizeFor(files: readonly LogFile[]): number {
  const largest = Math.max(0, ...files.map((f) => (f.path.endsWith('.gz') ? f.size * 32 : f.size + 1)));
  let size = MIN_OBJECT_BYTES;
  while (size < largest && size < MAX_OBJECT_BYTES) size = Math.min(size * 2, MAX_OBJECT_BYTES);
  return size;
}

/** Reads the first bytes of a file (decompressed when gzipped) to tell its layout. */
export async function sniffShape(file: LogFile): Promise<FileShape> {
  if (isDeliveryFile(file.path)) return 'wrapped';
  const handle = await open(file.path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(64 * 1024, Math.max(file.size, 1)));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH: accept a partial stream */ });
    } catch {
      return 'wrapped'; // let DuckDB report the corrupt stream with the file's name
    }
  }
  return shapeOfHead(head.toString('utf8'));
}

/** The read_json relation for files of one shape (exported for the usage index). */
export function relationFor(shape: FileShape, files: readonly LogFile[], objectSize: number): string {
  const list = `[${files.map((f) => sqlString(f.path)).join(', ')}]`;
  const common = `maximum_object_size=${objectSize}, filename=true`;
  if (shape === 'wrapped') {
    return `SELECT unnest("Records") AS rec, filename FROM read_json(${list}, columns={"Records": '${RECORD_TYPE}[]'}, format='auto', ${common})`;
  }
  const format = shape === 'array' ? 'array' : 'auto';
  return `SELECT rec, filename FROM read_json(${list}, columns={"rec": '${RECORD_TYPE}'}, format='${format}', records=false, ${common})`;
}


interface BatchResult {
  /** Keyed by callKey, folded. */
  calls: Map<string, CallRow>;
  files: Map<string, FileStats>;
  dataSources: Set<string>;
}

function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

async function runBatch(
  connection: DuckDBConnection,
  groups: ReadonlyMap<FileShape, LogFile[]>,
  query: UsageQuery,
): Promise<BatchResult> {
  let objectSize = objectSizeFor([...groups.values()].flat());
  for (;;) {
    try {
      return await runBatchSized(connection, groups, query, objectSize);
    } catch (cause) {
      const tooBig = /maximum_object_size/i.test(cause instanceof Error ? cause.message : String(cause));
      if (!tooBig || objectSize >= MAX_OBJECT_BYTES) throw cause;
      objectSize = Math.min(objectSize * 4, MAX_OBJECT_BYTES);
    }
  }
}

async function runBatchSized(
  connection: DuckDBConnection,
  groups: ReadonlyMap<FileShape, LogFile[]>,
  query: UsageQuery,
  objectSize: number,
): Promise<BatchResult> {
  const relations = [...groups].map(([shape, files]) => relationFor(shape, files, objectSize));
  const usage = buildUsageQuery(DUCKDB_DIALECT, { from: `(${relations.join(' UNION ALL ')}) AS r` });
  const sql = `SELECT grouping_set,
    CASE WHEN grouping_set = 'calls' THEN ${packedCallSql('records', 'first_seen', 'last_seen')} END AS call,
    file_name, event_source, event_category, in_window, records, valid_records, first_seen, last_seen
  FROM (${usage}) AS grouped`;
  const prepared = await connection.prepare(sql);
  const filter = query.roles;
  prepared.bind(
    {
      roleArns: listValue(filter.kind === 'roles' ? [...filter.arns] : []),
      roleNames: listValue(filter.kind === 'roles' ? [...filter.names] : []),
      allRoles: filter.kind === 'all',
      start: query.window.start,
      end: query.window.end,
    },
    { roleArns: LIST(VARCHAR), roleNames: LIST(VARCHAR), allRoles: BOOLEAN, start: VARCHAR, end: VARCHAR },
  );
  // Streamed chunk by chunk into a batch-local map folded every FOLD_EVERY new groups, so neither
  // DuckDB's result nor the JS side holds every unfolded group of the batch at once. Nothing
  // reaches the scan's totals before the batch has been read whole (a failed batch is retried
  // file by file, never counted twice).
  const calls = new Map<string, CallRow>();
  const files = new Map<string, FileStats>();
  const dataSources = new Set<string>();
  let added = 0;
  // The statement (native memory V8 does not see) is freed here, not at garbage collection.
  try {
    const result = await prepared.stream();
    for await (const chunk of result.yieldRowsJson()) {
      for (const row of chunk) {
        const set = row[0];
        if (set === 'files') {
          files.set(String(row[2]), {
            records: Number(row[6]),
            validRecords: Number(row[7]),
            first: str(row[8]),
            last: str(row[9]),
          });
        } else if (set === 'coverage') {
          if (row[5] === true && row[4] === 'Data' && typeof row[3] === 'string') dataSources.add(row[3]);
        } else {
          const before = calls.size;
          mergeCallRows(calls, [unpackCallRow(String(row[1]))]);
          added += calls.size - before;
          if (added >= FOLD_EVERY) {
            foldCallMap(calls);
            added = 0;
          }
        }
      }
    }
  } finally {
    prepared.destroySync();
  }
  return { calls, files, dataSources };
}

function describeDuckDbError(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split('\n')[0]?.replace(/^[A-Za-z ]+Error: /, '') ?? message;
}

/** Scans local CloudTrail files and returns the grouped calls plus the evidence it read. */
export async function scanLocalLogs(query: UsageQuery, options: LocalSourceOptions): Promise<UsageScan> {
  const discovery = await discoverLogFiles(options.logs, query.window);
  const shapes = new Map<string, FileShape>();
  // Files that cannot even be opened, and 0-byte files (CloudTrail never delivers one: an
  // interrupted download), are bad files like corrupt ones: named, and skipped only on request.
  const unreadable: SkippedFile[] = [];
  for (const file of discovery.files) {
    if (file.size === 0) {
      unreadable.push({ file: file.path, reason: 'empty file (0 bytes); CloudTrail never delivers an empty log file' });
      continue;
    }
    try {
      shapes.set(file.path, await sniffShape(file));
    } catch (cause) {
      unreadable.push({ file: file.path, reason: `cannot read it (${errorCode(cause)})` });
    }
  }

  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads ?? Math.max(1, cpus().length)),
    preserve_insertion_order: 'false',
  });
  const connection = await instance.connect();
  // DuckDB's own progress, polled during a batch: one batch can be a whole 1M-event scan.
  if (options.onProgress !== undefined) await connection.run('SET enable_progress_bar = true; SET enable_progress_bar_print = false');
  const totalBytes = discovery.files.reduce((sum, f) => sum + f.size, 0);
  const batchBytes = options.batchBytes ?? 128 * 1024 * 1024;
  const calls = new Map<string, CallRow>();
  const fileStats = new Map<string, FileStats>();
  const dataSources = new Set<string>();
  const badFiles: SkippedFile[] = [...unreadable];
  const progress: ScanProgress = { filesDone: 0, files: discovery.files.length - unreadable.length, bytesDone: 0, bytes: totalBytes, records: 0 };

  const absorb = (result: BatchResult): void => {
    mergeCallRows(calls, result.calls.values());
    // S3 object keys folded past FOLD_LIMIT per call after every batch, so the map stays bounded;
    // folding is composable, so this equals one fold over all batches.
    foldCallMap(calls);
    for (const [file, stats] of result.files) fileStats.set(file, stats);
    for (const source of result.dataSources) dataSources.add(source);
  };
  const groupByShape = (files: readonly LogFile[]): Map<FileShape, LogFile[]> => {
    const groups = new Map<FileShape, LogFile[]>();
    for (const f of files) {
      const shape = shapes.get(f.path) ?? 'lines';
      const group = groups.get(shape);
      if (group === undefined) groups.set(shape, [f]);
      else group.push(f);
    }
    return groups;
  };

  try {
    let batch: LogFile[] = [];
    let batchSize = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const onProgress = options.onProgress;
      const inBatch = batchSize;
      const ticker =
        onProgress === undefined
          ? undefined
          : setInterval(() => {
              const pct = connection.progress.percentage;
              if (pct > 0) onProgress({ ...progress, bytesDone: progress.bytesDone + Math.floor((inBatch * Math.min(pct, 99)) / 100) });
            }, 500);
      try {
        absorb(await runBatch(connection, groupByShape(batch), query));
      } catch {
        // Isolate the unreadable file(s): run the batch's files one by one.
        for (const file of batch) {
          try {
            absorb(await runBatch(connection, groupByShape([file]), query));
          } catch (cause) {
            badFiles.push({ file: file.path, reason: describeDuckDbError(cause) });
          }
        }
      } finally {
        if (ticker !== undefined) clearInterval(ticker);
      }
      progress.filesDone += batch.length;
      progress.bytesDone += batchSize;
      progress.records = [...fileStats.values()].reduce((sum, s) => sum + s.records, 0);
      options.onProgress?.({ ...progress });
      batch = [];
      batchSize = 0;
    };
    for (const file of discovery.files) {
      if (!shapes.has(file.path)) continue; // unreadable or empty: already in badFiles
      batch.push(file);
      batchSize += file.size;
      if (batchSize >= batchBytes || batch.length >= 2000) await flush();
    }
    await flush();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }

  return finishLocalScan(query, { logs: options.logs, skipBadFiles: options.skipBadFiles, discovery, calls, fileStats, badFiles, dataSources });
}

/** The local files as a UsageSource. */
export function localLogsSource(options: LocalSourceOptions): UsageSource {
  return { description: `local logs ${options.logs}`, scan: (query) => scanLocalLogs(query, options) };
}
