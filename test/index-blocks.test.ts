/**
 * The usage index's day-block rollups (`calls_block`): any whole-day window answered from aligned
 * blocks of 2^k days equals the per-day answer (`calls_day`) and a cold scan, with S3 keys that
 * fold at some window sizes and not at others; incremental updates rebuild exactly the blocks a
 * full build would hold; indexes of version 2 are refused with a rebuild hint.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { cp, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { updateUsageIndex } from '../src/ingest/index/build-index.js';
import { BLOCK_LEVELS, coverWindow, dayNumber, dayString } from '../src/ingest/index/day-blocks.js';
import { scanUsageIndex } from '../src/ingest/index/index-source.js';
import { scanLocalLogsStream } from '../src/ingest/local/stream/stream-source.js';
import type { RoleFilter, UsageQuery } from '../src/model.js';
import { writeIndexOfVersion } from './helpers/index-files.js';

const ACCOUNT = '111122223333';
const APP = `arn:aws:iam::${ACCOUNT}:role/service/app`;
const WORKER = `arn:aws:iam::${ACCOUNT}:role/worker`;
const NOW = new Date('2026-03-01T00:00:00Z');
/** 44 days across the 64-day (and 256-day) block boundary of 2026-01-27 (day 20480), with gaps. */
const FIRST = dayNumber('2026-01-08');
const DAYS = 44;
const EMPTY = (i: number): boolean => i % 7 === 3 || i === 20 || i === 21;

function record(role: string, day: string, i: number, source: string, name: string, extra: Record<string, unknown>): Record<string, unknown> {
  const second = String(i % 60).padStart(2, '0');
  const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
  return {
    eventVersion: '1.09',
    eventTime: `${day}T${String(8 + (i % 12)).padStart(2, '0')}:${minute}:${second}Z`,
    eventSource: source,
    eventName: name,
    awsRegion: 'eu-west-1',
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
    userIdentity: {
      type: 'AssumedRole',
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: role, userName: role.slice(role.lastIndexOf('/') + 1), accountId: ACCOUNT } },
    },
    ...extra,
  };
}

function s3(role: string, day: string, i: number, name: string, key: string): Record<string, unknown> {
  return record(role, day, i, 's3.amazonaws.com', name, {
    eventCategory: 'Data',
    requestParameters: { bucketName: 'data', key },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::data/${key}` },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::data' },
    ],
  });
}

/**
 * Day `i` of the range: S3 families whose distinct keys cross FOLD_LIMIT within a day on some
 * days, only over several days on others, or never; keys deep enough to fold at every ladder depth;
 * a key holding `*`; non-S3 calls, one with an error on some days, one with a per-call key that
 * is dropped.
 */
function dayRecords(i: number): Record<string, unknown>[] {
  const day = dayString(FIRST + i);
  const d = day.replace(/-/g, '/');
  const out: Record<string, unknown>[] = [];
  let n = 0;
  for (let j = 0; j < 20 + (i % 5) * 10; j++) out.push(s3(APP, day, n++, 'GetObject', `logs/r${i % 2}/${d}/h${j % 3}/part-${j}.gz`));
  for (let j = 0; j < 12; j++) out.push(s3(APP, day, n++, 'GetObject', `deep/${i % 3}/${j % 4}/x/${i % 9}/${j}/y/z/w/v/file-${j}`));
  for (let j = 0; j < (i % 4) * 40; j++) out.push(s3(APP, day, n++, 'PutObject', `uploads/${day}/${j}.bin`));
  for (let j = 0; j < 3; j++) out.push(s3(APP, day, n++, 'GetObject', `config/app-${j}.json`));
  out.push(s3(APP, day, n++, 'GetObject', `weird/*/k${i % 3}`));
  for (let j = 0; j < 9; j++) out.push(s3(WORKER, day, n++, 'DeleteObject', `tmp/${i % 11}/${j}.tmp`));
  out.push(
    record(APP, day, n++, 'dynamodb.amazonaws.com', 'GetItem', {
      eventCategory: 'Data',
      requestParameters: { tableName: 'orders' },
      resources: [{ type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders` }],
    }),
  );
  // Execution names change per call and are dropped (non-resource-params.json); SSM names are kept.
  for (let j = 0; j < 4; j++) {
    out.push(
      record(WORKER, day, n++, 'states.amazonaws.com', 'StartExecution', {
        eventCategory: 'Management',
        requestParameters: { stateMachineArn: `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:flow`, name: `run-${i}-${j}` },
      }),
    );
  }
  out.push(record(WORKER, day, n++, 'ssm.amazonaws.com', 'GetParameter', { eventCategory: 'Management', requestParameters: { name: `/app/p${i % 4}` } }));
  const denied = i % 6 === 0 ? { errorCode: 'AccessDenied' } : {};
  out.push(
    record(WORKER, day, n++, 'sqs.amazonaws.com', 'SendMessage', { eventCategory: 'Management', requestParameters: { queueUrl: 'https://sqs/q' }, ...denied }),
  );
  return out;
}

async function writeLogs(logs: string): Promise<void> {
  for (let i = 0; i < DAYS; i++) {
    if (EMPTY(i)) continue;
    const day = dayString(FIRST + i);
    const dir = join(logs, 'AWSLogs', ACCOUNT, 'CloudTrail', 'eu-west-1', ...day.split('-'));
    await mkdir(dir, { recursive: true });
    const records = dayRecords(i);
    const half = Math.floor(records.length / 2);
    const stamp = day.replace(/-/g, '');
    // Two files per day; the first also holds late records of the day before.
    const late = i > 0 && !EMPTY(i - 1) ? dayRecords(i - 1).slice(0, 5) : [];
    await writeFile(
      join(dir, `${ACCOUNT}_CloudTrail_eu-west-1_${stamp}T0900Z_a.json.gz`),
      gzipSync(JSON.stringify({ Records: [...late, ...records.slice(0, half)] })),
    );
    await writeFile(join(dir, `${ACCOUNT}_CloudTrail_eu-west-1_${stamp}T1800Z_b.json.gz`), gzipSync(JSON.stringify({ Records: records.slice(half) })));
  }
}

async function deliveryFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function tableRows(index: string, sql: string): Promise<unknown[]> {
  const instance = await DuckDBInstance.create(index, { access_mode: 'READ_ONLY' });
  try {
    const connection = await instance.connect();
    const rows = await (await connection.run(sql)).getRowObjectsJson();
    connection.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

const midnight = (n: number): string => `${dayString(n)}T00:00:00Z`;
const FILTERS: RoleFilter[] = [{ kind: 'all' }, { kind: 'roles', arns: [APP], names: [] }, { kind: 'roles', arns: [], names: ['worker'] }];
/** A window of whole days around the indexed range (including empty and one-day windows). */
const windows = fc
  .tuple(fc.integer({ min: FIRST - 5, max: FIRST + DAYS + 5 }), fc.integer({ min: 0, max: DAYS + 10 }), fc.integer({ min: 0, max: FILTERS.length - 1 }))
  .map(([start, length, filter]): UsageQuery => ({
    roles: FILTERS[filter] ?? { kind: 'all' },
    window: { start: midnight(start), end: midnight(start + length) },
  }));

describe('day blocks: the cover of a window', () => {
  it('is disjoint, aligned, in order, exactly the window, and short', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2000, max: 40_000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 10 }), (start, length, levels) => {
        const blocks = coverWindow(dayString(start), dayString(start + length), levels);
        let at = start;
        const wrong: unknown[] = [];
        for (const block of blocks) {
          const size = 2 ** block.level;
          const aligned = ((at % size) + size) % size === 0;
          if (dayNumber(block.day) !== at || block.level < 0 || block.level > levels || !aligned) wrong.push(block);
          at += size;
        }
        expect(wrong).toEqual([]);
        expect(at).toBe(start + length);
        expect(blocks.length).toBeLessThanOrEqual(2 * levels + Math.ceil(length / 2 ** levels) + 1);
      }),
      { numRuns: 500 },
    );
    expect(coverWindow('2025-12-01', '2026-03-01').length).toBeLessThanOrEqual(2 * BLOCK_LEVELS);
    // The index's default depth: any 90-day window is at most 10 blocks, any year at most 14.
    const longest = (days: number): number =>
      Math.max(...[...Array(2 ** BLOCK_LEVELS).keys()].map((s) => coverWindow(dayString(20_000 + s), dayString(20_000 + s + days)).length));
    expect([longest(90), longest(365)]).toEqual([10, 14]);
    expect(coverWindow('2026-01-01', '2026-01-01')).toEqual([]);
  });
});

describe('day blocks in the usage index', () => {
  let root = '';
  let logs = '';
  let index = '';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'iamtrim-index-blocks-'));
    logs = join(root, 'logs');
    await writeLogs(logs);
    index = join(root, 'full.duckdb');
    await updateUsageIndex({ logs, index, skipBadFiles: false, now: NOW });
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('answers every window from blocks exactly as from the days', async () => {
    // The fixture folds: some windows hold folded rows, some do not.
    const whole = await scanUsageIndex(index, { roles: { kind: 'all' }, window: { start: midnight(FIRST), end: midnight(FIRST + DAYS) } });
    expect(whole.rows.some((r) => r.foldedDepth !== undefined)).toBe(true);
    const depths = new Set<number>();
    await fc.assert(
      fc.asyncProperty(windows, async (query) => {
        const [blocks, days] = await Promise.all([scanUsageIndex(index, query), scanUsageIndex(index, query, { perDay: true })]);
        expect(blocks).toEqual(days);
        for (const row of blocks.rows) if (row.eventName === 'GetObject') depths.add(row.foldedDepth ?? -1);
      }),
      { numRuns: 120 },
    );
    // Windows of different lengths fold the same family to different depths, or not at all.
    expect(depths.size).toBeGreaterThanOrEqual(3);
  }, 240_000);

  it('equals a cold scan for random windows', async () => {
    await fc.assert(
      fc.asyncProperty(windows, async (query) => {
        const [indexed, cold] = await Promise.all([scanUsageIndex(index, query), scanLocalLogsStream(query, { logs, skipBadFiles: false })]);
        expect(indexed.rows).toEqual(cold.rows);
        expect(indexed.evidence.events).toBe(cold.evidence.events);
        expect(indexed.evidence.dataEventSources).toEqual(cold.evidence.dataEventSources);
      }),
      { numRuns: 25 },
    );
  }, 240_000);

  it('holds one block per level for each stretch of days with data, and none elsewhere', async () => {
    const rows = (await tableRows(index, `SELECT DISTINCT level, day FROM calls_block ORDER BY level, day`)) as Array<{ level: number; day: string }>;
    const withData = [...Array(DAYS).keys()].filter((i) => !EMPTY(i)).map((i) => FIRST + i);
    const expected: Array<{ level: number; day: string }> = [];
    for (let level = 1; level <= BLOCK_LEVELS; level++) {
      const starts = [...new Set(withData.map((n) => Math.floor(n / 2 ** level) * 2 ** level))].sort((a, b) => a - b);
      for (const start of starts) expected.push({ level, day: dayString(start) });
    }
    expect(rows).toEqual(expected);
  });

  it('incremental updates (new days, a changed file) end with the same blocks as a full build', async () => {
    const partial = join(root, 'partial-logs');
    const all = await deliveryFiles(logs);
    const split = Math.floor(all.length * 0.6);
    for (const file of all.slice(0, split)) await cp(file, join(partial, relative(logs, file)));
    const incremental = join(root, 'incremental.duckdb');
    await updateUsageIndex({ logs: partial, index: incremental, skipBadFiles: false, now: NOW });
    for (const file of all.slice(split)) await cp(file, join(partial, relative(logs, file)));
    const second = await updateUsageIndex({ logs: partial, index: incremental, skipBadFiles: false, now: NOW });
    expect(second).toMatchObject({ added: all.length - split, changed: 0, unchanged: split });
    // An early file rewritten (new mtime): read again, its days and their blocks rebuilt.
    const touched = join(partial, relative(logs, all[2] ?? ''));
    await utimes(touched, new Date(NOW.getTime() + 60_000), new Date(NOW.getTime() + 60_000));
    const third = await updateUsageIndex({ logs: partial, index: incremental, skipBadFiles: false, now: NOW });
    expect(third).toMatchObject({ added: 0, changed: 1 });
    const blocks = `SELECT level, day, c_role, c_role_name, call, records, first_seen, last_seen FROM calls_block ORDER BY ALL`;
    const days = `SELECT day, c_role, c_role_name, call, records, first_seen, last_seen FROM calls_day ORDER BY ALL`;
    expect(await tableRows(incremental, blocks)).toEqual(await tableRows(index, blocks));
    expect(await tableRows(incremental, days)).toEqual(await tableRows(index, days));
  }, 120_000);

  it('refuses an index of version 2 with a rebuild hint', async () => {
    const old = join(root, 'v2.duckdb');
    await writeIndexOfVersion(old, 2);
    const query: UsageQuery = { roles: { kind: 'all' }, window: { start: midnight(FIRST), end: midnight(FIRST + 7) } };
    await expect(scanUsageIndex(old, query)).rejects.toThrow(/another version \(2;.*version 3\)/);
    await expect(scanUsageIndex(old, query)).rejects.toBeInstanceOf(InputError);
    await expect(updateUsageIndex({ logs, index: old, skipBadFiles: false, now: NOW })).rejects.toMatchObject({ hint: expect.stringMatching(/rebuild/) });
  });
});
