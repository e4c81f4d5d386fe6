/**
 * Delivery coverage from file names and paths (src/ingest/local/coverage.ts): which (account,
 * region, day) of a window the logs cover and the days missing inside it. The layouts are
 * CloudTrail's documented ones ("Finding your CloudTrail log files": AWSLogs/[O-ID/]<account>/
 * CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<UniqueString>.json.gz).
 * The end-to-end cases (16 of 30 days missing, other account, duplicate delivery) are in
 * fixtures/bad/cases.json.
 */
import { describe, expect, it } from 'vitest';
import { deliveryCoverage, deliveryKeyOf, describeDayGaps, MIN_ACTIVE_HOURS, windowDays, type DeliveryKey } from '../src/ingest/local/coverage.js';

const WINDOW = { start: '2026-02-01T00:00:00Z', end: '2026-02-11T00:00:00Z' };

/** `hours` delivery files a day for `region` on each day `keep` keeps, 2026-02-01 .. 2026-02-10. */
function files(region: string, hours: number, keep: (day: string) => boolean, account = '111122223333'): DeliveryKey[] {
  const keys: DeliveryKey[] = [];
  for (const day of windowDays(WINDOW)) {
    if (!keep(day)) continue;
    for (let h = 0; h < hours; h++) keys.push({ account, region, day, hour: String(h).padStart(2, '0') });
  }
  return keys;
}

describe('deliveryKeyOf', () => {
  it('reads the account, region, day and hour from a delivery file name', () => {
    expect(deliveryKeyOf('/logs/x/111122223333_CloudTrail_eu-west-1_20260203T2355Z_AbC123dEf456.json.gz')).toEqual({
      account: '111122223333',
      region: 'eu-west-1',
      day: '2026-02-03',
      hour: '23',
    });
  });
  it('reads the folder layout, with or without an organization id level, when the name is not a delivery name', () => {
    expect(deliveryKeyOf('/s/AWSLogs/111122223333/CloudTrail/us-east-1/2026/02/03/export.json')).toEqual({
      account: '111122223333',
      region: 'us-east-1',
      day: '2026-02-03',
      hour: null,
    });
    expect(deliveryKeyOf('/s/AWSLogs/o-exampleorg1/444455556666/CloudTrail/ap-south-1/2026/12/31/part.json.gz')).toEqual({
      account: '444455556666',
      region: 'ap-south-1',
      day: '2026-12-31',
      hour: null,
    });
  });
  it('gives null for files without a dated delivery path (coverage unknown, never invented)', () => {
    expect(deliveryKeyOf('/logs/export-2026-02-03.json')).toBeNull();
    expect(deliveryKeyOf('/logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/02/03/d.json.gz')).toBeNull();
  });
});

describe('deliveryCoverage', () => {
  it('a region delivering through the day: missing days inside the window are a gap, grouped into runs', () => {
    const keys = files('us-east-1', 12, (d) => !['2026-02-04', '2026-02-05', '2026-02-08'].includes(d));
    const c = deliveryCoverage(keys, WINDOW);
    expect(c.basis).toBe('delivery-paths');
    expect(c.windowDays).toBe(10);
    expect(c.regions).toEqual([{ account: '111122223333', region: 'us-east-1', days: 7, files: 84, activeHoursPerDay: 12, judged: true }]);
    expect(c.gaps).toEqual([
      { account: '111122223333', region: 'us-east-1', from: '2026-02-04', to: '2026-02-05', days: 2 },
      { account: '111122223333', region: 'us-east-1', from: '2026-02-08', to: '2026-02-08', days: 1 },
    ]);
    expect(describeDayGaps(c.gaps)).toBe(
      'no log files from 2026-02-04 to 2026-02-05 (2 days) in us-east-1 of account 111122223333; no log files on 2026-02-08 (1 day) in us-east-1 of account 111122223333',
    );
  });

  it('a quiet region (fewer than MIN_ACTIVE_HOURS delivery hours a day) is listed, not judged', () => {
    const keys = [...files('us-east-1', 12, () => true), ...files('ap-south-1', MIN_ACTIVE_HOURS - 1, (d) => d === '2026-02-03' || d === '2026-02-09')];
    const c = deliveryCoverage(keys, WINDOW);
    expect(c.gaps).toEqual([]);
    expect(c.regions.find((r) => r.region === 'ap-south-1')).toMatchObject({ days: 2, judged: false });
  });

  it('the same gap in two regions of one account is named once with both regions', () => {
    const gap = (d: string): boolean => d < '2026-02-03' || d > '2026-02-06';
    const c = deliveryCoverage([...files('us-east-1', 8, gap), ...files('eu-west-1', 8, gap)], WINDOW);
    expect(describeDayGaps(c.gaps)).toBe('no log files from 2026-02-03 to 2026-02-06 (4 days) in eu-west-1, us-east-1 of account 111122223333');
  });

  it('the stretches before the first and after the last delivered day are the edges, not inside gaps', () => {
    const c = deliveryCoverage(
      files('us-east-1', 8, (d) => d >= '2026-02-04' && d <= '2026-02-07'),
      WINDOW,
    );
    expect(c.gaps).toEqual([]);
  });

  it('a region that stops while another delivers has a gap up to the last delivered day', () => {
    const c = deliveryCoverage([...files('us-east-1', 8, () => true), ...files('eu-west-1', 8, (d) => d <= '2026-02-07')], WINDOW);
    expect(c.gaps).toEqual([{ account: '111122223333', region: 'eu-west-1', from: '2026-02-08', to: '2026-02-10', days: 3 }]);
  });

  it('files without dated paths: coverage unknown, counted, no gap invented', () => {
    const c = deliveryCoverage([null, null], WINDOW);
    expect(c).toEqual({ basis: 'unknown', windowDays: 10, undatedFiles: 2, regions: [], gaps: [] });
  });

  it('files delivered outside the window do not count', () => {
    const c = deliveryCoverage([{ account: '111122223333', region: 'us-east-1', day: '2026-01-31', hour: '10' }], WINDOW);
    expect(c.basis).toBe('unknown');
    expect(c.regions).toEqual([]);
  });
});
