/** Small, locale-independent formatting helpers shared by the text renderers. */

import { count } from '../util/count.js';

export { count };

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Whole days between two ISO instants, for "in the last 30 days". */
export function days(start: string, end: string): number {
  return Math.round((Date.parse(end) - Date.parse(start)) / 86_400_000);
}

/** Pretty JSON with a trailing newline: the canonical on-disk form of every JSON artefact. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
