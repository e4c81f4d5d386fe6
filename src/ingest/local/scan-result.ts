/**
 * The end of a local scan (stream-source.ts): files with records but none that look like
 * CloudTrail become bad files, bad files fail the run unless the user asked to skip them, and the
 * evidence is assembled from the per-file statistics.
 */
import { InputError } from '../../errors.js';
import { compareText } from '../../util/compare-text.js';
import { sortedRows } from '../call-rows.js';
import type { CallRow, Evidence, SkippedFile, UsageQuery, UsageScan } from '../../model.js';
import type { FileScan } from '../reference.js';
import type { Discovery } from './discover.js';
import { deliveryCoverage, deliveryKeyOf, logAccounts } from './coverage.js';

export type FileStats = Pick<FileScan, 'records' | 'validRecords' | 'first' | 'last'>;

export interface LocalScanParts {
  logs: string;
  skipBadFiles: boolean;
  discovery: Discovery;
  /** Call groups keyed by callKey, already folded. */
  calls: Map<string, CallRow>;
  fileStats: Map<string, FileStats>;
  badFiles: SkippedFile[];
  dataSources: Set<string>;
}

/** Files with their reasons, one a line: the first ten, then how many more. */
export function listFiles(files: readonly SkippedFile[]): string {
  const more = files.length > 10 ? [`  … and ${files.length - 10} more`] : [];
  return [...files.slice(0, 10).map((b) => `  ${b.file}: ${b.reason}`), ...more].join('\n');
}

export function finishLocalScan(query: UsageQuery, parts: LocalScanParts): UsageScan {
  const { discovery, calls, fileStats, dataSources } = parts;
  const badFiles = [...parts.badFiles];
  for (const file of discovery.files) {
    const stats = fileStats.get(file.path);
    if (stats !== undefined && stats.records > 0 && stats.validRecords === 0) {
      badFiles.push({ file: file.path, reason: 'no CloudTrail records in it (no record has eventSource and eventTime)' });
      fileStats.delete(file.path);
    }
  }
  badFiles.sort((a, b) => compareText(a.file, b.file));
  if (badFiles.length > 0 && !parts.skipBadFiles) {
    throw new InputError(`${badFiles.length} log file(s) could not be read; no policy is proposed from partial evidence:\n${listFiles(badFiles)}`, {
      hint: 'fix or remove these files, or pass --skip-bad-files to continue without them (the output then says what was skipped)',
    });
  }
  let records = 0;
  let valid = 0;
  let first: string | null = null;
  let last: string | null = null;
  for (const s of fileStats.values()) {
    records += s.records;
    valid += s.validRecords;
    if (s.first !== null && (first === null || s.first < first)) first = s.first;
    if (s.last !== null && (last === null || s.last > last)) last = s.last;
  }
  const rows = sortedRows(calls);
  // What the delivery names and paths say (a bad file's day is not covered: its events are unknown).
  const bad = new Set(badFiles.map((b) => b.file));
  const keys = discovery.files.filter((f) => !bad.has(f.path)).map((f) => deliveryKeyOf(f.path));
  const evidence: Evidence = {
    source: `local logs ${parts.logs}`,
    files: discovery.files.length - badFiles.length,
    bytes: discovery.files.reduce((sum, f) => sum + f.size, 0),
    skippedFiles: badFiles,
    records,
    invalidRecords: records - valid,
    events: rows.reduce((sum, r) => sum + r.count, 0),
    covered: { first, last },
    logDates: discovery.pathDates,
    prunedFiles: discovery.pruned,
    dataEventSources: [...dataSources].sort(compareText),
    coverage: deliveryCoverage(keys, query.window),
    accounts: logAccounts(keys, rows),
    duplicateFiles: discovery.duplicates,
  };
  return { window: query.window, rows, evidence };
}
