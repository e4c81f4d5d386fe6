/**
 * IAM last-accessed evidence: the AWS CLI's output and the live API (through the production IAM
 * client and aws-sdk-client-mock, response shapes from the IAM API reference's
 * GetServiceLastAccessedDetails page: JobStatus IN_PROGRESS|COMPLETED|FAILED, JobType,
 * ServicesLastAccessed[].TrackedActionsLastAccessed, IsTruncated/Marker, Error).
 */
import { GenerateServiceLastAccessedDetailsCommand, GetServiceLastAccessedDetailsCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InputError, UpstreamError } from '../src/errors.js';
import { lastAccessedKeeps, parseLastAccessedDetails, readLastAccessedPath } from '../src/iam/last-accessed.js';
import { readLiveLastAccessed } from '../src/iam/last-accessed-live.js';

const ACCOUNT = '111122223333';
/** As `aws iam get-service-last-accessed-details` prints it (dates as ISO strings). */
const CLI_OUTPUT = {
  JobStatus: 'COMPLETED',
  JobType: 'ACTION_LEVEL',
  JobCreationDate: '2026-12-01T10:00:00+00:00',
  JobCompletionDate: '2026-12-01T10:00:05+00:00',
  ServicesLastAccessed: [
    {
      ServiceName: 'Amazon S3',
      ServiceNamespace: 's3',
      LastAuthenticated: '2026-09-15T03:00:00+00:00',
      LastAuthenticatedEntity: `arn:aws:iam::${ACCOUNT}:role/reports`,
      TotalAuthenticatedEntities: 1,
      TrackedActionsLastAccessed: [
        {
          ActionName: 'GetObject',
          LastAccessedEntity: `arn:aws:iam::${ACCOUNT}:role/reports`,
          LastAccessedTime: '2026-09-15T03:00:00+00:00',
          LastAccessedRegion: 'eu-west-1',
        },
        { ActionName: 'PutObject' },
        { ActionName: 'DeleteObject', LastAccessedTime: '2025-01-10T00:00:00+00:00' },
      ],
    },
    // A service IAM tracks only at service level (no TrackedActionsLastAccessed).
    { ServiceName: 'AWS Key Management Service', ServiceNamespace: 'kms', LastAuthenticated: '2026-06-30T00:00:00+00:00', TotalAuthenticatedEntities: 1 },
    // Listed, never used.
    { ServiceName: 'Amazon SQS', ServiceNamespace: 'sqs', TotalAuthenticatedEntities: 0 },
  ],
  IsTruncated: false,
};

describe('last-accessed rule', () => {
  const report = parseLastAccessedDetails(CLI_OUTPUT, 'reports', 'reports.json');
  const granted = ['kms:Decrypt', 'kms:Encrypt', 's3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 'sqs:SendMessage', 'sns:Publish'];

  it('keeps a tracked action on its own date, and an untracked one on its service date', () => {
    expect(lastAccessedKeeps(report, granted, 400)).toEqual([
      { action: 'kms:Decrypt', lastAccessed: '2026-06-30T00:00:00.000Z', level: 'service' },
      { action: 'kms:Encrypt', lastAccessed: '2026-06-30T00:00:00.000Z', level: 'service' },
      { action: 's3:GetObject', lastAccessed: '2026-09-15T03:00:00.000Z', level: 'action' },
      // ListBucket is not in S3's tracked list: only the service date speaks for it.
      { action: 's3:ListBucket', lastAccessed: '2026-09-15T03:00:00.000Z', level: 'service' },
    ]);
  });

  it('drops what is older than --last-accessed-days (a quarterly job seen 77 days before the report)', () => {
    const keeps = lastAccessedKeeps(report, granted, 60).map((k) => k.action);
    expect(keeps).not.toContain('s3:GetObject');
    expect(lastAccessedKeeps(report, granted, 78).map((k) => k.action)).toContain('s3:GetObject');
  });

  it('never keeps a tracked action IAM saw no attempt of, nor a service it does not list', () => {
    const keeps = lastAccessedKeeps(report, granted, 10_000).map((k) => k.action);
    expect(keeps).not.toContain('s3:PutObject');
    expect(keeps).not.toContain('sqs:SendMessage');
    expect(keeps).not.toContain('sns:Publish');
    expect(keeps).toContain('s3:DeleteObject');
  });

  it('refuses a report that is not complete, naming the file', () => {
    expect(() => parseLastAccessedDetails({ ...CLI_OUTPUT, JobStatus: 'IN_PROGRESS' }, 'r', 'r.json')).toThrow(/r\.json: the report job is IN_PROGRESS/);
    expect(() => parseLastAccessedDetails([], 'r', 'r.json')).toThrow(InputError);
  });

  it('reads a folder of <role>.json files, role names case-insensitive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'iamtrim-la-'));
    writeFileSync(join(dir, 'Reports.json'), JSON.stringify(CLI_OUTPUT));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const reports = readLastAccessedPath(dir);
    expect([...reports.keys()]).toEqual(['reports']);
    expect(reports.get('reports')?.roleName).toBe('Reports');
    expect(() => readLastAccessedPath(join(dir, 'missing.json'))).toThrow(/--last-accessed .*missing\.json: no such file/);
  });
});

describe('live last-accessed', () => {
  const iam = mockClient(IAMClient);
  afterEach(() => iam.reset());
  // Files share a worker's modules (vitest.config.ts): the client is real again for the next file.
  afterAll(() => iam.restore());
  const client = new IAMClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  const roles = [
    { arn: `arn:aws:iam::${ACCOUNT}:role/reports`, name: 'reports' },
    { arn: `arn:aws:iam::${ACCOUNT}:role/gone`, name: 'gone' },
  ];
  const sdkShape = {
    ...CLI_OUTPUT,
    JobCreationDate: new Date('2026-12-01T10:00:00Z'),
    JobCompletionDate: new Date('2026-12-01T10:00:05Z'),
  };

  it('polls a running job, follows Marker pages, and lists a role deleted meanwhile as missing', async () => {
    const slept: number[] = [];
    iam.on(GenerateServiceLastAccessedDetailsCommand, { Arn: roles[0]!.arn, Granularity: 'ACTION_LEVEL' }).resolves({ JobId: 'job-1' });
    iam
      .on(GenerateServiceLastAccessedDetailsCommand, { Arn: roles[1]!.arn })
      .rejects(new NoSuchEntityException({ message: 'The role with name gone cannot be found.', $metadata: {} }));
    iam
      .on(GetServiceLastAccessedDetailsCommand, { JobId: 'job-1' })
      .resolvesOnce({ JobStatus: 'IN_PROGRESS', JobCreationDate: new Date('2026-12-01T10:00:00Z'), ServicesLastAccessed: [] } as never)
      .resolvesOnce({ ...sdkShape, ServicesLastAccessed: sdkShape.ServicesLastAccessed.slice(0, 1), IsTruncated: true, Marker: 'm2' } as never);
    iam
      .on(GetServiceLastAccessedDetailsCommand, { JobId: 'job-1', Marker: 'm2' })
      .resolves({ ...sdkShape, ServicesLastAccessed: sdkShape.ServicesLastAccessed.slice(1) } as never);
    const result = await readLiveLastAccessed(client, roles, { concurrency: 2, pollMs: 5, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([5]);
    expect(result.missing).toEqual([{ roleName: 'gone', reason: 'the role no longer exists (NoSuchEntity)' }]);
    const report = result.reports.get('reports')!;
    expect(report.services.map((s) => s.namespace)).toEqual(['s3', 'kms', 'sqs']);
    expect(report.asOf).toBe('2026-12-01T10:00:05.000Z');
    expect(report.origin).toBe('live IAM');
  });

  it('a failed job and throttling that outlasts the retries are upstream errors naming the call', async () => {
    iam.on(GenerateServiceLastAccessedDetailsCommand).resolves({ JobId: 'job-x' });
    iam.on(GetServiceLastAccessedDetailsCommand).resolves({
      JobStatus: 'FAILED',
      JobCreationDate: new Date(),
      ServicesLastAccessed: [],
      Error: { Code: 'InternalError', Message: 'report unavailable' },
    } as never);
    await expect(readLiveLastAccessed(client, roles.slice(0, 1))).rejects.toThrow(/job for reports failed: report unavailable/);
    iam.reset();
    iam
      .on(GenerateServiceLastAccessedDetailsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    const error = await readLiveLastAccessed(client, roles.slice(0, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toMatch(/iam:GenerateServiceLastAccessedDetails failed: Throttling: Rate exceeded/);
  });

  it('never runs more jobs at once than asked', async () => {
    let inFlight = 0;
    let peak = 0;
    iam.on(GenerateServiceLastAccessedDetailsCommand).callsFake(async (input: { Arn: string }) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      return { JobId: input.Arn };
    });
    iam.on(GetServiceLastAccessedDetailsCommand).callsFake(async () => {
      inFlight--;
      return sdkShape;
    });
    const many = Array.from({ length: 12 }, (_, i) => ({ arn: `arn:aws:iam::${ACCOUNT}:role/r${i}`, name: `r${i}` }));
    const result = await readLiveLastAccessed(client, many, { concurrency: 3 });
    expect(result.reports.size).toBe(12);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });
});
