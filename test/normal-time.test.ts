/**
 * normalTime (reference.ts), which every scan runs per distinct record time: its digit check of
 * the canonical form `YYYY-MM-DDTHH:MM:SSZ` must give what the Date round trip gives (the rule
 * before the check: Date.parse, then toISOString without milliseconds, and a canonical string
 * that does not come back unchanged is not a date).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalTime } from '../src/ingest/reference.js';

/** The Date round trip alone (normalTime without its digit check). */
function byDate(raw: string): string | null {
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) return null;
  const time = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(raw) && time !== raw ? null : time;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe('normalTime', () => {
  it('keeps real seconds and refuses days, hours, minutes and seconds that do not exist (Gregorian calendar)', () => {
    expect(normalTime('2026-02-01T10:00:00Z')).toBe('2026-02-01T10:00:00Z');
    expect(normalTime('2024-02-29T23:59:59Z')).toBe('2024-02-29T23:59:59Z'); // 2024: divisible by 4
    expect(normalTime('2000-02-29T00:00:00Z')).toBe('2000-02-29T00:00:00Z'); // divisible by 400
    expect(normalTime('1900-02-29T00:00:00Z')).toBeNull(); // divisible by 100, not by 400
    expect(normalTime('2025-02-29T00:00:00Z')).toBeNull();
    expect(normalTime('2026-04-31T00:00:00Z')).toBeNull(); // April has 30 days
    expect(normalTime('2026-02-81T10:00:00Z')).toBeNull();
    expect(normalTime('2026-13-01T10:00:00Z')).toBeNull();
    expect(normalTime('2026-00-01T10:00:00Z')).toBeNull();
    expect(normalTime('2026-01-00T10:00:00Z')).toBeNull();
    expect(normalTime('2026-01-01T24:00:00Z')).toBeNull();
    expect(normalTime('2026-01-01T10:60:00Z')).toBeNull();
    expect(normalTime('2026-01-01T10:00:60Z')).toBeNull(); // no leap seconds in Date
    // Other forms Date reads are normalised, not refused.
    expect(normalTime('2026-02-01T10:00:00.250Z')).toBe('2026-02-01T10:00:00Z');
    expect(normalTime('2026-02-01T11:00:00+01:00')).toBe('2026-02-01T10:00:00Z');
    expect(normalTime('not a time')).toBeNull();
  });

  it('equals the Date round trip on every month and day number 00-39 of leap and common years, and at the edges of each clock field', () => {
    let checked = 0;
    const differ: string[] = [];
    for (const year of [0, 4, 100, 1900, 1970, 2000, 2023, 2024, 2100, 2400, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 39; day++) {
          for (const [h, m, s] of [
            [0, 0, 0],
            [23, 59, 59],
            [24, 0, 0],
            [12, 60, 0],
            [12, 0, 60],
            [99, 99, 99],
          ] as const) {
            const raw = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}Z`;
            if (normalTime(raw) !== byDate(raw)) differ.push(raw);
            checked++;
          }
        }
      }
    }
    expect(differ).toEqual([]);
    expect(checked).toBe(11 * 14 * 40 * 6);
  });

  it('equals the Date round trip on canonical times with one character changed', () => {
    const base = fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
    const canonical = base.map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const mutated = fc
      .tuple(canonical, fc.nat(21), fc.constantFrom(...'0123456789-:TZ .+/x'.split(''), ''))
      .map(([time, at, c]) => time.slice(0, at) + c + time.slice(at + 1));
    fc.assert(
      fc.property(fc.oneof(canonical, mutated), (raw) => {
        expect(normalTime(raw)).toBe(byDate(raw));
      }),
      { numRuns: 5000 },
    );
  });
});
