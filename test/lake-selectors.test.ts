/**
 * `minimize --lake`: missing evidence is never unused. The event data store's own selectors
 * (GetEventDataStore; response shape from the CloudTrail API reference: AdvancedEventSelectors,
 * EventDataStoreArn, MultiRegionEnabled, OrganizationEnabled) decide which data-event permissions
 * the store's events can show as used. Through the in-process CLI with the CloudTrail client mocked
 * (StartQuery, GetQueryResults, GetEventDataStore); proposals checked with iam-simulate.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient, GetEventDataStoreCommand, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseTrailConfig } from '../src/diff/trail-selectors.js';
import { observabilityBasis } from '../src/diff/observability.js';
import { runCli } from './helpers/run-cli.js';
import { simulate } from './helpers/simulate.js';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/reports`;
const EDS_ID = 'EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';
const EDS_ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:eventdatastore/${EDS_ID}`;

/** The selector a new event data store gets by default (CloudTrail User Guide): management events only. */
const MANAGEMENT_ONLY = [{ Name: 'Default management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }];
/** Management events, and S3 object data events (read and write: no readOnly field) of bucket-a only. */
const BUCKET_A_DATA = [
  ...MANAGEMENT_ONLY,
  {
    Name: 'bucket-a objects',
    FieldSelectors: [
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
      { Field: 'resources.ARN', StartsWith: ['arn:aws:s3:::bucket-a/'] },
    ],
  },
];

const store = (selectors: unknown[], extra: Record<string, unknown> = {}) => ({
  EventDataStoreArn: EDS_ARN,
  Name: 'org-events',
  Status: 'ENABLED',
  AdvancedEventSelectors: selectors,
  MultiRegionEnabled: true,
  OrganizationEnabled: false,
  RetentionPeriod: 2557,
  TerminationProtectionEnabled: true,
  ...extra,
});

function record(time: string, eventSource: string, eventName: string, category: string, params: Record<string, unknown>, resources?: unknown[]) {
  return {
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
  };
}

/** What the store holds for the role: ListQueues daily, and (when it collects them) reads of bucket-a. */
function events(withData: boolean) {
  const out = [];
  for (let day = 1; day <= 28; day++) {
    const t = `2026-02-${String(day).padStart(2, '0')}T10:00:00Z`;
    out.push(record(t, 'sqs.amazonaws.com', 'ListQueues', 'Management', {}));
    if (withData) {
      out.push(
        record(t, 's3.amazonaws.com', 'GetObject', 'Data', { bucketName: 'bucket-a', key: `daily/${day}.csv` }, [
          { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::bucket-a/daily/${day}.csv` },
          { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::bucket-a' },
        ]),
      );
    }
  }
  return out;
}

const ct = mockClient(CloudTrailClient);
afterEach(() => ct.reset());
afterAll(() => ct.restore());

function lakeHolds(records: unknown[]): void {
  ct.on(StartQueryCommand).resolves({ QueryId: 'q1' });
  ct.on(GetQueryResultsCommand).resolves({
    QueryStatus: 'FINISHED',
    QueryResultRows: records.map((r) => [{ eventJson: JSON.stringify(r) }]),
    QueryStatistics: { BytesScanned: 4096 },
  });
}

interface Plan {
  unused: string[];
  unobservable: { action: string; reason: string; resources?: string[] }[];
  observability: {
    basis: string;
    eventDataStore?: string;
    selectorsUnknown?: boolean;
    notes?: string[];
    partlyUnobservable: { action: string; resources?: string[] }[];
  };
  proposed: unknown[];
}

describe('minimize --lake reads the event data store selectors', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-lake-'));
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::bucket-a/*', 'arn:aws:s3:::bucket-b/*'] },
        { Effect: 'Allow', Action: ['sqs:ListQueues', 'sqs:DeleteQueue'], Resource: '*' },
      ],
    };
    const role = {
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
    };
    await writeFile(join(dir, 'iam.json'), JSON.stringify({ RoleDetailList: [role], UserDetailList: [], GroupDetailList: [], Policies: [] }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = (): string[] => [
    'minimize',
    '--role',
    'reports',
    '--lake',
    EDS_ID,
    '--region',
    'us-east-1',
    '--iam',
    join(dir, 'iam.json'),
    '--end',
    '2026-03-01T00:00:00Z',
    '--days',
    '28',
  ];
  const minimize = async (extra: string[] = []) => {
    const r = await runCli([...base(), '--format', 'json', ...extra]);
    expect(r.code, r.err).toBe(0);
    return { plan: JSON.parse(r.out) as Plan, err: r.err };
  };
  const allowed = async (plan: Plan, action: string, arn: string) => (await simulate(plan.proposed as never, undefined, action, arn, ACCOUNT)) === 'Allowed';
  const reasonOf = (plan: Plan, action: string) => plan.unobservable.find((u) => u.action === action);

  it('management events only: S3 object permissions are kept, naming the store; an unused management action is unused', async () => {
    lakeHolds(events(false));
    ct.on(GetEventDataStoreCommand, { EventDataStore: EDS_ID }).resolves(store(MANAGEMENT_ONLY) as never);
    const { plan } = await minimize();
    expect(plan.observability.basis).toBe('event-data-store-selectors');
    expect(plan.observability.eventDataStore).toBe(EDS_ARN);
    for (const action of ['s3:GetObject', 's3:PutObject']) {
      const kept = reasonOf(plan, action);
      expect(kept?.reason).toContain("the event data store's selectors (GetEventDataStore");
      expect(kept?.resources).toEqual(['arn:aws:s3:::bucket-a/*', 'arn:aws:s3:::bucket-b/*']);
      expect(plan.unused).not.toContain(action);
    }
    expect(plan.unused).toContain('sqs:DeleteQueue');
    expect(await allowed(plan, 'sqs:ListQueues', '*')).toBe(true);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-a/daily/1.csv')).toBe(true);
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-b/x')).toBe(true);
    expect(await allowed(plan, 'sqs:DeleteQueue', `arn:aws:sqs:us-east-1:${ACCOUNT}:q`)).toBe(false);
  });

  it("data events of bucket-a only: bucket-a's object permissions are judged from the events, bucket-b's kept", async () => {
    lakeHolds(events(true));
    ct.on(GetEventDataStoreCommand).resolves(store(BUCKET_A_DATA) as never);
    const { plan } = await minimize();
    // The store collects bucket-a writes and holds none: PutObject is unused there, kept on bucket-b.
    expect(reasonOf(plan, 's3:PutObject')?.resources).toEqual(['arn:aws:s3:::bucket-b/*']);
    expect(reasonOf(plan, 's3:PutObject')?.reason).toContain('do not select write AWS::S3::Object data events for arn:aws:s3:::bucket-b/*');
    expect(plan.observability.partlyUnobservable).toEqual([expect.objectContaining({ action: 's3:GetObject', resources: ['arn:aws:s3:::bucket-b/*'] })]);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-a/daily/7.csv')).toBe(true);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-b/any/key')).toBe(true);
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-b/any/key')).toBe(true);
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-a/daily/7.csv')).toBe(false);
  });

  const denied = () =>
    ct.on(GetEventDataStoreCommand).rejects(
      Object.assign(new Error('User: arn:aws:sts::111122223333:assumed-role/ci/s is not authorized to perform: cloudtrail:GetEventDataStore'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );

  it('GetEventDataStore denied: refused (exit 3) naming the store and the fix, before any query, no proposal and no --out file', async () => {
    lakeHolds(events(true));
    denied();
    const out = join(dir, 'refused.json');
    const r = await runCli([...base(), '--format', 'json', '--out', out]);
    expect(r.code, r.err).toBe(3);
    expect(r.out).toBe('');
    const lines = r.err.split('\n').filter((l) => l.startsWith('iamtrim: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`--lake ${EDS_ID}: cloudtrail:GetEventDataStore was denied`);
    expect(r.err).toMatch(/hint: grant cloudtrail:GetEventDataStore, or pass --trail-config FILE with `aws cloudtrail get-event-data-store/);
    expect(r.err).toContain('--allow-partial-window');
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(ct.commandCalls(StartQueryCommand)).toHaveLength(0);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('refused'))).toEqual([]);
  });

  it('GetEventDataStore denied: drift --lake is refused the same way (exit 3), writing no report', async () => {
    lakeHolds(events(true));
    denied();
    const out = join(dir, 'drift-refused');
    const r = await runCli([
      'drift',
      '--lake',
      EDS_ID,
      '--region',
      'us-east-1',
      '--iam',
      join(dir, 'iam.json'),
      '--end',
      '2026-03-01T00:00:00Z',
      '--days',
      '28',
      '--out',
      out,
      '--no-history',
    ]);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`--lake ${EDS_ID}: cloudtrail:GetEventDataStore was denied`);
    expect(r.err).not.toContain('--allow-partial-window');
    expect(existsSync(out)).toBe(false);
  });

  it('GetEventDataStore denied with --allow-partial-window: every data-event permission kept with the reason and a count, one warning line with the fix', async () => {
    lakeHolds(events(true));
    denied();
    const { plan, err } = await minimize(['--allow-partial-window']);
    expect(plan.observability.selectorsUnknown).toBe(true);
    expect(reasonOf(plan, 's3:PutObject')?.reason).toMatch(/^event data store selectors unknown/);
    expect(plan.observability.partlyUnobservable).toEqual([
      expect.objectContaining({ action: 's3:GetObject', resources: ['arn:aws:s3:::bucket-a/*', 'arn:aws:s3:::bucket-b/*'] }),
    ]);
    // Management events are judged as without selectors: the user accepted partial evidence.
    expect(plan.unused).toContain('sqs:DeleteQueue');
    const warnings = err.split('\n').filter((l) => l.includes('GetEventDataStore'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: .*management events are judged as collected.*grant cloudtrail:GetEventDataStore, or pass --trail-config FILE/);
    expect(await allowed(plan, 's3:PutObject', 'arn:aws:s3:::bucket-a/new-key')).toBe(true);
    expect(await allowed(plan, 's3:GetObject', 'arn:aws:s3:::bucket-a/other/key')).toBe(true);

    const text = await runCli([...base(), '--allow-partial-window']);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^\s+1\s+event data store selectors unknown/m);
    expect(text.out).toContain('s3:GetObject on arn:aws:s3:::bucket-a/*, arn:aws:s3:::bucket-b/*');
  });

  it('--trail-config with get-event-data-store output serves instead of the call; a home-Region store is said to leave other Regions out', async () => {
    lakeHolds(events(true));
    const file = join(dir, 'eds.json');
    await writeFile(file, JSON.stringify(store(BUCKET_A_DATA, { MultiRegionEnabled: false })));
    const { plan } = await minimize(['--trail-config', file]);
    expect(ct.commandCalls(GetEventDataStoreCommand)).toHaveLength(0);
    expect(reasonOf(plan, 's3:PutObject')?.resources).toEqual(['arn:aws:s3:::bucket-b/*']);
    expect(plan.observability.notes).toEqual([expect.stringContaining('home Region (us-east-1) only')]);
    const text = await runCli([...base(), '--trail-config', file]);
    expect(text.out).toContain('Evidence coverage: the event data store collects the events of its home Region (us-east-1) only');
  });

  it("--trail-config with a trail's get-event-selectors output is refused with --lake, naming the file", async () => {
    const file = join(dir, 'trail.json');
    await writeFile(file, JSON.stringify({ TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main`, AdvancedEventSelectors: BUCKET_A_DATA }));
    const r = await runCli([...base(), '--trail-config', file]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`--trail-config ${file}: with --lake it must hold the event data store's selectors`);
    expect(r.err).toContain('get-event-data-store');
  });

  it('--lake with --trail is refused: a trail says nothing about what a store collects', async () => {
    const r = await runCli([...base(), '--trail', 'main']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--lake and --trail');
  });
  it('an unknown event data store is an input error naming it (exit 3), before any query runs', async () => {
    ct.on(GetEventDataStoreCommand).rejects(
      Object.assign(new Error('The specified event data store was not found.'), {
        name: 'EventDataStoreNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const r = await runCli(base());
    expect(r.code).toBe(3);
    expect(r.err).toContain(`--lake ${EDS_ID}: no such event data store`);
    expect(ct.commandCalls(StartQueryCommand)).toHaveLength(0);
  });
});

describe('event data store reach (MultiRegionEnabled, OrganizationEnabled)', () => {
  const basis = (doc: Record<string, unknown>, role: string) => observabilityBasis(parseTrailConfig(store(MANAGEMENT_ONLY, doc), 'eds.json'), role);
  it('a store of one account that is not organization-enabled holds no events of a role in another account', () => {
    expect(basis({}, `arn:aws:iam::444455556666:role/app`)).toMatchObject({
      notes: [
        'the event data store is not organization-enabled and belongs to account 111122223333: it holds no events of account 444455556666, where the role is',
      ],
    });
    expect(basis({ OrganizationEnabled: true }, `arn:aws:iam::444455556666:role/app`)).not.toHaveProperty('notes');
    expect(basis({}, ROLE)).not.toHaveProperty('notes');
  });
});
