/**
 * The fail-safe for unmapped calls and unresolved resources (issue 18 item 1): a call the mapping
 * does not know never makes a granted permission disappear; what is kept carries its reason and
 * event count, `--strict` refuses instead, and a service-linked role is refused outright.
 * Proposals are checked with iam-simulate (the independent evaluator).
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMinimize } from '../src/app/minimize.js';
import { InputError } from '../src/errors.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { createMapper, createPrefixResolver } from '../src/mapping/map-call.js';
import type { CallRow, Evidence, IamSnapshot, MappedCall, MinimizePlan, PolicyDocument, RoleGrant } from '../src/model.js';
import { renderMinimizeText } from '../src/render/minimize-text.js';
import type { CallMapper } from '../src/usage/reduce.js';
import { runCli } from './helpers/run-cli.js';
import { simulate } from './helpers/simulate.js';
import { withoutMapping } from './helpers/unmapped-mapper.js';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
const WINDOW = { start: '2026-10-01T00:00:00Z', end: '2026-10-31T00:00:00Z' };
const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`;
const OTHER_TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/audit`;
const WORKGROUP = `arn:aws:athena:eu-west-1:${ACCOUNT}:workgroup/primary`;

let catalog: IamCatalog;
let base: CallMapper;
beforeAll(async () => {
  catalog = await loadCatalog();
  base = createMapper(catalog);
});

function row(eventSource: string, eventName: string, count: number, extra: Partial<CallRow> = {}): CallRow {
  return {
    roleArn: ROLE,
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    errorCode: null,
    invokedBy: null,
    params: {},
    resourceArns: [],
    count,
    firstSeen: '2026-10-02T00:00:00Z',
    lastSeen: '2026-10-03T00:00:00Z',
    ...extra,
  };
}

const EVIDENCE: Evidence = {
  source: 'test',
  files: 1,
  bytes: 1,
  skippedFiles: [],
  records: 1,
  invalidRecords: 0,
  events: 1,
  covered: { first: '2026-10-01T00:10:00Z', last: '2026-10-30T23:00:00Z' },
  dataEventSources: ['dynamodb.amazonaws.com', 's3.amazonaws.com'],
};

function grantOf(documents: PolicyDocument[], path = '/'): RoleGrant {
  const name = 'app';
  return {
    arn: path === '/' ? ROLE : `arn:aws:iam::${ACCOUNT}:role${path}${name}`,
    name,
    path,
    accountId: ACCOUNT,
    policies: documents.map((document, i) => ({ kind: 'inline', name: `p${i}`, document })),
    serviceLinked: path.startsWith('/aws-service-role/'),
  };
}

async function plan(grant: RoleGrant, rows: CallRow[], mapCall: CallMapper, options: { strict?: boolean } = {}): Promise<MinimizePlan> {
  const iam: IamSnapshot = { source: 'test', roles: [grant] };
  return runMinimize(
    {
      catalog,
      mapCall,
      iam,
      source: {
        description: 'test',
        scan: () => Promise.resolve({ window: WINDOW, rows: rows.map((r) => ({ ...r, roleArn: grant.arn })), evidence: EVIDENCE }),
      },
    },
    {
      role: grant.name,
      window: WINDOW,
      allowEmpty: false,
      ...(options.strict === true ? { strict: true } : {}),
      proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
    },
  );
}

const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });

const DYNAMO_GRANT = doc(
  { Effect: 'Allow', Action: 'dynamodb:*', Resource: [TABLE, OTHER_TABLE] },
  { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: `arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs` },
);

describe('unmapped calls', () => {
  it('a call named like a granted catalogue action keeps just that action, on the table the record names', async () => {
    const prefixOf = createPrefixResolver();
    const mapper = withoutMapping(base, new Set(['dynamodb.amazonaws.com GetItem']), prefixOf);
    const rows = [
      row('dynamodb.amazonaws.com', 'GetItem', 7, { params: { tableName: 'orders' }, resourceArns: [TABLE] }),
      row('sqs.amazonaws.com', 'SendMessage', 2, { params: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs` } }),
    ];
    const p = await plan(grantOf([DYNAMO_GRANT]), rows, mapper);
    expect(p.unmapped).toEqual([
      expect.objectContaining({
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'GetItem',
        count: 7,
        denied: 0,
        kept: ['dynamodb:GetItem'],
        match: 'action',
      }),
    ]);
    expect(p.kept).toEqual([
      { action: 'dynamodb:GetItem', reason: 'kept: unmapped call', calls: ['dynamodb.amazonaws.com GetItem'], events: 7, scope: 'named', resources: [TABLE] },
    ]);
    expect(p.unused).not.toContain('dynamodb:GetItem');
    expect(await simulate(p.proposed, undefined, 'dynamodb:GetItem', TABLE, ACCOUNT)).toBe('Allowed');
    // Scoped as tightly as known: the other table and the other dynamodb actions are gone.
    expect(await simulate(p.proposed, undefined, 'dynamodb:GetItem', OTHER_TABLE, ACCOUNT)).toBe('ImplicitlyDenied');
    expect(await simulate(p.proposed, undefined, 'dynamodb:DeleteTable', TABLE, ACCOUNT)).toBe('ImplicitlyDenied');
    expect(p.verification.failSafe).toEqual({ unmappedCalls: 1, unmappedEvents: 7, unresolvedCalls: 0, unresolvedEvents: 0, actions: 1 });
    const text = renderMinimizeText(p);
    expect(text).toContain('1 call unmapped (7 events): kept 1 action for them');
    expect(text).toContain('  dynamodb.amazonaws.com GetItem x7: kept dynamodb:GetItem');
    expect(text).toContain('Not verified pair by pair: 1 unmapped call (7 events); 1 granted action that may have authorized them is kept');
  });

  it('a call named like no catalogue action keeps every granted action of its service, as granted today', async () => {
    const unknown = (r: CallRow): MappedCall =>
      r.eventName === 'ExecuteStatement' ? { kind: 'unmapped', outcome: 'authorized', diagnostics: [], service: 'dynamodb' } : base(r);
    const rows = [
      row('dynamodb.amazonaws.com', 'ExecuteStatement', 12),
      row('sqs.amazonaws.com', 'SendMessage', 2, { params: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs` } }),
    ];
    const p = await plan(grantOf([DYNAMO_GRANT]), rows, unknown);
    const dynamodb = catalog.actionsForService('dynamodb').map((a) => a.id);
    expect(p.unmapped[0]?.match).toBe('service');
    expect(p.unmapped[0]?.kept).toEqual([...dynamodb].sort());
    expect(p.kept.every((k) => k.reason === 'kept: unmapped call' && k.scope === 'granted' && k.events === 12)).toBe(true);
    for (const action of ['dynamodb:PartiQLSelect', 'dynamodb:PartiQLUpdate', 'dynamodb:GetItem'])
      for (const table of [TABLE, OTHER_TABLE]) expect(await simulate(p.proposed, undefined, action, table, ACCOUNT), `${action} ${table}`).toBe('Allowed');
    // Never wider than today: another table stays denied.
    expect(await simulate(p.proposed, undefined, 'dynamodb:PartiQLSelect', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/x`, ACCOUNT)).toBe('ImplicitlyDenied');
    const text = renderMinimizeText(p);
    expect(text).toMatch(
      /^ {2}dynamodb\.amazonaws\.com ExecuteStatement x12: kept every granted dynamodb action: dynamodb:\S+, .* and \d+ more, see --format json$/m,
    );
  });

  it('an unmapped call of a service the role is not granted keeps nothing and says so; denied attempts keep nothing', async () => {
    const unknown = (r: CallRow): MappedCall =>
      r.eventSource === 'kinesis.amazonaws.com'
        ? { kind: 'unmapped', outcome: r.errorCode === null ? 'authorized' : 'denied', diagnostics: [], service: 'kinesis' }
        : base(r);
    const rows = [
      row('kinesis.amazonaws.com', 'PutFancyRecord', 3),
      row('kinesis.amazonaws.com', 'DeleteFancyStream', 4, { errorCode: 'AccessDenied' }),
      row('sqs.amazonaws.com', 'SendMessage', 2, { params: { queueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs` } }),
    ];
    const p = await plan(grantOf([DYNAMO_GRANT]), rows, unknown);
    expect(p.unmapped.map((u) => [u.eventName, u.match, u.kept.length])).toEqual([
      ['DeleteFancyStream', 'denied-only', 0],
      ['PutFancyRecord', 'none', 0],
    ]);
    expect(p.kept).toEqual([]);
    const text = renderMinimizeText(p);
    expect(text).toContain('kinesis.amazonaws.com PutFancyRecord x3: nothing of kinesis is granted today, nothing to keep');
    expect(text).toContain('Unmapped denied attempts (nothing kept): kinesis.amazonaws.com DeleteFancyStream x4.');
  });

  it('--strict refuses with an InputError naming the unmapped calls', async () => {
    const mapper = withoutMapping(base, new Set(['dynamodb.amazonaws.com GetItem']));
    const rows = [row('dynamodb.amazonaws.com', 'GetItem', 7, { params: { tableName: 'orders' } })];
    const refused = plan(grantOf([DYNAMO_GRANT]), rows, mapper, { strict: true });
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow('--strict: 1 call(s) by app have no mapping: dynamodb.amazonaws.com GetItem x7');
  });
});

describe('unresolved resources', () => {
  it("a pattern today's grant does not cover whole keeps the action on the granted resources it may name", async () => {
    // The event did not name the workgroup: the mapper wrote the narrowest pattern.
    const mapper = (r: CallRow): MappedCall =>
      r.eventSource === 'athena.amazonaws.com'
        ? {
            kind: 'mapped',
            outcome: 'authorized',
            diagnostics: [],
            permissions: [{ action: 'athena:StartQueryExecution', resources: [`arn:aws:athena:eu-west-1:${ACCOUNT}:workgroup/*`] }],
          }
        : base(r);
    const grant = grantOf([
      doc(
        { Effect: 'Allow', Action: ['athena:StartQueryExecution', 'athena:GetQueryResults'], Resource: WORKGROUP },
        { Effect: 'Allow', Action: 'athena:StartQueryExecution', Resource: `arn:aws:athena:us-east-1:${ACCOUNT}:workgroup/other` },
      ),
    ]);
    const p = await plan(grant, [row('athena.amazonaws.com', 'StartQueryExecution', 5)], mapper);
    expect(p.usedNotGranted).toEqual([]);
    expect(p.kept).toEqual([
      {
        action: 'athena:StartQueryExecution',
        reason: 'kept: unresolved resource',
        calls: ['athena.amazonaws.com StartQueryExecution'],
        events: 5,
        scope: 'granted',
        resources: [`arn:aws:athena:eu-west-1:${ACCOUNT}:workgroup/*`],
      },
    ]);
    expect(await simulate(p.proposed, undefined, 'athena:StartQueryExecution', WORKGROUP, ACCOUNT)).toBe('Allowed');
    // Only the granted entries the pattern may name: the us-east-1 workgroup is not kept.
    expect(await simulate(p.proposed, undefined, 'athena:StartQueryExecution', `arn:aws:athena:us-east-1:${ACCOUNT}:workgroup/other`, ACCOUNT)).toBe(
      'ImplicitlyDenied',
    );
    expect(p.verification.failSafe.unresolvedCalls).toBe(1);
    expect(p.verification.observedCalls).toBe(0);
    expect(renderMinimizeText(p)).toContain(
      `  athena:StartQueryExecution for arn:aws:athena:eu-west-1:${ACCOUNT}:workgroup/* (athena.amazonaws.com StartQueryExecution; 5 events)`,
    );
  });
});

describe('service-linked roles', () => {
  it('minimize refuses a role under /aws-service-role/: AWS manages its policy', async () => {
    const grant = grantOf([DYNAMO_GRANT], '/aws-service-role/ecs.amazonaws.com/');
    const refused = plan(grant, [row('dynamodb.amazonaws.com', 'GetItem', 1, { params: { tableName: 'orders' } })], base);
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(/service-linked role .*AWS manages its policy and it cannot be edited/);
  });
});

describe('the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-failsafe-'));
    await mkdir(join(dir, 'logs'));
    const identity = {
      type: 'AssumedRole',
      accountId: ACCOUNT,
      sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, userName: 'app', accountId: ACCOUNT } },
    };
    const event = (name: string, minute: number, params: Record<string, unknown>): Record<string, unknown> => ({
      eventVersion: '1.09',
      eventTime: `2026-10-${String(1 + (minute % 30)).padStart(2, '0')}T10:${String(minute).padStart(2, '0')}:00Z`,
      eventSource: 'dynamodb.amazonaws.com',
      eventName: name,
      awsRegion: 'eu-west-1',
      eventType: 'AwsApiCall',
      recipientAccountId: ACCOUNT,
      userIdentity: identity,
      requestParameters: params,
    });
    const records = [
      event('DescribeTable', 0, { tableName: 'orders' }),
      event('DescribeTable', 29, { tableName: 'orders' }),
      event('FrobnicateWidgets', 5, { tableName: 'orders' }),
      event('FrobnicateWidgets', 6, { tableName: 'orders' }),
    ];
    await writeFile(join(dir, 'logs', 'trail.json'), JSON.stringify({ Records: records }));
    const details = {
      RoleDetailList: [
        {
          RoleName: 'app',
          Arn: ROLE,
          Path: '/',
          RoleId: 'AROAEXAMPLE',
          RolePolicyList: [{ PolicyName: 'p', PolicyDocument: DYNAMO_GRANT }],
          AttachedManagedPolicies: [],
        },
      ],
      Policies: [],
    };
    await writeFile(join(dir, 'iam.json'), JSON.stringify(details));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const args = (): string[] => [
    'minimize',
    '--role',
    'app',
    '--iam',
    join(dir, 'iam.json'),
    '--logs',
    join(dir, 'logs'),
    '--end',
    '2026-10-31T00:00:00Z',
    '--days',
    '30',
  ];

  it('keeps the service grant for an unmapped call and names it; --strict exits 3 with one line naming it', async () => {
    const kept = await runCli(args(), { now: '2026-10-31T00:00:00Z' });
    expect(kept.code).toBe(0);
    expect(kept.out).toMatch(/^1 call unmapped \(2 events\): kept \d+ actions for them/m);
    expect(kept.out).toContain('dynamodb.amazonaws.com FrobnicateWidgets x2: kept every granted dynamodb action:');
    const strict = await runCli([...args(), '--strict'], { now: '2026-10-31T00:00:00Z' });
    expect(strict.code).toBe(3);
    expect(strict.out).toBe('');
    expect(strict.err.split('\n')[0]).toBe('iamtrim: --strict: 1 call(s) by app have no mapping: dynamodb.amazonaws.com FrobnicateWidgets x2');
  });
});
