/**
 * The trail's own settings (issue 19 item 6): event selectors as the AWS CLI prints them
 * (`aws cloudtrail get-event-selectors`; shapes from the CloudTrail API reference, EventSelector,
 * DataResource, AdvancedEventSelector, AdvancedFieldSelector), read from `--trail-config FILE` or
 * live (`--trail`, GetTrail + GetEventSelectors through the SDK, mocked). The done-when fixture: one
 * bucket with data events, one without; the second bucket's object actions are unobservable, not
 * unused, with and without `--trail-config`. Proposals checked with iam-simulate.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient, GetEventSelectorsCommand, GetTrailCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrailConfig, selectionCovers } from '../src/diff/trail-selectors.js';
import { readLiveTrailSelection } from '../src/diff/trail-selectors-live.js';
import { InputError } from '../src/errors.js';
import { runCli } from './bad-input-helpers.js';
import { simulate } from './helpers/simulate.js';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/reports`;

/** get-event-selectors output: data events (read and write) for bucket-a only; management events all. */
const BASIC_BUCKET_A = {
  TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`,
  EventSelectors: [
    {
      ReadWriteType: 'All',
      IncludeManagementEvents: true,
      DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::bucket-a/'] }],
      ExcludeManagementEventSources: ['kms.amazonaws.com'],
    },
  ],
};

/** The same with advanced selectors: management without KMS, read-only S3 data events under bucket-a/. */
const ADVANCED = {
  TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`,
  AdvancedEventSelectors: [
    {
      Name: 'Management events but KMS',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Management'] },
        { Field: 'eventSource', NotEquals: ['kms.amazonaws.com'] },
      ],
    },
    {
      Name: 'Reads of bucket-a',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        { Field: 'readOnly', Equals: ['true'] },
        { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::bucket-a/'] },
      ],
    },
  ],
};

const s3Query = (pattern: string, readOnly: boolean) => ({
  category: 'Data' as const,
  eventSource: 's3.amazonaws.com',
  eventName: readOnly ? 'GetObject' : 'PutObject',
  readOnly,
  resourceType: 'AWS::S3::Object',
  resourcePattern: pattern,
  allValue: 'arn:aws:s3',
});

describe('parseTrailConfig and selectionCovers', () => {
  it('basic selectors: a bucket value covers the bucket, not another, not *', () => {
    const s = parseTrailConfig(BASIC_BUCKET_A, 'test');
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-a/*', true))).toBe(true);
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-a/reports/*', false))).toBe(true);
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-b/*', true))).toBe(false);
    expect(selectionCovers(s, s3Query('*', true))).toBe(false);
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-*', true))).toBe(false);
  });

  it('basic selectors: arn:aws:s3 selects every bucket; ReadOnly leaves writes out', () => {
    const s = parseTrailConfig(
      { EventSelectors: [{ ReadWriteType: 'ReadOnly', DataResources: [{ Type: 'AWS::S3::Object', Values: ['arn:aws:s3'] }] }] },
      'test',
    );
    expect(selectionCovers(s, s3Query('*', true))).toBe(true);
    expect(selectionCovers(s, s3Query('arn:aws:s3:::any/*', false))).toBe(false);
    // IncludeManagementEvents defaults to true; a ReadOnly selector leaves management writes out.
    expect(selectionCovers(s, { category: 'Management', eventSource: 'iam.amazonaws.com', eventName: 'GetRole', readOnly: true })).toBe(true);
    expect(selectionCovers(s, { category: 'Management', eventSource: 'iam.amazonaws.com', eventName: 'CreateRole', readOnly: false })).toBe(false);
  });

  it('ExcludeManagementEventSources and an advanced eventSource NotEquals leave KMS out', () => {
    for (const config of [BASIC_BUCKET_A, ADVANCED]) {
      const s = parseTrailConfig(config, 'test');
      expect(selectionCovers(s, { category: 'Management', eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', readOnly: true })).toBe(false);
      expect(selectionCovers(s, { category: 'Management', eventSource: 'sqs.amazonaws.com', eventName: 'ListQueues', readOnly: true })).toBe(true);
    }
  });

  it('advanced selectors: AND within a selector (readOnly, resources.ARN StartsWith), unknown fields never assumed', () => {
    const s = parseTrailConfig(ADVANCED, 'test');
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-a/*', true))).toBe(true);
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-a/*', false))).toBe(false);
    expect(selectionCovers(s, s3Query('arn:aws:s3:::bucket-b/*', true))).toBe(false);
    const byUser = parseTrailConfig(
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Data'] },
              { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
              { Field: 'userIdentity.arn', StartsWith: ['arn:aws:sts::1:assumed-role/x'] },
            ],
          },
        ],
      },
      'test',
    );
    expect(selectionCovers(byUser, s3Query('arn:aws:s3:::bucket-a/*', true))).toBe(false);
    const notB = parseTrailConfig(
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Data'] },
              { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
              { Field: 'resources.ARN', NotStartsWith: ['arn:aws:s3:::bucket-b/'] },
            ],
          },
        ],
      },
      'test',
    );
    expect(selectionCovers(notB, s3Query('arn:aws:s3:::bucket-a/*', false))).toBe(true);
    expect(selectionCovers(notB, s3Query('arn:aws:s3:::bucket-b/x/*', false))).toBe(false);
    expect(selectionCovers(notB, s3Query('arn:aws:s3:::bucket-*', false))).toBe(false);
  });

  it('refuses what is not get-event-selectors output, naming the source', () => {
    expect(() => parseTrailConfig({ Trail: { Name: 'main' } }, '--trail-config t.json')).toThrow(InputError);
    expect(() => parseTrailConfig({ EventSelectors: [{ ReadWriteType: 'Sometimes' }] }, '--trail-config t.json')).toThrow(/ReadWriteType Sometimes/);
    // get-trail output beside it, in an array, names the trail.
    expect(parseTrailConfig([{ Trail: { TrailARN: 'arn:aws:cloudtrail:us-east-1:1:trail/x' } }, { EventSelectors: [] }], 't').trail).toBe(
      'arn:aws:cloudtrail:us-east-1:1:trail/x',
    );
  });
});

describe('live: GetTrail and GetEventSelectors through the SDK', () => {
  it('reads the selectors of the named trail', async () => {
    const mock = mockClient(CloudTrailClient);
    mock.on(GetTrailCommand).resolves({ Trail: { Name: 'main', TrailARN: BASIC_BUCKET_A.TrailARN } });
    mock.on(GetEventSelectorsCommand, { TrailName: BASIC_BUCKET_A.TrailARN }).resolves(BASIC_BUCKET_A as never);
    const selection = await readLiveTrailSelection(new CloudTrailClient({ region: 'us-east-1' }), 'main');
    expect(selection.trail).toBe(BASIC_BUCKET_A.TrailARN);
    expect(selectionCovers(selection, s3Query('arn:aws:s3:::bucket-b/*', true))).toBe(false);
    expect(selectionCovers(selection, s3Query('arn:aws:s3:::bucket-a/*', true))).toBe(true);
    mock.restore();
  });

  it('an unknown trail is an input error naming it', async () => {
    const mock = mockClient(CloudTrailClient);
    mock
      .on(GetTrailCommand)
      .rejects(Object.assign(new Error('Unknown trail: nope for the user'), { name: 'TrailNotFoundException', $metadata: { httpStatusCode: 400 } }));
    await expect(readLiveTrailSelection(new CloudTrailClient({ region: 'us-east-1' }), 'nope')).rejects.toThrow(/--trail nope: no such trail/);
    mock.restore();
  });
});

describe('one bucket with data events, one without (issue 19 done-when)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-trail-'));
    const record = (time: string, eventSource: string, eventName: string, category: string, params: Record<string, unknown>, resources?: unknown[]) => ({
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/reports/s`,
        accountId: ACCOUNT,
        sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, accountId: ACCOUNT, userName: 'reports' } },
      },
      eventTime: time,
      eventSource,
      eventName,
      awsRegion: 'us-east-1',
      requestParameters: params,
      eventType: 'AwsApiCall',
      eventCategory: category,
      readOnly: eventName.startsWith('Get') || eventName.startsWith('List'),
      recipientAccountId: ACCOUNT,
      ...(resources !== undefined ? { resources } : {}),
    });
    const records = [];
    for (let day = 1; day <= 28; day++) {
      const t = `2026-02-${String(day).padStart(2, '0')}T10:00:00Z`;
      records.push(
        record(t, 's3.amazonaws.com', 'GetObject', 'Data', { bucketName: 'bucket-a', key: `daily/${day}.csv` }, [
          { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::bucket-a/daily/${day}.csv` },
          { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::bucket-a' },
        ]),
        record(t, 'sqs.amazonaws.com', 'ListQueues', 'Management', {}),
      );
    }
    await writeFile(join(dir, 'logs.json'), JSON.stringify({ Records: records }));
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::bucket-a/*', 'arn:aws:s3:::bucket-b/*'] },
        { Effect: 'Allow', Action: ['sqs:ListQueues', 'kms:Decrypt'], Resource: '*' },
      ],
    };
    await writeFile(
      join(dir, 'iam.json'),
      JSON.stringify({
        RoleDetailList: [
          {
            Path: '/',
            RoleName: 'reports',
            RoleId: 'AROAEXAMPLE',
            Arn: ROLE,
            CreateDate: '2025-01-01T00:00:00Z',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
            RolePolicyList: [{ PolicyName: 'reports', PolicyDocument: policy }],
            AttachedManagedPolicies: [],
            InstanceProfileList: [],
            Tags: [],
          },
        ],
        UserDetailList: [],
        GroupDetailList: [],
        Policies: [],
      }),
    );
    await writeFile(join(dir, 'trail.json'), JSON.stringify(BASIC_BUCKET_A));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const minimize = async (extra: string[]) => {
    const r = await runCli([
      'minimize',
      '--role',
      'reports',
      '--logs',
      join(dir, 'logs.json'),
      '--iam',
      join(dir, 'iam.json'),
      '--end',
      '2026-03-01T00:00:00Z',
      '--days',
      '28',
      '--format',
      'json',
      ...extra,
    ]);
    expect(r.exit, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as {
      unused: string[];
      unobservable: { action: string; reason: string; resources?: string[] }[];
      observability: { basis: string; partlyUnobservable: { action: string; resources?: string[] }[] };
      proposed: Array<{ Statement: unknown[] }>;
    };
  };
  const allowed = async (plan: { proposed: unknown[] }, action: string, arn: string) =>
    (await simulate(plan.proposed as never, undefined, action, arn, ACCOUNT)) === 'Allowed';

  it('without --trail-config: bucket-b is unobservable (inferred per resource), bucket-a writes too (only reads were seen)', async () => {
    const plan = await minimize([]);
    expect(plan.observability.basis).toBe('inferred-from-logs');
    expect(plan.unused).not.toContain('s3:PutObject');
    expect(plan.unobservable.find((u) => u.action === 's3:PutObject')?.resources).toEqual(['arn:aws:s3:::bucket-a/*', 'arn:aws:s3:::bucket-b/*']);
    expect(plan.observability.partlyUnobservable).toEqual([expect.objectContaining({ action: 's3:GetObject', resources: ['arn:aws:s3:::bucket-b/*'] })]);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-b/any/key')).toBe(true);
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-b/any/key')).toBe(true);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-c/x')).toBe(false);
  });

  it('with --trail-config: bucket-b is unobservable by the selectors, bucket-a writes are logged and unused, KMS excluded', async () => {
    const plan = await minimize(['--trail-config', join(dir, 'trail.json')]);
    expect(plan.observability.basis).toBe('trail-selectors');
    expect(plan.unobservable.find((u) => u.action === 's3:PutObject')?.resources).toEqual(['arn:aws:s3:::bucket-b/*']);
    expect(plan.observability.partlyUnobservable).toEqual([expect.objectContaining({ action: 's3:GetObject', resources: ['arn:aws:s3:::bucket-b/*'] })]);
    const kms = plan.unobservable.find((u) => u.action === 'kms:Decrypt');
    expect(kms?.reason).toContain('kms.amazonaws.com');
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-a/x')).toBe(false);
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-b/x')).toBe(true);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-b/x')).toBe(true);
    expect(await allowed(plan, 'kms:Decrypt', `arn:aws:kms:us-east-1:${ACCOUNT}:key/k`)).toBe(true);
  });

  it('the text output says which of the two was used', async () => {
    const base = [
      'minimize',
      '--role',
      'reports',
      '--logs',
      join(dir, 'logs.json'),
      '--iam',
      join(dir, 'iam.json'),
      '--end',
      '2026-03-01T00:00:00Z',
      '--days',
      '28',
    ];
    const inferred = await runCli(base);
    expect(inferred.stdout).toContain('inferred per resource from the logs');
    expect(inferred.stdout).toContain('s3:GetObject on arn:aws:s3:::bucket-b/*');
    const exact = await runCli([...base, '--trail-config', join(dir, 'trail.json')]);
    expect(exact.stdout).toContain(`from the trail's event selectors (--trail-config ${join(dir, 'trail.json')}`);
  });
});
