/**
 * Regressions (issue 21 item 2, D7): a policy tightened after a run, and the next week's logs show
 * AccessDenied on calls that used to work. Drift must lead with them, name role, action, resource,
 * last success and first denial, and exit 1 under --fail-on regression. Records follow CloudTrail's
 * documented shape (AssumedRole userIdentity with a sessionIssuer; AccessDenied errorCode). The CLI
 * runs in-process (helpers/run-cli.ts) with the clock after the last log day.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../src/drift/report.js';
import { runCli } from './helpers/run-cli.js';

const ACCOUNT = '123456789012';
const ROLE = 'nightly-export';
const run = (args: string[]) => runCli(args, { now: '2026-12-01T00:00:00Z' });
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const BUCKET = 'exports-123456789012';
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1111aaaa-22bb-33cc-44dd-555555eeeeee`;

interface Call {
  time: string;
  source: string;
  name: string;
  params: Record<string, string> | null;
  resources?: Array<{ ARN: string; type: string }>;
  denied?: boolean;
}

function record(call: Call, i: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${i}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/job-${i}`,
      accountId: ACCOUNT,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: ROLE_ARN, accountId: ACCOUNT, userName: ROLE },
        attributes: { creationDate: call.time, mfaAuthenticated: 'false' },
      },
    },
    eventTime: call.time,
    eventSource: call.source,
    eventName: call.name,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.9',
    userAgent: 'regression-test',
    requestParameters: call.params,
    responseElements: null,
    ...(call.denied === true ? { errorCode: 'AccessDenied', errorMessage: 'User is not authorized to perform this operation' } : {}),
    ...(call.resources !== undefined ? { resources: call.resources } : {}),
    requestID: `req-${i}`,
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: call.source !== 's3.amazonaws.com',
    recipientAccountId: ACCOUNT,
    eventCategory: call.source === 's3.amazonaws.com' ? 'Data' : 'Management',
  };
}

const getObject = (time: string, key: string, denied = false): Call => ({
  time,
  source: 's3.amazonaws.com',
  name: 'GetObject',
  params: { bucketName: BUCKET, key },
  resources: [{ ARN: `arn:aws:s3:::${BUCKET}/${key}`, type: 'AWS::S3::Object' }],
  denied,
});
const decrypt = (time: string, denied = false): Call => ({
  time,
  source: 'kms.amazonaws.com',
  name: 'Decrypt',
  params: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
  resources: [{ ARN: KEY, type: 'AWS::KMS::Key' }],
  denied,
});

function snapshot(withKms: boolean): unknown {
  return {
    RoleDetailList: [
      {
        Path: '/',
        RoleName: ROLE,
        RoleId: 'AROAEXAMPLE00000001',
        Arn: ROLE_ARN,
        CreateDate: '2025-01-01T00:00:00Z',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        InstanceProfileList: [],
        RolePolicyList: [
          {
            PolicyName: 'exports',
            PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }] },
          },
        ],
        AttachedManagedPolicies: withKms ? [{ PolicyName: 'decrypt-exports', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/decrypt-exports` }] : [],
        Tags: [],
      },
    ],
    Policies: [
      {
        PolicyName: 'decrypt-exports',
        Arn: `arn:aws:iam::${ACCOUNT}:policy/decrypt-exports`,
        Path: '/',
        DefaultVersionId: 'v1',
        AttachmentCount: withKms ? 1 : 0,
        IsAttachable: true,
        PolicyVersionList: [
          {
            VersionId: 'v1',
            IsDefaultVersion: true,
            Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }] },
          },
        ],
      },
    ],
    UserDetailList: [],
    GroupDetailList: [],
  };
}

let dir = '';
async function logsFile(name: string, calls: Call[]): Promise<void> {
  const folder = join(dir, 'logs', name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, `${ACCOUNT}_CloudTrail_eu-west-1_${name}.json`), JSON.stringify({ Records: calls.map(record) }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-regressions-'));
  // Week 1 (Nov 1-7): the job reads its export and decrypts it every night.
  const week1: Call[] = [];
  for (let d = 1; d <= 7; d++) {
    const day = `2026-11-0${d}`;
    week1.push(getObject(`${day}T02:00:00Z`, 'daily/part-0.csv'), decrypt(`${day}T02:00:05Z`));
  }
  await logsFile('week1', week1);
  // Week 2 (Nov 8-14): decrypt-exports was detached, so Decrypt is denied; and from Nov 11 a bucket
  // policy condition denies the object that worked on Nov 8-10.
  const week2: Call[] = [];
  for (let d = 8; d <= 14; d++) {
    const day = `2026-11-${String(d).padStart(2, '0')}`;
    week2.push(getObject(`${day}T02:00:00Z`, 'daily/part-0.csv', d >= 11), decrypt(`${day}T02:00:05Z`, true));
  }
  await logsFile('week2', week2);
  await writeFile(join(dir, 'iam-week1.json'), JSON.stringify(snapshot(true)));
  await writeFile(join(dir, 'iam-week2.json'), JSON.stringify(snapshot(false)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const report = async (out: string): Promise<DriftReport> => JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DriftReport;

describe('drift regressions', () => {
  it('run 1 (before the change): none; run 2 (a week later): Decrypt no longer granted (from the history), GetObject denied after working', async () => {
    const history = join(dir, 'history.duckdb');
    const common = ['drift', '--logs', join(dir, 'logs'), '--history', history, '--days', '7'];
    const first = await run([
      ...common,
      '--iam',
      join(dir, 'iam-week1.json'),
      '--end',
      '2026-11-08T00:00:00Z',
      '--out',
      join(dir, 'out1'),
      '--fail-on',
      'regression',
    ]);
    expect(first.code, first.err).toBe(0);
    expect((await report(join(dir, 'out1'))).regressions).toEqual([]);

    const second = await run([
      ...common,
      '--iam',
      join(dir, 'iam-week2.json'),
      '--end',
      '2026-11-15T00:00:00Z',
      '--out',
      join(dir, 'out2'),
      '--fail-on',
      'regression',
    ]);
    expect(second.code).toBe(1);
    expect(second.err).toContain('--fail-on regression: condition met');
    expect(second.err).toMatch(/warning: 2 regression\(s\)/);
    const r = await report(join(dir, 'out2'));
    expect(r.regressions).toEqual([
      {
        role: ROLE,
        roleArn: ROLE_ARN,
        action: 'kms:Decrypt',
        resource: null,
        cause: 'removed-since-last-run',
        lastSuccess: '2026-11-07T02:00:05Z',
        firstDenial: '2026-11-08T02:00:05Z',
      },
      {
        role: ROLE,
        roleArn: ROLE_ARN,
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${BUCKET}/daily/part-0.csv`,
        cause: 'denied-after-success',
        lastSuccess: '2026-11-10T02:00:00Z',
        firstDenial: '2026-11-11T02:00:00Z',
      },
    ]);
    const md = await readFile(join(dir, 'out2', 'report.md'), 'utf8');
    // The Regressions section comes before every other section.
    expect(md.indexOf('## Regressions')).toBeGreaterThan(0);
    expect(md.indexOf('## Regressions')).toBe(md.indexOf('## '));
    expect(md).toContain('| `nightly-export` | `kms:Decrypt` | (not recorded) | 2026-11-07T02:00:05Z | 2026-11-08T02:00:05Z |');
    const html = await readFile(join(dir, 'out2', 'report.html'), 'utf8');
    expect(html.indexOf('id="regressions"')).toBeGreaterThan(0);
    expect(html.indexOf('id="regressions"')).toBeLessThan(html.indexOf('id="cards"'));
    expect(html).toContain(`<td><code>arn:aws:s3:::${BUCKET}/daily/part-0.csv</code></td><td>2026-11-10T02:00:00Z</td><td>2026-11-11T02:00:00Z</td>`);
  });

  it('one window over both weeks: Decrypt used in the window and no longer granted, with its resource and first denial', async () => {
    const out = join(dir, 'out-both');
    const r1 = await run([
      'drift',
      '--logs',
      join(dir, 'logs'),
      '--no-history',
      '--days',
      '14',
      '--iam',
      join(dir, 'iam-week2.json'),
      '--end',
      '2026-11-15T00:00:00Z',
      '--out',
      out,
    ]);
    expect(r1.code).toBe(0); // no --fail-on: the regressions are reported, the run succeeds
    const decrypt = (await report(out)).regressions.find((x) => x.action === 'kms:Decrypt');
    expect(decrypt).toEqual({
      role: ROLE,
      roleArn: ROLE_ARN,
      action: 'kms:Decrypt',
      resource: KEY,
      cause: 'not-granted',
      lastSuccess: '2026-11-07T02:00:05Z',
      firstDenial: '2026-11-08T02:00:05Z',
    });
  });

  it('minimize --format json lists the calls that worked and are no longer granted', async () => {
    const r = await run([
      'minimize',
      '--role',
      ROLE,
      '--logs',
      join(dir, 'logs'),
      '--days',
      '14',
      '--iam',
      join(dir, 'iam-week2.json'),
      '--end',
      '2026-11-15T00:00:00Z',
      '--format',
      'json',
    ]);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out) as { regressions: Array<{ action: string; cause: string; lastSuccess: string }> };
    expect(plan.regressions.map((x) => [x.action, x.cause, x.lastSuccess])).toEqual([['kms:Decrypt', 'not-granted', '2026-11-07T02:00:05Z']]);
  });
});

describe("drift's suggested commands", () => {
  it('carry the source flags as given (--index here), and the suggested minimize runs', async () => {
    const index = join(dir, 'usage.index');
    const built = await run(['index', '--logs', join(dir, 'logs'), '--index', index]);
    expect(built.code, built.err).toBe(0);
    const out = join(dir, 'out-index');
    const r = await run([
      'drift',
      '--index',
      index,
      '--no-history',
      '--days',
      '14',
      '--iam',
      join(dir, 'iam-week1.json'),
      '--end',
      '2026-11-15T00:00:00Z',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    const role = (await report(out)).roles.find((x) => x.name === ROLE);
    expect(role?.minimize).toContain(`--index ${index}`);
    expect(role?.minimize).not.toContain('--logs');
    const args = (role?.minimize ?? '').split(' ').slice(1); // drop "iamtrim"; no word needs quoting here
    const again = await run([...args, '--format', 'json']);
    expect(again.code, again.err).toBe(0);
    expect((JSON.parse(again.out) as { role: string }).role).toBe(ROLE_ARN);
  });
});
