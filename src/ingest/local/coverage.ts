/**
 * Which (account, region, day) the log files cover, from their delivery names and paths alone
 * (`AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz`),
 * and the days inside a window on which a region that otherwise delivers has no file: a gap, whose
 * events are unknown. Pure: the file list comes from `discover.ts`.
 *
 * CloudTrail delivers a file per region about every five minutes while the region has events, and
 * none while it has none. A quiet region (a few calls a week) has days without files that are not
 * gaps, so a region's days are judged only when it delivers through the day: on average at least
 * `MIN_ACTIVE_HOURS` distinct delivery hours on the days it has files. The others are listed as
 * not judged, with their figures, never silently treated as complete.
 */
import type { CallRow, CoverageGapDays, DeliveryCoverage, DeliveryRegion, TimeWindow } from '../../model.js';
import { compareText } from '../../util/compare-text.js';
import { addDays } from '../index/day-blocks.js';

/** One delivery file's account, region, UTC day and hour (`HH`, from the file name; null from a folder date alone). */
export interface DeliveryKey {
  account: string;
  region: string;
  day: string;
  hour: string | null;
}

/** Average delivery hours per delivered day from which a region is judged: busy a quarter of the day, every day it is busy. */
export const MIN_ACTIVE_HOURS = 6;

const DELIVERY_NAME = /(?:^|[\\/])(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})\d{2}Z_[A-Za-z0-9]+\.json(?:\.gz)?$/;
const DELIVERY_FOLDER = /(?:^|[\\/])AWSLogs[\\/](?:o-[a-z0-9]+[\\/])?(\d{12})[\\/]CloudTrail[\\/]([a-z0-9-]+)[\\/](\d{4})[\\/](\d{2})[\\/](\d{2})[\\/]/;

/** The delivery key a file's name (or else its folder layout) carries, or null when neither does. */
export function deliveryKeyOf(path: string): DeliveryKey | null {
  const byName = DELIVERY_NAME.exec(path);
  if (byName) {
    const [, account = '', region = '', y, m, d, hour = null] = byName;
    return { account, region, day: `${y}-${m}-${d}`, hour };
  }
  const byFolder = DELIVERY_FOLDER.exec(path);
  if (byFolder) {
    const [, account = '', region = '', y, m, d] = byFolder;
    return { account, region, day: `${y}-${m}-${d}`, hour: null };
  }
  return null;
}

/** The UTC days a window touches: from its start's day to the day of its last millisecond. */
export function windowDays(window: TimeWindow): string[] {
  const first = window.start.slice(0, 10);
  const last = new Date(Date.parse(window.end) - 1).toISOString().slice(0, 10);
  const days: string[] = [];
  for (let day = first; day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

/**
 * The coverage of `window` by files with these keys (null: a file without a dated delivery path).
 * Only files whose delivery day lies in the window count. Gaps are looked for between the first
 * and the last day on which any region delivered (the stretches before and after are the edges,
 * judged from event times by the caller), in judged regions only.
 */
export function deliveryCoverage(keys: ReadonlyArray<DeliveryKey | null>, window: TimeWindow): DeliveryCoverage {
  const days = windowDays(window);
  const inWindow = new Set(days);
  const undatedFiles = keys.filter((k) => k === null).length;
  const perRegion = new Map<string, { account: string; region: string; days: Map<string, Set<string>>; files: number }>();
  for (const key of keys) {
    if (key === null || !inWindow.has(key.day)) continue;
    const id = `${key.account} ${key.region}`;
    const entry = perRegion.get(id) ?? { account: key.account, region: key.region, days: new Map(), files: 0 };
    const hours = entry.days.get(key.day) ?? new Set<string>();
    // A file without an hour (folder date only) counts as an hour of its own.
    hours.add(key.hour ?? `file-${entry.files}`);
    entry.days.set(key.day, hours);
    entry.files++;
    perRegion.set(id, entry);
  }
  const delivered = [...perRegion.values()].flatMap((r) => [...r.days.keys()]).sort(compareText);
  const from = delivered[0];
  const to = delivered[delivered.length - 1];
  const regions: DeliveryRegion[] = [];
  const gaps: CoverageGapDays[] = [];
  for (const entry of [...perRegion.values()].sort((a, b) => compareText(`${a.account} ${a.region}`, `${b.account} ${b.region}`))) {
    const hours = [...entry.days.values()].reduce((sum, h) => sum + h.size, 0);
    const activeHours = Math.round((hours / entry.days.size) * 10) / 10;
    const judged = activeHours >= MIN_ACTIVE_HOURS;
    regions.push({ account: entry.account, region: entry.region, days: entry.days.size, files: entry.files, activeHoursPerDay: activeHours, judged });
    if (!judged || from === undefined || to === undefined) continue;
    let run: string[] = []; // consecutive days without a file
    const flush = (): void => {
      const [first, last] = [run[0], run[run.length - 1]];
      if (first !== undefined && last !== undefined) gaps.push({ account: entry.account, region: entry.region, from: first, to: last, days: run.length });
      run = [];
    };
    for (const day of days) {
      if (day < from || day > to) continue;
      if (entry.days.has(day)) flush();
      else run.push(day);
    }
    flush();
  }
  return { basis: perRegion.size > 0 ? 'delivery-paths' : 'unknown', windowDays: days.length, undatedFiles, regions, gaps };
}

/** Gaps as one phrase per date range, the regions sharing it named together. */
export function describeDayGaps(gaps: readonly CoverageGapDays[]): string {
  const byRange = new Map<string, { from: string; to: string; days: number; where: Map<string, string[]> }>();
  for (const g of gaps) {
    const id = `${g.from} ${g.to}`;
    const range = byRange.get(id) ?? { from: g.from, to: g.to, days: g.days, where: new Map<string, string[]>() };
    range.where.set(g.account, [...(range.where.get(g.account) ?? []), g.region]);
    byRange.set(id, range);
  }
  return [...byRange.values()]
    .sort((a, b) => compareText(a.from, b.from) || compareText(a.to, b.to))
    .map((r) => {
      const when = r.from === r.to ? `on ${r.from}` : `from ${r.from} to ${r.to}`;
      const where = [...r.where].map(([account, regions]) => `${regions.join(', ')} of account ${account}`).join('; ');
      return `no log files ${when} (${r.days} day${r.days === 1 ? '' : 's'}) in ${where}`;
    })
    .join('; ');
}

/** The accounts logs come from: their delivery paths, and the recipient accounts of the calls attributed. */
export function logAccounts(keys: ReadonlyArray<DeliveryKey | null>, rows: readonly CallRow[]): string[] {
  const accounts = new Set<string>();
  for (const key of keys) if (key !== null) accounts.add(key.account);
  for (const row of rows) if (/^\d{12}$/.test(row.recipientAccountId)) accounts.add(row.recipientAccountId);
  return [...accounts].sort(compareText);
}
