/**
 * The local source (`--logs`): worker threads, one per core, each scanning the next file
 * (file-scanner.ts); the main thread lists the files, merges the workers' groups and assembles
 * the evidence (scan-result.ts).
 */
import { closeSync, existsSync, openSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CallRow, SkippedFile, UsageQuery, UsageScan } from '../../../model.js';
import { foldCallMap } from '../../fold.js';
import { callKey, mergeCounters } from '../../call-rows.js';
import { discoverLogFiles, type LogFile } from '../discover.js';
import { errorCode } from '../../../util/error-code.js';
import { finishLocalScan, type FileStats } from '../scan-result.js';
import type { UsageSource } from '../../source.js';
import type { FileOutcome } from './file-scanner.js';
import { nativeWalker } from './record-index.js';

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
  /** Worker threads (default: one per core; 1 scans in this thread). */
  threads?: number;
  /** Take the reference path even where the native walker loads (tests compare the two). */
  reference?: boolean;
}

/** A scan worker started ahead of its files, with any error it raised before they came. */
interface ScanWorker {
  worker: Worker;
  error?: unknown;
}

/**
 * Starts `threads` scan workers (none for one thread, or when the worker file is not built), so
 * their start-up (~0.1 s) overlaps listing and checking the files.
 */
function startWorkers(query: UsageQuery, threads: number, reference: boolean): ScanWorker[] {
  const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (threads <= 1 || !existsSync(workerFile)) return [];
  return Array.from({ length: threads }, () => {
    // A bounded young generation: the scan allocates short-lived strings per call group, and
    // V8's default lets each worker's nursery grow further; 64 MB is the measured knee between
    // time and peak memory (docs/performance.md).
    const worker = new Worker(workerFile, { workerData: { query, reference }, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
    const started: ScanWorker = { worker };
    worker.once('error', (cause) => {
      started.error ??= cause;
    });
    return started;
  });
}

/** Runs `files` through the started workers (or in this thread when there are none). */
async function scanFiles(
  files: readonly LogFile[],
  query: UsageQuery,
  started: ScanWorker[],
  reference: boolean,
  onOutcome: (outcome: FileOutcome, file: LogFile) => void,
): Promise<CallRow[][]> {
  const used = files.length <= 1 ? [] : started.slice(0, files.length);
  await Promise.all(started.filter((w) => !used.includes(w)).map((w) => w.worker.terminate()));
  if (used.length === 0) {
    // Imported here: with workers, only they scan, and this thread starts them without loading it.
    const { FileScanner } = await import('./file-scanner.js');
    const scanner = new FileScanner(query, reference);
    for (const file of files) onOutcome(scanner.scanFile(file.path), file);
    return [scanner.rows()];
  }
  let next = 0;
  const runWorker = ({ worker, error }: ScanWorker): Promise<CallRow[]> =>
    new Promise((resolve, reject) => {
      if (error !== undefined) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      // The file the worker scans: one at a time, the next one when it is done.
      let file: LogFile | undefined;
      const feed = (): void => {
        file = files[next++];
        worker.postMessage(file === undefined ? { finish: true } : { path: file.path });
      };
      worker.on('message', (message: { outcome?: FileOutcome; calls?: string }) => {
        if (message.outcome !== undefined && file !== undefined) {
          onOutcome(message.outcome, file);
          feed();
        } else if (message.calls !== undefined) {
          resolve(JSON.parse(message.calls) as CallRow[]);
          void worker.terminate();
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (code !== 0) reject(new Error(`scan worker exited with code ${code}`));
      });
      feed();
    });
  // One worker failing fails the scan (scanLocalLogsStream then stops the others).
  return Promise.all(used.map(runWorker));
}

/** Scans local CloudTrail files and returns the grouped calls plus the evidence it read. */
export async function scanLocalLogsStream(query: UsageQuery, options: LocalSourceOptions): Promise<UsageScan> {
  // Loaded here first: a stale or broken native module is a user error (run npm run build) in
  // this thread, not a worker's crash.
  nativeWalker();
  const workers = startWorkers(query, options.threads ?? Math.max(1, cpus().length), options.reference === true);
  try {
    return await scanStarted(query, options, workers);
  } finally {
    // Stopped whatever happened (a bad --logs, a failed worker): idle workers keep the process up.
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

async function scanStarted(query: UsageQuery, options: LocalSourceOptions, workers: ScanWorker[]): Promise<UsageScan> {
  const discovery = await discoverLogFiles(options.logs, query.window);
  // 0-byte files (CloudTrail never delivers one: an interrupted download) are bad files.
  const badFiles: SkippedFile[] = [];
  const files: LogFile[] = [];
  for (const file of discovery.files) {
    if (file.size === 0) {
      badFiles.push({ file: file.path, reason: 'empty file (0 bytes); CloudTrail never delivers an empty log file' });
      continue;
    }
    // Opened here first, so a file we may not read is named before any worker starts on it
    // (synchronously: one awaited open at a time cost 0.1 s for 360 files).
    try {
      closeSync(openSync(file.path, 'r'));
      files.push(file);
    } catch (cause) {
      badFiles.push({ file: file.path, reason: `cannot read it (${errorCode(cause)})` });
    }
  }
  const fileStats = new Map<string, FileStats>();
  const dataSources = new Set<string>();
  const progress: ScanProgress = {
    filesDone: 0,
    files: files.length,
    bytesDone: 0,
    bytes: discovery.files.reduce((sum, f) => sum + f.size, 0),
    records: 0,
  };
  let lastReport = 0;
  const parts = await scanFiles(files, query, workers, options.reference === true, (outcome, file) => {
    if (outcome.ok) {
      fileStats.set(outcome.path, outcome);
      for (const source of outcome.dataSources) dataSources.add(source);
      progress.records += outcome.records;
    } else {
      badFiles.push({ file: outcome.path, reason: outcome.reason });
    }
    progress.filesDone++;
    progress.bytesDone += file.size;
    const now = Date.now();
    if (options.onProgress !== undefined && (now - lastReport >= 250 || progress.filesDone === progress.files)) {
      lastReport = now;
      options.onProgress({ ...progress });
    }
  });
  const calls = new Map<string, CallRow>();
  // The parts are this scan's own (parsed from the workers' JSON, or the scanner's copies): merged
  // without another copy of every row.
  for (const rows of parts) for (const row of rows) mergeCounters(calls, callKey(row), row);
  foldCallMap(calls);
  return finishLocalScan(query, { logs: options.logs, skipBadFiles: options.skipBadFiles, discovery, calls, fileStats, badFiles, dataSources });
}

/** The local files as a UsageSource (`--logs`). */
export function streamLogsSource(options: LocalSourceOptions): UsageSource {
  return { description: `local logs ${options.logs}`, scan: (query) => scanLocalLogsStream(query, options) };
}
