/**
 * Generalisation that respects structure (issue 18 item 4): S3 keys are cut only at `/`, and a
 * segment that varies with time or identity becomes `*` whole. Checked on the keys the same jobs
 * write after the window (next day, next month, next year) with iam-simulate: the golden fixture
 * s3-data-prefixes and the demo's queue-worker (`daily/<date>/`) and data-pipeline (`dt=<date>`)
 * jobs; an unrelated key in the same bucket stays denied.
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { patternCovers } from '../src/iam/wildcard-patterns.js';
import { isVariableSegment, pathPattern } from '../src/policy/generalise.js';
import type { MinimizePlan, PolicyDocument } from '../src/model.js';
import { runCli } from './helpers/run-cli.js';
import { simulate } from './helpers/simulate.js';

const P = 'arn:aws:s3:::bucket/';

describe('pathPattern', () => {
  it('stars whole segments that vary with time or identity, keeps structure, never cuts inside a segment', () => {
    const days = ['2026-10-28', '2026-10-29', '2026-10-30'];
    expect(
      pathPattern(
        P,
        days.map((d) => `${P}daily/${d}/a1b2c3d4e5f6.csv`),
      ),
    ).toBe(`${P}daily/*`);
    expect(
      pathPattern(
        P,
        days.map((d) => `${P}raw/orders/dt=${d}/part.parquet`),
      ),
    ).toBe(`${P}raw/orders/dt=*/part.parquet`);
    expect(pathPattern(P, [`${P}logs/year=2026/month=11/day=03/hour=05/x.gz`, `${P}logs/year=2026/month=11/day=04/hour=06/x.gz`])).toBe(
      `${P}logs/year=*/month=*/day=*/hour=*/x.gz`,
    );
    // One day only: the date segment is still starred (tomorrow's differs).
    expect(pathPattern(P, [`${P}exports/20261103/a.json`, `${P}exports/20261103/b.json`])).toBe(`${P}exports/*`);
    expect(pathPattern(P, [`${P}u/7f9c2ba4-e88f-11d3-a953-0800200c9a66/p.jpg`, `${P}u/0b2e2c3a-1111-4e5f-8a9b-0c1d2e3f4a5b/p.jpg`])).toBe(`${P}u/*/p.jpg`);
    // Different names are not cut mid-segment (no `uploads/al*`).
    expect(pathPattern(P, [`${P}uploads/alice/x`, `${P}uploads/alfred/x`])).toBe(`${P}uploads/*/x`);
    // Depths differ: the last shared segment spans the rest.
    expect(pathPattern(P, [`${P}a/b`, `${P}a/b/c`])).toBe(`${P}a/*`);
    expect(
      ['2026-11-03', '20261103', 'dt=2026-11-03', '1699999999', '03', 'deadbeefcafe1234', '7f9c2ba4-e88f-11d3-a953-0800200c9a66'].every(isVariableSegment),
    ).toBe(true);
    expect(['daily', 'curated', 'orders', 'data.parquet', 'v2', 'report.csv'].some(isVariableSegment)).toBe(false);
  });

  it('covers every member and the keys a dated job writes on any later day, month or year (property)', () => {
    const date = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true });
    const formats: ((d: Date) => string)[] = [
      (d) => d.toISOString().slice(0, 10),
      (d) => `dt=${d.toISOString().slice(0, 10)}`,
      (d) => d.toISOString().slice(0, 10).replace(/-/g, ''),
      (d) => `year=${d.getUTCFullYear()}/month=${String(d.getUTCMonth() + 1).padStart(2, '0')}/day=${String(d.getUTCDate()).padStart(2, '0')}`,
      (d) => d.toISOString().slice(0, 10).replace(/-/g, '/'),
    ];
    const word = fc.stringMatching(/^[a-z][a-z_]{1,8}$/);
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: formats.length - 1 }),
        date,
        fc.integer({ min: 1, max: 40 }),
        fc.oneof(
          word.map((w) => `${w}.csv`),
          fc.constant(''),
        ),
        (dirs, f, start, span, file) => {
          const format = formats[f] ?? formats[0]!;
          const keyOf = (d: Date, i: number): string => `${P}${dirs.join('/')}/${format(d)}/${file === '' ? `part-${String(i).padStart(5, '0')}.gz` : file}`;
          const day = (n: number): Date => new Date(start.getTime() + n * 86_400_000);
          const members = Array.from({ length: Math.min(span, 12) }, (_, i) => keyOf(day(Math.floor((i * span) / 12)), i));
          fc.pre(new Set(members).size >= 2);
          const pattern = pathPattern(P, members);
          for (const m of members) expect(patternCovers(pattern, m), `${pattern} covers ${m}`).toBe(true);
          for (const later of [day(span + 1), day(span + 31), day(span + 366)])
            expect(patternCovers(pattern, keyOf(later, 0)), `${pattern} covers ${keyOf(later, 0)}`).toBe(true);
          expect(patternCovers(pattern, `${P}zz-unrelated/${dirs.join('/')}/x`)).toBe(false);
          // Every segment is literal as observed, `*`, or a partition name with `=*`.
          const segments = pattern.slice(P.length).split('/');
          for (const s of segments) expect(s === '*' || /^[A-Za-z_][A-Za-z0-9_.-]*=\*$/.test(s) || !s.includes('*'), s).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

async function allowed(policies: readonly PolicyDocument[], action: string, key: string, account: string): Promise<string> {
  return simulate(policies, undefined, action, key, account);
}

describe('s3-data-prefixes golden fixture', () => {
  it("the proposal allows the jobs' keys of the next day, month and year, and denies an unrelated key", async () => {
    const run = await runCli(
      [
        'minimize',
        '--role',
        'etl-loader',
        '--iam',
        'fixtures/s3-data-prefixes/iam.json',
        '--logs',
        'fixtures/s3-data-prefixes/logs',
        '--end',
        '2026-10-21T00:00:00Z',
        '--days',
        '20',
        '--format',
        'json',
      ],
      { now: '2026-10-21T00:00:00Z' },
    );
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.out) as MinimizePlan;
    const bucket = 'arn:aws:s3:::datalake-123456789012';
    const account = '123456789012';
    for (const [y, m, d] of [
      ['2026', '10', '21'],
      ['2026', '11', '01'],
      ['2027', '01', '01'],
    ]) {
      expect(await allowed(plan.proposed, 's3:GetObject', `${bucket}/raw/${y}/${m}/${d}/part-0000.parquet`, account), `raw ${y}-${m}-${d}`).toBe('Allowed');
      expect(await allowed(plan.proposed, 's3:PutObject', `${bucket}/curated/orders/date=${y}-${m}-${d}/data.parquet`, account), `curated ${y}-${m}-${d}`).toBe(
        'Allowed',
      );
    }
    expect(await allowed(plan.proposed, 's3:GetObject', `${bucket}/secrets/db.json`, account)).toBe('ImplicitlyDenied');
    expect(await allowed(plan.proposed, 's3:PutObject', `${bucket}/raw/2026/10/21/part-0000.parquet`, account)).toBe('ImplicitlyDenied');
  });
});

describe("the demo's time-partitioned jobs", () => {
  let dir = '';
  let manifest: DemoManifest;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-demo-time-'));
    // The window ends on a month boundary: every key it holds is dated 2026-11.
    manifest = await generateDemo({ outDir: dir, now: new Date('2026-12-01T00:00:00Z'), days: 30, events: 8000, seed: 7 });
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function proposal(role: string): Promise<PolicyDocument[]> {
    const run = await runCli(
      [
        'minimize',
        '--role',
        role,
        '--iam',
        manifest.iamFile,
        '--logs',
        manifest.logsDir,
        '--trail-config',
        manifest.trailConfigFile,
        '--end',
        manifest.window.end,
        '--days',
        '30',
        '--format',
        'json',
      ],
      { now: manifest.window.end },
    );
    expect(run.code, run.err).toBe(0);
    return (JSON.parse(run.out) as MinimizePlan).proposed;
  }

  const later = ['2026-12-01', '2026-12-15', '2027-01-01'];

  it('queue-worker: daily/<date>/ keys of the next day, month and year are allowed; other prefixes are not', async () => {
    const policies = await proposal('queue-worker');
    const bucket = `arn:aws:s3:::reports-${manifest.accountId}`;
    for (const day of later) {
      expect(await allowed(policies, 's3:PutObject', `${bucket}/daily/${day}/0123456789ab.csv`, manifest.accountId), day).toBe('Allowed');
      expect(await allowed(policies, 's3:GetObject', `${bucket}/daily/${day}/0123456789ab.csv`, manifest.accountId), day).toBe('Allowed');
    }
    expect(await allowed(policies, 's3:PutObject', `${bucket}/monthly/2026-12/x.csv`, manifest.accountId)).toBe('ImplicitlyDenied');
  });

  it('data-pipeline: dt=<date> partitions of the next day, month and year are allowed; other prefixes are not', async () => {
    const policies = await proposal('data-pipeline');
    const bucket = `arn:aws:s3:::datalake-${manifest.accountId}`;
    for (const day of later) {
      expect(await allowed(policies, 's3:GetObject', `${bucket}/raw/orders/dt=${day}/0123456789ab.json`, manifest.accountId), day).toBe('Allowed');
      expect(await allowed(policies, 's3:PutObject', `${bucket}/curated/orders/dt=${day}/0123456789ab.json`, manifest.accountId), day).toBe('Allowed');
    }
    expect(await allowed(policies, 's3:GetObject', `${bucket}/raw/customers/dt=2026-12-01/x.json`, manifest.accountId)).toBe('ImplicitlyDenied');
    expect(await allowed(policies, 's3:PutObject', `${bucket}/raw/orders/dt=2026-12-01/x.json`, manifest.accountId)).toBe('ImplicitlyDenied');
  });
});
