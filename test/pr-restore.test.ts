/**
 * Issue 21's regression scenario, closed by `pr --restore`: a job's policy was tightened, the next
 * week's logs show AccessDenied on calls that used to work. `pr --restore` opens a pull request
 * (real git, a bare remote, the local GitHub stand-in) whose file, per iam-simulate, allows the
 * failed calls again and nothing else new.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import type { PolicyDocument } from '../src/model.js';
import { startGitHubStandIn, type GitHubStandIn } from './pr-github-stand-in.js';
import { simulate } from './helpers/simulate.js';
import { git, initWorkingCopy } from './helpers/git-repo.js';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/jobs/reports-job`;
const END = '2026-11-30T00:00:00Z';
const BUCKET = 'reports-123456789012';
/** The tightened policy: the writes the nightly job makes were removed by a previous minimization. */
const TIGHTENED: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Read', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/input/*` },
    { Sid: 'NoDeletes', Effect: 'Deny', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
  ],
};
const WRITTEN = [`arn:aws:s3:::${BUCKET}/daily/2026-11-25/report.csv`, `arn:aws:s3:::${BUCKET}/daily/2026-11-26/report.csv`];

function record(eventName: string, key: string, time: string, denied: boolean): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:job',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/reports-job/job`,
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: ROLE_ARN, accountId: ACCOUNT, userName: 'reports-job' } },
    },
    eventTime: time,
    eventSource: 's3.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '10.0.0.1',
    userAgent: '[aws-sdk-js/3]',
    requestParameters: { bucketName: BUCKET, key, Host: `${BUCKET}.s3.eu-west-1.amazonaws.com` },
    responseElements: null,
    ...(denied ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
    requestID: `R${time}${key}`.replace(/[^A-Za-z0-9]/g, ''),
    eventID: `E-${eventName}-${time}-${key}`,
    readOnly: eventName === 'GetObject',
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${BUCKET}/${key}` },
      { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${BUCKET}` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Data',
  };
}

let dir: string;
let github: GitHubStandIn;
let work: string;
let remote: string;
let logs: string;
let iam: string;

function io(env: Record<string, string>): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (o.stdout += t),
    err: (t: string) => void (o.stderr += t),
    interactive: false,
    now: () => new Date(END),
    env,
  };
  return o;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-restore-'));
  logs = join(dir, 'logs');
  await mkdir(logs);
  const records = [];
  // Every day of the week: the job reads its input (still allowed) and writes its report (now denied).
  for (let day = 23; day <= 29; day++) {
    records.push(record('GetObject', 'input/orders.csv', `2026-11-${day}T02:00:00Z`, false));
  }
  records.push(record('PutObject', 'daily/2026-11-25/report.csv', '2026-11-25T02:05:00Z', true));
  records.push(record('PutObject', 'daily/2026-11-26/report.csv', '2026-11-26T02:05:00Z', true));
  records.push(record('DeleteObject', 'daily/2026-11-26/report.csv', '2026-11-26T02:06:00Z', true));
  await writeFile(join(logs, `${ACCOUNT}_CloudTrail_eu-west-1_20261129T0000Z_x.json`), JSON.stringify({ Records: records }));
  iam = join(dir, 'iam.json');
  await writeFile(
    iam,
    JSON.stringify({
      RoleDetailList: [
        {
          Path: '/jobs/',
          RoleName: 'reports-job',
          RoleId: 'AROAEXAMPLE',
          Arn: ROLE_ARN,
          CreateDate: '2025-01-01T00:00:00Z',
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
          RolePolicyList: [{ PolicyName: 'reports-job-data', PolicyDocument: TIGHTENED }],
          AttachedManagedPolicies: [],
        },
      ],
      Policies: [],
    }),
  );
  github = await startGitHubStandIn('acme', 'infra');
  remote = join(dir, 'remote.git');
  work = join(dir, 'work');
  initWorkingCopy(work, { origin: 'https://github.com/acme/infra.git', remote });
  await mkdir(join(work, 'policies'));
  await writeFile(join(work, 'policies', 'reports-job.json'), JSON.stringify(TIGHTENED, null, 2) + '\n');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'tightened by iamtrim');
  git(work, 'push', '--quiet', 'origin', 'main');
}, 120_000);

afterAll(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

const args = (...extra: string[]): string[] => [
  'node',
  'iamtrim',
  'pr',
  '--restore',
  '--role',
  'reports-job',
  '--days',
  '7',
  '--end',
  END,
  '--logs',
  logs,
  '--iam',
  iam,
  '--repo',
  work,
  '--file',
  'policies/reports-job.json',
  ...extra,
];

describe('pr --restore', () => {
  it('opens a pull request that allows the denied calls again and nothing else new', async () => {
    const run = io({ GITHUB_TOKEN: 'ghs_TESTTOKEN0123456789' });
    expect(await main(args('--github-api-url', github.url), run), run.stderr).toBe(0);
    expect(run.stdout).toMatch(/pull request #\d+/);
    // The explicit Deny keeps DeleteObject out of reach: said, not silently dropped.
    expect(run.stderr).toContain(`not restored: s3:DeleteObject on arn:aws:s3:::${BUCKET}/daily/2026-11-26/report.csv: an explicit Deny`);
    const branch = git(remote, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/iamtrim/');
    expect(branch).toBe('iamtrim/reports-job-restore-20261130');
    const after = JSON.parse(git(remote, 'show', `${branch}:policies/reports-job.json`)) as PolicyDocument;
    // Everything that was there stays, byte for byte in meaning.
    expect(after.Statement.slice(0, 2)).toEqual(TIGHTENED.Statement);
    for (const resource of WRITTEN) expect(await simulate([after], undefined, 's3:PutObject', resource, ACCOUNT)).toBe('Allowed');
    // Nothing else new: another key, another action, and the denied delete stay denied.
    expect(await simulate([after], undefined, 's3:PutObject', `arn:aws:s3:::${BUCKET}/daily/2026-11-27/report.csv`, ACCOUNT)).not.toBe('Allowed');
    expect(await simulate([after], undefined, 's3:DeleteObject', WRITTEN[1]!, ACCOUNT)).not.toBe('Allowed');
    expect(await simulate([after], undefined, 's3:PutObjectAcl', WRITTEN[0]!, ACCOUNT)).not.toBe('Allowed');
    const pull = github.requests.find((r) => r.method === 'POST' && r.path.endsWith('/pulls'));
    const body = JSON.stringify(pull?.body ?? {});
    expect(body).toContain('first denial');
    expect(body).toContain('2026-11-25T02:05:00Z');
  }, 120_000);

  it("refuses a file that is not the role's policy, and says when there is nothing to restore", async () => {
    await writeFile(
      join(work, 'policies', 'other.json'),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] }),
    );
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'other');
    git(work, 'push', '--quiet', 'origin', 'main');
    const wrong = io({});
    const wrongArgs = args('--dry-run').map((a) => (a === 'policies/reports-job.json' ? 'policies/other.json' : a));
    expect(await main(wrongArgs, wrong)).toBe(3);
    expect(wrong.stderr).toMatch(/its policy is not one of reports-job's policies/);
    const early = io({});
    const before = args('--dry-run').map((a) => (a === END ? '2026-11-25T00:00:00Z' : a));
    expect(await main(before, early)).toBe(3);
    expect(early.stderr).toMatch(/--restore: nothing to restore for reports-job: no denied calls in the window/);
  }, 120_000);
});
