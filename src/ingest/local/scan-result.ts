/**
 * The end of a local scan (stream-source.ts): files with
 * records but none that look like CloudTrail become bad files, bad files fail the run unless the
 * user asked to skip them, and the evidence is assembled from the per-file statistics.
 */
import { InputError } from '../../errors.js';
import { compareText } from '../../util/compare-text.js';
import { sortedRows } from '../call-rows.js';
import type { CallRow, Evidence, SkippedFile, UsageQuery, UsageScan } from '../../model.js';
import type { Discovery } from './discover.js';
import { deliveryCoverage, deliveryKeyOf, logAccounts } from './coverage.js';

export interface FileStats {
  records: number;
  validRecords: number;
  first: string | null;
  last: string | null;
}

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
  const stats = [...fileStats.values()];
  const firsts = stats
    .map((s) => s.first)
    .filter((t): t is string => t !== null)
    .sort(compareText);
  const lasts = stats
    .map((s) => s.last)
    .filter((t): t is string => t !== null)
    .sort(compareText);
  const rows = sortedRows(calls);
  const totalBytes = discovery.files.reduce((sum, f) => sum + f.size, 0);
  const evidence: Evidence = {
    source: `local logs ${parts.logs}`,
    files: discovery.files.length - badFiles.length,
    bytes: totalBytes,
    skippedFiles: badFiles,
    records: stats.reduce((sum, s) => sum + s.records, 0),
    invalidRecords: stats.reduce((sum, s) => sum + (s.records - s.validRecords), 0),
    events: rows.reduce((sum, r) => sum + r.count, 0),
    covered: { first: firsts[0] ?? null, last: lasts[lasts.length - 1] ?? null },
    logDates: discovery.pathDates,
    prunedFiles: discovery.pruned,
    dataEventSources: [...dataSources].sort(compareText),
    ...deliveryEvidence(query, discovery, badFiles, rows),
  };
  return { window: query.window, rows, evidence };
}

/**
 * What the delivery names and paths say: the (account, region, day) coverage of the window by the
 * files read (a bad file's day is not covered: its events are unknown), the accounts the logs come
 * from (paths, and the recipient accounts of the calls attributed), and the duplicate copies.
 */
export function deliveryEvidence(
  query: UsageQuery,
  discovery: Discovery,
  badFiles: readonly SkippedFile[],
  rows: readonly CallRow[],
): Pick<Evidence, 'coverage' | 'accounts' | 'duplicateFiles'> {
  const bad = new Set(badFiles.map((b) => b.file));
  const keys = discovery.files.filter((f) => !bad.has(f.path)).map((f) => deliveryKeyOf(f.path));
  return {
    coverage: deliveryCoverage(keys, query.window),
    accounts: logAccounts(keys, rows),
    duplicateFiles: discovery.duplicates,
  };
}
