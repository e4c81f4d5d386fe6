import { beforeAll, describe, expect, it } from 'vitest';
import { parseTrailConfig } from '../src/diff/trail-selectors.js';
import { diffPermissions, groupUnobservable } from '../src/diff/diff-permissions.js';
import { observabilityRules } from '../src/diff/observability.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import type { Evidence, RoleGrant, RoleUsage, Statement } from '../src/model.js';
import { selfCheck } from '../src/policy/self-check.js';
import { canonicalPolicy, policySize } from '../src/policy/canonical.js';

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

const evidence = (dataEventSources: string[]): Evidence => ({
  source: 'test',
  files: 1,
  bytes: 1,
  skippedFiles: [],
  records: 1,
  invalidRecords: 0,
  events: 1,
  covered: { first: null, last: null },
  dataEventSources,
});

const grantOf = (...Statement: Statement[]): RoleGrant => ({
  arn: 'arn:aws:iam::123456789012:role/app',
  name: 'app',
  path: '/',
  accountId: '123456789012',
  policies: [{ kind: 'inline', name: 'p', document: { Version: '2012-10-17', Statement } }],
  serviceLinked: false,
});

const usageOf = (used: { action: string; resources: string[] }[], denied: string[] = []): RoleUsage => ({
  role: 'arn:aws:iam::123456789012:role/app',
  events: used.length,
  calls: [],
  used: used.map((u) => ({ ...u, count: 1, firstSeen: '2025-01-01T00:00:00Z', lastSeen: '2025-01-01T00:00:00Z' })),
  denied: denied.map((action) => ({ action, count: 1, firstSeen: '2025-01-01T00:00:00Z', lastSeen: '2025-01-01T00:00:00Z', resources: [] })),
  unmapped: [],
  diagnostics: [],
});

describe('observability table', () => {
  it.each(observabilityRules.map((r) => [r.action, r]))('%s is a catalogue action with a reason', (_, rule) => {
    expect(catalog.action(rule.action)?.id).toBe(rule.action);
    expect(rule.reason.length).toBeGreaterThan(20);
    if (rule.kind === 'data-event') expect(rule.eventSource).toMatch(/^[a-z0-9-]+\.amazonaws\.com$/);
  });

  it('has one row per action', () => {
    const actions = observabilityRules.map((r) => r.action.toLowerCase());
    expect(new Set(actions).size).toBe(actions.length);
  });
});

describe('diffPermissions', () => {
  it('gives each granted action a coverage-aware verdict', () => {
    const grant = grantOf({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetBucketLocation', 's3:ListAllMyBuckets', 'iam:PassRole', 'dynamodb:GetItem'],
      Resource: '*',
    });
    const usage = usageOf(
      [
        { action: 's3:getbucketlocation', resources: ['arn:aws:s3:::b'] },
        { action: 'sqs:SendMessage', resources: ['arn:aws:sqs:eu-west-1:123456789012:q'] },
      ],
      ['s3:ListAllMyBuckets'],
    );
    const diff = diffPermissions({ catalog, grant, usage, evidence: evidence(['dynamodb.amazonaws.com']) });
    expect(diff.granted).toEqual(['dynamodb:GetItem', 'iam:PassRole', 's3:GetBucketLocation', 's3:GetObject', 's3:ListAllMyBuckets']);
    expect(diff.services).toBe(3);
    expect(diff.used).toEqual(['s3:GetBucketLocation']);
    // ListAllMyBuckets was denied: unused, listed apart. dynamodb:GetItem is granted on *: the logs
    // hold DynamoDB data events, but none of this role's, so no table it may read is known to be
    // logged (data events for one resource say nothing about another): unobservable on *.
    expect(diff.unused).toEqual(['s3:ListAllMyBuckets']);
    expect(diff.unobservable.map((u) => u.action)).toEqual(['dynamodb:GetItem', 'iam:PassRole', 's3:GetObject']);
    expect(diff.unobservable[0]?.resources).toEqual(['*']);
    expect(diff.unobservable[2]?.reason).toContain('no data events for s3.amazonaws.com');
    expect(diff.observability).toEqual({ basis: 'inferred-from-logs' });
    // The trail's selectors logging every table's data events make it observable, hence unused.
    const allTables = parseTrailConfig(
      { EventSelectors: [{ ReadWriteType: 'All', DataResources: [{ Type: 'AWS::DynamoDB::Table', Values: ['arn:aws:dynamodb'] }] }] },
      'test',
    );
    const exact = diffPermissions({ catalog, grant, usage, evidence: evidence(['dynamodb.amazonaws.com']), trailSelection: allTables });
    expect(exact.unused).toEqual(['dynamodb:GetItem', 's3:ListAllMyBuckets']);
    expect(exact.observability).toEqual({ basis: 'trail-selectors', source: 'test' });
    expect(diff.usedNotGranted).toEqual(['sqs:SendMessage']);
    expect(diff.deniedAttempts).toEqual([{ action: 's3:ListAllMyBuckets', count: 1, lastSeen: '2025-01-01T00:00:00Z' }]);
  });

  it('treats a call on a resource no Allow covers as not granted', () => {
    const grant = grantOf({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::mine/*' });
    const usage = usageOf([{ action: 's3:GetObject', resources: ['arn:aws:s3:::partner/x'] }]);
    const diff = diffPermissions({ catalog, grant, usage, evidence: evidence(['s3.amazonaws.com']) });
    expect(diff.used).toEqual([]);
    expect(diff.usedNotGranted).toEqual(['s3:GetObject']);
  });

  it('keeps the unobservable list compact for a * grant', () => {
    const grant = grantOf({ Effect: 'Allow', Action: '*', Resource: '*' });
    const diff = diffPermissions({ catalog, grant, usage: usageOf([]), evidence: evidence([]) });
    expect(diff.granted.length).toBeGreaterThan(15000);
    expect(diff.unobservable.length).toBeLessThan(100);
    const groups = groupUnobservable(diff);
    expect(groups.reduce((n, g) => n + g.actions.length, 0)).toBe(diff.unobservable.length);
    console.log('granted', diff.granted.length, 'unobservable', diff.unobservable.length, 'groups', groups.length);
  });
});

describe('selfCheck', () => {
  it('flags a proposal wider than today and one missing an observed call', () => {
    const current = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/in/*' }] }];
    const proposal = [canonicalPolicy({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] })];
    const result = selfCheck({
      catalog,
      current,
      boundary: undefined,
      proposal,
      observed: [
        { action: 's3:GetObject', resource: 'arn:aws:s3:::b/in/1' },
        { action: 's3:PutObject', resource: 'arn:aws:s3:::b/in/1' },
      ],
    });
    expect(result.newlyAllowed).toBe(1);
    expect(result.allowed).toBe(1);
    expect(result.failures).toHaveLength(2);
  });

  it('flags a dropped conditional Deny and a dropped condition', () => {
    const current = [
      {
        Statement: [
          { Effect: 'Allow' as const, Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
          {
            Effect: 'Deny' as const,
            Action: 's3:GetObject',
            Resource: 'arn:aws:s3:::b/secret/*',
            Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
          },
        ],
      },
    ];
    const proposal = [{ Statement: [{ Effect: 'Allow' as const, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }];
    const result = selfCheck({ catalog, current, boundary: undefined, proposal, observed: [] });
    expect(result.failures.join('\n')).toContain('newly allowed');
    expect(result.failures.join('\n')).toContain('explicitly denied today');
  });
});

describe('canonical form', () => {
  it('sorts, de-duplicates, collapses and derives Sids from content', () => {
    const a = canonicalPolicy({
      Statement: [
        { Sid: 'x', Effect: 'Allow', Resource: ['b', 'a', 'a'], Action: ['s3:PutObject', 's3:GetObject', 'S3:getobject'] },
        { Effect: 'Deny', Action: ['ec2:*'], Resource: '*' },
      ],
    });
    const b = canonicalPolicy({
      Statement: [
        { Effect: 'Deny', Resource: ['*'], Action: 'ec2:*' },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['a', 'b'] },
      ],
    });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(Object.keys(a.Statement[1] ?? {})).toEqual(['Sid', 'Effect', 'Action', 'Resource']);
    expect(a.Statement[0]?.Effect).toBe('Deny');
    expect(policySize({ Statement: [{ Effect: 'Allow', Action: 'a:B', Resource: '*' }] })).toBe(
      '{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"}]}'.length,
    );
  });
});
