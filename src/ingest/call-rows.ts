/**
 * Call rows as every source hands them over: their identity (`callKey`), merging, and the one
 * canonical order.
 */
import type { CallRow } from '../model.js';
import { compareText } from '../util/compare-text.js';

/** The fields of a call's key before its parameters and resources, in `callKey`'s order (a fold family's head too). */
export function callHeadFields(row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen' | 'params' | 'resourceArns'>): unknown[] {
  return [row.roleArn, row.eventSource, row.eventName, row.awsRegion, row.recipientAccountId, row.eventCategory, row.errorCode, row.invokedBy];
}

/** Stable identity of a call group: everything but the counters. */
export function callKey(row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'>): string {
  const params = Object.keys(row.params)
    .sort(compareText)
    .map((k) => [k, row.params[k]]);
  const key = callHeadFields(row);
  key.push(params, row.resourceArns);
  // Folded rows (see fold.ts) carry their depth, so a folded and an exact row never merge.
  if (row.foldedDepth !== undefined) key.push(row.foldedDepth);
  return JSON.stringify(key);
}

/** The call-key fields of a `callKey` text (its inverse): the usage index stores groups by their key. */
export function callFromKey(key: string): Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'> {
  const k = JSON.parse(key) as [string, string, string, string, string, string, string | null, string | null, Array<[string, string]>, string[], number?];
  const params: Record<string, string> = {};
  for (const [name, value] of k[8]) params[name] = value;
  const row: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen'> = {
    roleArn: k[0],
    eventSource: k[1],
    eventName: k[2],
    awsRegion: k[3],
    recipientAccountId: k[4],
    eventCategory: k[5],
    errorCode: k[6],
    invokedBy: k[7],
    params,
    resourceArns: k[9],
  };
  if (k[10] !== undefined) row.foldedDepth = k[10];
  return row;
}

/** Adds `row` into `rows` under `key`, merging counters (count, first and last seen) with a row already there. */
export function mergeCounters<T extends { count: number; firstSeen: string; lastSeen: string }>(rows: Map<string, T>, key: string, row: T): void {
  const seen = rows.get(key);
  if (seen === undefined) rows.set(key, row);
  else {
    seen.count += row.count;
    if (row.firstSeen < seen.firstSeen) seen.firstSeen = row.firstSeen;
    if (row.lastSeen > seen.lastSeen) seen.lastSeen = row.lastSeen;
  }
}

/** Adds copies of `next` into the groups in `into`, keyed by callKey (query batches, index partitions, worker results). */
export function mergeCallRows(into: Map<string, CallRow>, next: Iterable<CallRow>): void {
  for (const row of next) mergeCounters(into, callKey(row), { ...row });
}

/** Canonical order of call rows, so every source returns the same sequence. */
export function sortCallRows(rows: CallRow[]): CallRow[] {
  return rows.sort((a, b) => compareText(callKey(a), callKey(b)));
}

/** The rows of a map keyed by callKey, in sortCallRows order (without re-serialising every key per comparison). */
export function sortedRows(map: ReadonlyMap<string, CallRow>): CallRow[] {
  return [...map.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, row]) => row);
}
