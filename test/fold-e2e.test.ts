/**
 * S3 object keys folded end to end: a role reads more than FOLD_LIMIT distinct objects under a
 * few prefixes; the stream scan and the usage index give the same folded rows, usage and plan;
 * the proposal covers the prefixes, passes the self-check, and never widens past a grant that
 * covers only part of a prefix.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMinimize, type MinimizeInput } from '../src/app/minimize.js';
import { runUsage } from '../src/app/usage.js';
import { loadReferenceData } from '../src/cli/context.js';
import { InputError } from '../src/errors.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { evaluate } from '../src/iam/evaluate.js';
import { patternCovers } from '../src/iam/wildcard-patterns.js';
import { FOLD_LIMIT } from '../src/ingest/fold.js';
import { updateUsageIndex } from '../src/ingest/index/build-index.js';
import { scanUsageIndex, usageIndexSource } from '../src/ingest/index/index-source.js';
import { scanLocalLogsStream, streamLogsSource } from '../src/ingest/local/stream/stream-source.js';
import { DuckDBInstance } from '@duckdb/node-api';
import type { IamSnapshot, PolicyDocument, UsageQuery } from '../src/model.js';
import { writeIndexOfVersion } from './helpers/index-files.js';

const ACCOUNT = '111122223333';
const APP = `arn:aws:iam::${ACCOUNT}:role/app`;
const NARROW = `arn:aws:iam::${ACCOUNT}:role/narrow`;
const DAYS = ['2026-02-26', '2026-02-27', '2026-02-28'];
const WINDOW = { start: '2026-02-26T00:00:00Z', end: '2026-03-01T00:00:00Z' };
const NOW = new Date('2026-03-01T00:00:00Z');

function record(role: string, day: string, i: number, name: string, key: string): Record<string, unknown> {
  const second = String(i % 60).padStart(2, '0');
  const minute = String(Math.floor(i / 60) % 60).padStart(2, '0');
  return {
    eventVersion: '1.09',
    eventTime: `${day}T10:${minute}:${second}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: name,
    awsRegion: 'eu-west-1',
    eventType: 'AwsApiCall',
    eventCategory: 'Data',
    recipientAccountId: ACCOUNT,
    userIdentity: {
      type: 'AssumedRole',
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: role, userName: role.slice(role.lastIndexOf('/') + 1), accountId: ACCOUNT } },
    },
    requestParameters: { bucketName: 'data', key },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::data/${key}` },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::data' },
    ],
  };
}

/** Per day and role: 150 log objects (> FOLD_LIMIT in a day), 40 images, 3 configs; 130 uploads; 120 deletes. */
function dayRecords(role: string, day: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const d = day.replace(/-/g, '/');
  for (let i = 0; i < 150; i++) out.push(record(role, day, i, 'GetObject', `logs/${d}/part-${i}.gz`));
  for (let i = 0; i < 40; i++) out.push(record(role, day, 200 + i, 'GetObject', `img/${day}-${i}.png`));
  for (let i = 0; i < 3; i++) out.push(record(role, day, 300 + i, 'GetObject', `config/app-${i}.json`));
  for (let i = 0; i < 130; i++) out.push(record(role, day, 400 + i, 'PutObject', `uploads/${day}/${i}.bin`));
  for (let i = 0; i < 120; i++) out.push(record(role, day, 600 + i, 'DeleteObject', `tmp/${day}/${i}.tmp`));
  return out;
}

function snapshot(): IamSnapshot {
  const role = (arn: string, statements: unknown[]): unknown => ({
    Path: '/',
    RoleName: arn.slice(arn.lastIndexOf('/') + 1),
    RoleId: `AROA${arn.length}`,
    Arn: arn,
    RolePolicyList: [{ PolicyName: 'inline', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
    AttachedManagedPolicies: [],
  });
  return parseAuthorizationDetails(
    {
      RoleDetailList: [
        role(APP, [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::data/*' },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::data' },
        ]),
        // Grants only part of the folded prefixes: logs of one day, and uploads of one day.
        role(NARROW, [
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: ['arn:aws:s3:::data/logs/2026/02/27/*', 'arn:aws:s3:::data/img/*', 'arn:aws:s3:::data/config/*'],
          },
          { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::data/uploads/2026-02-27/*' },
          // Inside the folded tmp/2026-02-27/*: the only place DeleteObject is granted.
          { Effect: 'Allow', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::data/tmp/2026-02-27/1*' },
        ]),
      ],
      Policies: [],
    },
    'test',
  );
}

describe('folded S3 keys end to end', () => {
  let root = '';
  let logs = '';
  let index = '';
  let data: Awaited<ReturnType<typeof loadReferenceData>>;
  const iam = snapshot();

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'iamtrim-fold-'));
    logs = join(root, 'logs');
    for (const day of DAYS) {
      const dir = join(logs, 'AWSLogs', ACCOUNT, 'CloudTrail', 'eu-west-1', ...day.split('-'));
      await mkdir(dir, { recursive: true });
      const stamp = day.replace(/-/g, '');
      for (const [n, role] of [APP, NARROW].entries()) {
        const file = join(dir, `${ACCOUNT}_CloudTrail_eu-west-1_${stamp}T1200Z_fold${n}.json.gz`);
        await writeFile(file, gzipSync(JSON.stringify({ Records: dayRecords(role, day) })));
      }
    }
    index = join(root, 'index.duckdb');
    await updateUsageIndex({ logs, index, skipBadFiles: false, now: NOW });
    data = await loadReferenceData();
  }, 60_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('the cold scan folds each family to the deepest depth with at most FOLD_LIMIT keys, and the index agrees', async () => {
    const query: UsageQuery = { roles: { kind: 'roles', arns: [APP], names: [] }, window: WINDOW };
    const cold = await scanLocalLogsStream(query, { logs, skipBadFiles: false });
    const indexed = await scanUsageIndex(index, query);
    expect(indexed.rows).toEqual(cold.rows);
    const gets = cold.rows.filter((r) => r.eventName === 'GetObject');
    // 450 log keys + 120 images + 3 configs: depth 4 leaves 3 log days + 120 images (> 100), depth 3
    // gives logs/2026/02/* + 120 images (> 100), depth 2 the same, depth 1: logs/*, img/*, config/*.
    expect(gets.map((r) => [r.params['key'], r.foldedDepth, r.count])).toEqual([
      ['config/*', 1, 9],
      ['img/*', 1, 120],
      ['logs/*', 1, 450],
    ]);
    for (const r of gets) expect(r.resourceArns).toEqual(['arn:aws:s3:::data', `arn:aws:s3:::data/${r.params['key']}`]);
    const puts = cold.rows.filter((r) => r.eventName === 'PutObject');
    // 390 uploads under 3 day prefixes: depth 2 keeps the days.
    expect(puts.map((r) => [r.params['key'], r.foldedDepth, r.count])).toEqual(DAYS.map((day) => [`uploads/${day}/*`, 2, 130]));
    expect(cold.evidence.events).toBe(3 * (150 + 40 + 3 + 130 + 120));
    // One day alone (the index's per-day piece) folds differently, yet the merged answer is equal.
    const oneDay = await scanLocalLogsStream(
      { ...query, window: { start: '2026-02-27T00:00:00Z', end: '2026-02-28T00:00:00Z' } },
      { logs, skipBadFiles: false },
    );
    expect(oneDay.rows.filter((r) => r.eventName === 'GetObject').map((r) => [r.params['key'], r.foldedDepth])).toEqual([
      ['config/app-0.json', 4],
      ['config/app-1.json', 4],
      ['config/app-2.json', 4],
      ...Array.from({ length: 40 }, (_, i) => [`img/2026-02-27-${i}.png`, 4]).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
      ['logs/2026/02/27/*', 4],
    ]);
  }, 60_000);

  it('usage shows folded groups honestly, the same from the logs and from the index', async () => {
    const input = { roles: ['app', 'narrow'], window: WINDOW };
    const cold = await runUsage({ mapCall: data.mapCall, iam, source: streamLogsSource({ logs, skipBadFiles: false }) }, input);
    const indexed = await runUsage({ mapCall: data.mapCall, iam, source: usageIndexSource(index) }, input);
    expect(indexed.roles).toEqual(cold.roles);
    const app = cold.roles.find((r) => r.role === APP);
    const get = app?.calls.find((c) => c.eventName === 'GetObject');
    expect(get?.resources).toEqual(['arn:aws:s3:::data/config/*', 'arn:aws:s3:::data/img/*', 'arn:aws:s3:::data/logs/*']);
    expect(get?.folded).toEqual([
      { bucket: 'data', key: 'config/*', depth: 1, note: `folded, >${FOLD_LIMIT} distinct keys` },
      { bucket: 'data', key: 'img/*', depth: 1, note: `folded, >${FOLD_LIMIT} distinct keys` },
      { bucket: 'data', key: 'logs/*', depth: 1, note: `folded, >${FOLD_LIMIT} distinct keys` },
    ]);
    const used = app?.used.find((u) => u.action === 's3:GetObject');
    expect(used?.folded).toEqual(used?.resources);
    expect(app?.diagnostics.some((d) => d.code === 's3-keys-folded' && d.subject === 's3.amazonaws.com:GetObject')).toBe(true);
  }, 60_000);

  const input = (role: string): MinimizeInput => ({
    role,
    window: WINDOW,
    proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
    allowEmpty: false,
  });

  it('minimize proposes the folded prefixes, passes the self-check, and the index gives the same plan', async () => {
    const cold = await runMinimize({ ...data, iam, source: streamLogsSource({ logs, skipBadFiles: false }) }, input('app'));
    const indexed = await runMinimize({ ...data, iam, source: usageIndexSource(index) }, input('app'));
    expect({ ...indexed, evidence: null }).toEqual({ ...cold, evidence: null });
    expect(cold.verification.newlyAllowed).toBe(0);
    expect(cold.verification.allowed).toBe(cold.verification.observedCalls);
    expect(cold.unused).toEqual(['s3:ListBucket']);
    const proposed = cold.proposed;
    // Every key under each folded prefix is allowed by the proposal (a pattern covering a pattern).
    for (const key of ['logs/2026/02/26/part-1.gz', 'img/anything.png', 'config/x', 'logs/deeper/than/ever/seen']) {
      expect(allows(proposed, 's3:GetObject', `arn:aws:s3:::data/${key}`)).toBe(true);
    }
    for (const day of DAYS) expect(allows(proposed, 's3:PutObject', `arn:aws:s3:::data/uploads/${day}/*`)).toBe(true);
    // Not more than used: PutObject outside the observed day prefixes is not proposed.
    expect(allows(proposed, 's3:PutObject', 'arn:aws:s3:::data/uploads/2026-03-01/x')).toBe(false);
    expect(allows(proposed, 's3:DeleteObject', 'arn:aws:s3:::data/logs/x')).toBe(false);
    expect(allows(proposed, 's3:DeleteObject', 'arn:aws:s3:::data/tmp/2026-02-26/7.tmp')).toBe(true);
  }, 60_000);

  it('a grant covering only part of a folded prefix: the proposal keeps the granted part and widens nothing', async () => {
    const cold = await runMinimize({ ...data, iam, source: streamLogsSource({ logs, skipBadFiles: false }) }, input('narrow'));
    const indexed = await runMinimize({ ...data, iam, source: usageIndexSource(index) }, input('narrow'));
    expect({ ...indexed, evidence: null }).toEqual({ ...cold, evidence: null });
    // Used, not read as unused, although no grant covers the folded logs/* or uploads/<day>/* whole.
    expect(cold.unused).toEqual([]);
    expect(cold.usedNotGranted).toEqual([]);
    expect(cold.verification.newlyAllowed).toBe(0);
    const resources = (action: string): string[] =>
      cold.proposed
        .flatMap((d) => d.Statement)
        .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action))
        .flatMap((s) => [s.Resource ?? []].flat())
        .sort();
    expect(resources('s3:GetObject')).toEqual(['arn:aws:s3:::data/config/*', 'arn:aws:s3:::data/img/*', 'arn:aws:s3:::data/logs/2026/02/27/*']);
    expect(resources('s3:PutObject')).toEqual(['arn:aws:s3:::data/uploads/2026-02-27/*']);
    // DeleteObject's only usage is folded prefixes the grant covers only inside tmp/2026-02-27/:
    // still used (not read as unused), proposed on the granted part only.
    expect(resources('s3:DeleteObject')).toEqual(['arn:aws:s3:::data/tmp/2026-02-27/1*']);
    expect(allows(cold.proposed, 's3:DeleteObject', 'arn:aws:s3:::data/tmp/2026-02-27/2.tmp')).toBe(false);
    const grant = iam.roles.find((r) => r.arn === NARROW)?.policies.map((p) => p.document) ?? [];
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'])
      for (const r of resources(action))
        expect(grant.flatMap((d) => d.Statement).some((s) => [s.Resource ?? []].flat().some((g) => patternCovers(g, r)))).toBe(true);
    expect(allows(cold.proposed, 's3:GetObject', 'arn:aws:s3:::data/logs/2026/02/26/part-1.gz')).toBe(false);
    expect(cold.diagnostics.filter((d) => d.code === 'folded-resource-narrowed').map((d) => d.message)).toEqual([
      's3:DeleteObject on arn:aws:s3:::data/tmp/2026-02-27/* (folded S3 keys) is granted today only on arn:aws:s3:::data/tmp/2026-02-27/1*; only that is proposed',
      's3:GetObject on arn:aws:s3:::data/logs/* (folded S3 keys) is granted today only on arn:aws:s3:::data/logs/2026/02/27/*; only that is proposed',
    ]);
    // Day prefixes of uploads the grant does not reach at all stay reported, not proposed.
    expect(cold.diagnostics.filter((d) => d.code === 'resource-not-granted').map((d) => d.message)).toEqual([
      's3:DeleteObject on arn:aws:s3:::data/tmp/2026-02-26/* succeeded but no current identity policy allows it (resource policy?); not proposed',
      's3:DeleteObject on arn:aws:s3:::data/tmp/2026-02-28/* succeeded but no current identity policy allows it (resource policy?); not proposed',
      's3:PutObject on arn:aws:s3:::data/uploads/2026-02-26/* succeeded but no current identity policy allows it (resource policy?); not proposed',
      's3:PutObject on arn:aws:s3:::data/uploads/2026-02-28/* succeeded but no current identity policy allows it (resource policy?); not proposed',
    ]);
  }, 60_000);

  it('an update that stopped before the per-day rollup: queries refuse the index, the next update finishes it', async () => {
    const copy = join(root, 'interrupted.duckdb');
    await updateUsageIndex({ logs, index: copy, skipBadFiles: false, now: NOW });
    // What a run killed after a batch's commit leaves: the day's per-file rows changed, calls_day not yet.
    const instance = await DuckDBInstance.create(copy);
    const connection = await instance.connect();
    await connection.run(`DELETE FROM calls_day WHERE day = '2026-02-27'; INSERT INTO dirty_days VALUES ('2026-02-27')`);
    connection.closeSync();
    instance.closeSync();
    const query: UsageQuery = { roles: { kind: 'all' }, window: WINDOW };
    await expect(scanUsageIndex(copy, query)).rejects.toThrow(/stopped before it finished the per-day rollup/);
    const update = await updateUsageIndex({ logs, index: copy, skipBadFiles: false, now: NOW });
    expect(update.added).toBe(0);
    expect((await scanUsageIndex(copy, query)).rows).toEqual((await scanLocalLogsStream(query, { logs, skipBadFiles: false })).rows);
  }, 60_000);

  it('refuses an index of the previous version with a rebuild hint', async () => {
    const old = join(root, 'old.duckdb');
    await writeIndexOfVersion(old, 1);
    await expect(updateUsageIndex({ logs, index: old, skipBadFiles: false, now: NOW })).rejects.toThrow(/another version \(1;.*version 3\)/);
    await expect(updateUsageIndex({ logs, index: old, skipBadFiles: false, now: NOW })).rejects.toBeInstanceOf(InputError);
    await expect(scanUsageIndex(old, { roles: { kind: 'all' }, window: WINDOW })).rejects.toBeInstanceOf(InputError);
  });
});

function allows(policies: readonly PolicyDocument[], action: string, resource: string): boolean {
  return evaluate(policies, { action, resource }, { allowConditions: 'assume-met', denyConditions: 'assume-unmet' }).decision === 'allowed';
}
