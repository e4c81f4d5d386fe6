import { cp, mkdtemp, readdir, rm, utimes, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { InputError, UsageError } from '../src/errors.js';
import { updateUsageIndex } from '../src/ingest/index/build-index.js';
import { scanUsageIndex } from '../src/ingest/index/index-source.js';
import { scanLocalLogsStream } from '../src/ingest/local/stream/stream-source.js';
import type { UsageQuery } from '../src/model.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const day = (offset: number): string => new Date(NOW.getTime() + offset * DAY).toISOString().replace('.000Z', 'Z');

async function deliveryFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz') && !e.name.includes('Digest'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe('usage index', () => {
  let root = '';
  let logs = '';
  let manifest: DemoManifest;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'iamtrim-index-'));
    manifest = await generateDemo({ outDir: join(root, 'demo'), now: NOW, days: 30, events: 8_000, seed: 3 });
    logs = manifest.logsDir;
  }, 60_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const cold = (query: UsageQuery) => scanLocalLogsStream(query, { logs, skipBadFiles: false });

  it('answers whole-day windows with the same call rows and data-event sources as a cold scan', async () => {
    const index = join(root, 'full.duckdb');
    const update = await updateUsageIndex({ logs, index, skipBadFiles: false, now: NOW });
    expect(update.added).toBe(manifest.files);
    const someRole = manifest.roles.find((r) => r.events > 0 && r.name === 'app-api') ?? manifest.roles[0];
    if (someRole === undefined) throw new Error('demo has no roles');
    const queries: UsageQuery[] = [
      { roles: { kind: 'all' }, window: { start: day(-30), end: day(0) } },
      { roles: { kind: 'all' }, window: { start: day(-12), end: day(-5) } },
      { roles: { kind: 'roles', arns: [someRole.arn], names: [] }, window: { start: day(-20), end: day(-1) } },
      { roles: { kind: 'roles', arns: [], names: [someRole.name] }, window: { start: day(-7), end: day(0) } },
    ];
    for (const query of queries) {
      const [expected, actual] = await Promise.all([cold(query), scanUsageIndex(index, query)]);
      expect(expected.rows.length).toBeGreaterThan(0);
      expect(actual.rows).toEqual(expected.rows);
      expect(actual.evidence.events).toBe(expected.evidence.events);
      expect(actual.evidence.dataEventSources).toEqual(expected.evidence.dataEventSources);
    }
  }, 120_000);

  it('refuses windows that do not start and end at UTC midnight instead of rounding them', async () => {
    const index = join(root, 'full.duckdb');
    const query: UsageQuery = { roles: { kind: 'all' }, window: { start: '2026-02-20T12:00:00Z', end: '2026-02-27T12:00:00Z' } };
    await expect(scanUsageIndex(index, query)).rejects.toBeInstanceOf(UsageError);
  });

  it('shows the indexed coverage, so a window beyond it is not read as no usage', async () => {
    const index = join(root, 'full.duckdb');
    const scan = await scanUsageIndex(index, { roles: { kind: 'all' }, window: { start: day(-5), end: day(10) } });
    expect(scan.evidence.covered.last).not.toBeNull();
    expect((scan.evidence.covered.last ?? '') < day(10)).toBe(true);
  });

  it('reads only new files on update, re-reads changed ones, and ends equal to a full build', async () => {
    const partial = join(root, 'partial-logs');
    const all = await deliveryFiles(logs);
    const split = Math.floor(all.length * 0.7);
    for (const file of all.slice(0, split)) await cp(file, join(partial, relative(logs, file)));
    const index = join(root, 'incremental.duckdb');
    const first = await updateUsageIndex({ logs: partial, index, skipBadFiles: false, now: NOW });
    expect(first.added).toBe(split);

    for (const file of all.slice(split)) await cp(file, join(partial, relative(logs, file)));
    const second = await updateUsageIndex({ logs: partial, index, skipBadFiles: false, now: NOW });
    expect(second).toMatchObject({ added: all.length - split, changed: 0, unchanged: split });

    // A file rewritten since it was indexed (new mtime) is read again and replaces its rows.
    const touched = join(partial, relative(logs, all[0] ?? ''));
    await writeFile(touched, await readFile(touched));
    await utimes(touched, new Date(NOW.getTime() + 60_000), new Date(NOW.getTime() + 60_000));
    const third = await updateUsageIndex({ logs: partial, index, skipBadFiles: false, now: NOW });
    expect(third).toMatchObject({ added: 0, changed: 1, unchanged: all.length - 1 });

    const query: UsageQuery = { roles: { kind: 'all' }, window: { start: day(-30), end: day(0) } };
    const [expected, actual] = await Promise.all([cold(query), scanUsageIndex(index, query)]);
    expect(actual.rows).toEqual(expected.rows);
  }, 120_000);

  it("records bad files as skipped, names them with the reason, and keeps the good files' rows", async () => {
    const dir = join(root, 'bad-logs');
    const files = await deliveryFiles(logs);
    const good = files.slice(0, 3);
    for (const [i, f] of good.entries()) await cp(f, join(dir, `good-${i}.json.gz`));
    await writeFile(join(dir, 'corrupt.json.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
    await writeFile(join(dir, 'cut.json'), '{"Records":[{"eventTime":"2026-02-20T00:00:00Z","eventSource":"s3.amazonaws.com"');
    await writeFile(join(dir, 'other.json'), '[{"eventTime":"2026-02-20T00:00:00Z","message":"not a CloudTrail record"}]');
    const index = join(root, 'bad.duckdb');
    const refused = updateUsageIndex({ logs: dir, index, skipBadFiles: false, now: NOW });
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(updateUsageIndex({ logs: dir, index, skipBadFiles: false, now: NOW })).rejects.toThrow(/3 log file\(s\) could not be indexed/);
    const update = await updateUsageIndex({ logs: dir, index, skipBadFiles: true, now: NOW });
    const reasons = Object.fromEntries(update.skipped.map((b) => [relative(dir, b.file), b.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['corrupt.json.gz', 'cut.json', 'other.json']);
    expect(reasons['corrupt.json.gz']).toMatch(/cannot decompress it/);
    expect(reasons['cut.json']).toMatch(/not valid JSON/);
    expect(reasons['other.json']).toMatch(/no CloudTrail records/);
    // The good files are indexed as a cold scan of them alone reads them.
    const only = join(root, 'good-logs');
    for (const [i, f] of good.entries()) await cp(f, join(only, `good-${i}.json.gz`));
    const query: UsageQuery = { roles: { kind: 'all' }, window: { start: day(-30), end: day(0) } };
    const [expected, actual] = await Promise.all([scanLocalLogsStream(query, { logs: only, skipBadFiles: false }), scanUsageIndex(index, query)]);
    expect(actual.rows.length).toBeGreaterThan(0);
    expect(actual.rows).toEqual(expected.rows);
  }, 60_000);
});
