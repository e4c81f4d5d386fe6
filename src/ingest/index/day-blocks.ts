/**
 * UTC days, and the aligned day blocks of the usage index: level 0 is one day (`calls_day`), level
 * k the 2^k days from a day number (days since 1970-01-01) divisible by 2^k (`calls_block`). Any
 * window of whole days is the disjoint union of about 2 * BLOCK_LEVELS blocks (plus one per
 * 2^BLOCK_LEVELS days), so a query reads a few folded pieces instead of one per day.
 */
import { UsageError } from '../../errors.js';
import type { TimeWindow } from '../../model.js';

const MIDNIGHT = /^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$/;

/**
 * The days `[startDay, endDay)` of a window of whole UTC days, for the sources that store days
 * (the usage index, the Athena rollup: `what`); else a usage error whose hint names the end that
 * aligns it, or `otherwise` (the source that reads any window).
 */
export function wholeDays(window: TimeWindow, what: string, otherwise: string): { startDay: string; endDay: string } {
  if (!MIDNIGHT.test(window.start) || !MIDNIGHT.test(window.end)) {
    const aligned = `${new Date(Date.parse(window.end)).toISOString().slice(0, 10)}T00:00:00Z`;
    throw new UsageError(`${what} answers whole UTC days, but the window ${window.start} to ${window.end} is not`, {
      hint: `pass --end ${aligned} (the window then ends at the start of that day), or ${otherwise}`,
    });
  }
  return { startDay: window.start.slice(0, 10), endDay: window.end.slice(0, 10) };
}

/**
 * The highest block level a new index builds: 64 days. Any 90-day window then reads at most 10
 * blocks, any year 14, and a new day rebuilds 6 blocks, none longer than 64 days.
 */
export const BLOCK_LEVELS = 6;

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** True for a `YYYY-MM-DD` day, the only days the index keeps rollups for. */
export function isDay(day: string): boolean {
  return DAY.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` day. */
export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

/** The `YYYY-MM-DD` day of a day number. */
export function dayString(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** The `YYYY-MM-DD` day `n` days after `day`. */
export function addDays(day: string, n: number): string {
  return dayString(dayNumber(day) + n);
}

/** A block of 2^level days from `day` (level 0: `calls_day`, else `calls_block`). */
export type DayBlock = { level: number; day: string };

/**
 * The days `[startDay, endDay)` as the fewest aligned blocks of level <= `levels`: at each day,
 * the largest block that starts there and ends inside the window. Disjoint, in day order, and
 * together exactly the window (empty when endDay <= startDay).
 */
export function coverWindow(startDay: string, endDay: string, levels: number = BLOCK_LEVELS): DayBlock[] {
  const end = dayNumber(endDay);
  const blocks: DayBlock[] = [];
  for (let n = dayNumber(startDay); n < end;) {
    let level = 0;
    while (level < levels && n % 2 ** (level + 1) === 0 && n + 2 ** (level + 1) <= end) level++;
    blocks.push({ level, day: dayString(n) });
    n += 2 ** level;
  }
  return blocks;
}
