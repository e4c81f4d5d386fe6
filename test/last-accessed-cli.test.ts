/**
 * Issue 21's "quarterly job": a permission the 30-day window cannot show (a lifecycle change run
 * once a quarter) is kept through IAM's last-accessed data with its date, and removed when
 * --last-accessed-days is shorter than its age. Through the CLI on the golden Lambda scenario;
 * the proposal is checked with iam-simulate.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DriftReport, DriftRole } from '../src/drift/report.js';
import type { MinimizePlan } from '../src/model.js';
import { runCli } from './helpers/run-cli.js';
import { simulate } from './helpers/simulate.js';

const FIXTURE = join('fixtures', 'lambda-s3-dynamodb');
const END = '2026-10-22T00:00:00Z';
const ACCOUNT = '123456789012';
const BUCKET_ARN = `arn:aws:s3:::orders-assets-${ACCOUNT}`;
/** 76 days before the window's end: 46 days before the window starts. */
const QUARTERLY = '2026-08-07T02:00:00+00:00';

function report(dir: string): string {
  const file = join(dir, 'orders-api.json');
  writeFileSync(
    file,
    JSON.stringify({
      JobStatus: 'COMPLETED',
      JobType: 'ACTION_LEVEL',
      JobCreationDate: '2026-10-21T23:59:00+00:00',
      JobCompletionDate: '2026-10-22T00:00:00+00:00',
      ServicesLastAccessed: [
        {
          ServiceName: 'Amazon S3',
          ServiceNamespace: 's3',
          LastAuthenticated: '2026-10-20T09:00:00+00:00',
          TotalAuthenticatedEntities: 1,
          TrackedActionsLastAccessed: [
            { ActionName: 'GetObject', LastAccessedTime: '2026-10-20T09:00:00+00:00', LastAccessedRegion: 'eu-west-1' },
            { ActionName: 'PutLifecycleConfiguration', LastAccessedTime: QUARTERLY, LastAccessedRegion: 'eu-west-1' },
            { ActionName: 'DeleteBucket' },
          ],
        },
      ],
      IsTruncated: false,
    }),
  );
  return file;
}

async function plan(extra: string[]): Promise<MinimizePlan> {
  const args = ['minimize', '--role', 'orders-api', '--iam', join(FIXTURE, 'iam.json'), '--logs', join(FIXTURE, 'logs')];
  const run = await runCli([...args, '--days', '30', '--end', END, '--format', 'json', ...extra], { now: END });
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as MinimizePlan;
}

describe('minimize --last-accessed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iamtrim-la-cli-'));
  const file = report(dir);

  it('without it, the quarterly job is removed (the window never saw it)', async () => {
    const p = await plan([]);
    expect(p.lastAccessed).toBeUndefined();
    expect(p.unused).toContain('s3:PutLifecycleConfiguration');
    expect(await simulate(p.proposed, undefined, 's3:PutLifecycleConfiguration', BUCKET_ARN, ACCOUNT)).not.toBe('Allowed');
  });

  it('keeps the quarterly job with its date, and the proposal allows it again', async () => {
    for (const source of [file, dir]) {
      const p = await plan(['--last-accessed', source]);
      expect(p.lastAccessed?.kept).toContainEqual({ action: 's3:PutLifecycleConfiguration', lastAccessed: '2026-08-07T02:00:00.000Z', level: 'action' });
      // A tracked action IAM never saw stays unused.
      expect(p.unused).toContain('s3:DeleteBucket');
      expect(p.unused).not.toContain('s3:PutLifecycleConfiguration');
      expect(await simulate(p.proposed, undefined, 's3:PutLifecycleConfiguration', BUCKET_ARN, ACCOUNT)).toBe('Allowed');
      expect(await simulate(p.proposed, undefined, 's3:DeleteBucket', BUCKET_ARN, ACCOUNT)).not.toBe('Allowed');
    }
  });

  it('removes it when --last-accessed-days is shorter than its age (76 days)', async () => {
    const p = await plan(['--last-accessed', file, '--last-accessed-days', '75']);
    expect(p.lastAccessed?.days).toBe(75);
    expect(p.lastAccessed?.kept.map((k) => k.action)).not.toContain('s3:PutLifecycleConfiguration');
    expect(p.unused).toContain('s3:PutLifecycleConfiguration');
    const kept = await plan(['--last-accessed', file, '--last-accessed-days', '77']);
    expect(kept.lastAccessed?.kept.map((k) => k.action)).toContain('s3:PutLifecycleConfiguration');
  });

  it('the text summary names what it kept, the date, and how to read IAM data', async () => {
    const args = ['minimize', '--role', 'orders-api', '--iam', join(FIXTURE, 'iam.json'), '--logs', join(FIXTURE, 'logs')];
    const run = await runCli([...args, '--days', '30', '--end', END, '--last-accessed', file], { now: END });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/IAM last-accessed data \(.*orders-api\.json, as of 2026-10-22\)/);
    expect(run.out).toContain('s3:PutLifecycleConfiguration  last accessed 2026-08-07');
    expect(run.out).toContain('IAM counts denied attempts as accesses');
  });

  it('bad values are one-line errors naming the flag', async () => {
    const args = ['minimize', '--role', 'orders-api', '--iam', join(FIXTURE, 'iam.json'), '--logs', join(FIXTURE, 'logs'), '--end', END];
    const days = await runCli([...args, '--last-accessed', file, '--last-accessed-days', 'soon'], { now: END });
    expect(days.code).toBe(2);
    expect(days.err).toMatch(/--last-accessed-days soon: not a whole number of days/);
    const missing = await runCli([...args, '--last-accessed', join(dir, 'nope.json')], { now: END });
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/--last-accessed .*nope\.json: no such file or folder/);
    expect(missing.err).not.toMatch(/\n\s+at /);
  });
});

describe('drift --last-accessed', () => {
  it("reads one report per role in one pass and keeps what IAM saw attempted out of each role's unused count", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iamtrim-la-drift-'));
    const reports = join(dir, 'reports');
    mkdirSync(reports);
    report(reports);
    const base = ['drift', '--iam', join(FIXTURE, 'iam.json'), '--logs', join(FIXTURE, 'logs'), '--days', '30', '--end', END, '--no-history'];
    const without = await runCli([...base, '--out', join(dir, 'a')], { now: END });
    expect(without.code).toBe(0);
    const withLa = await runCli([...base, '--out', join(dir, 'b'), '--last-accessed', reports], { now: END });
    expect(withLa.code).toBe(0);
    const role = (out: string): DriftRole =>
      (JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')) as DriftReport).roles.find((r) => r.name === 'orders-api')!;
    const a = role('a');
    const b = role('b');
    expect(a.lastAccessedKept).toBeUndefined();
    expect(b.lastAccessedKept?.map((k) => k.action)).toContain('s3:PutLifecycleConfiguration');
    // Each kept action leaves the unused or the unobservable count; nothing else moves.
    expect(b.unused).toBeLessThan(a.unused);
    expect(b.unused + b.unobservable + b.lastAccessedKept!.length).toBe(a.unused + a.unobservable);
    // Roles without a report are named, and judged on the window alone.
    expect(withLa.err).toMatch(/--last-accessed: no IAM last-accessed data for \d+ role\(s\)/);
  });
});
