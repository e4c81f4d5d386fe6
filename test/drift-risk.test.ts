import { beforeAll, describe, expect, it } from 'vitest';
import { diffPermissions } from '../src/diff/diff-permissions.js';
import { parseTrailConfig } from '../src/diff/trail-selectors.js';
import { createRiskMatcher, riskTable, type RiskMatcher } from '../src/drift/risk.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { expandActionPattern } from '../src/iam/expand.js';
import type { Evidence, RoleGrant, RoleUsage, Statement } from '../src/model.js';

let catalog: IamCatalog;
let matcher: RiskMatcher;
beforeAll(async () => {
  catalog = await loadCatalog();
  matcher = createRiskMatcher(catalog);
});

const evidence: Evidence = {
  source: 'test',
  files: 1,
  bytes: 1,
  skippedFiles: [],
  records: 1,
  invalidRecords: 0,
  events: 1,
  covered: { first: null, last: null },
  dataEventSources: ['s3.amazonaws.com'],
};

const grantOf = (...Statement: Statement[]): RoleGrant => ({
  arn: 'arn:aws:iam::123456789012:role/r',
  name: 'r',
  path: '/',
  accountId: '123456789012',
  policies: [{ kind: 'inline', name: 'p', document: { Version: '2012-10-17', Statement } }],
  serviceLinked: false,
});

const usageOf = (used: string[]): RoleUsage => ({
  role: 'arn:aws:iam::123456789012:role/r',
  events: used.length,
  calls: [],
  used: used.map((action) => ({ action, resources: ['*'], count: 1, firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2026-01-01T00:00:00Z' })),
  denied: [],
  unmapped: [],
  diagnostics: [],
});

/**
 * A trail logging every management and data event: the risk rows are judged on unused grants, not
 * on what a trail may leave unlogged (without selectors, data-event actions on "*" are unobservable).
 */
const everythingLogged = parseTrailConfig(
  {
    AdvancedEventSelectors: [
      { FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      {
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          {
            Field: 'resources.type',
            Equals: ['AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::Kinesis::Stream'],
          },
        ],
      },
    ],
  },
  'test: every event logged',
);

function assess(grant: RoleGrant, used: string[] = []) {
  return matcher.assess(grant, diffPermissions({ catalog, grant, usage: usageOf(used), evidence, trailSelection: everythingLogged }));
}

/** A grant that satisfies the row and nothing else. */
function grantFor(row: (typeof riskTable.rows)[number]): RoleGrant {
  const m = row.match;
  if (m.kind === 'actions') return grantOf({ Effect: 'Allow', Action: m.actions, Resource: '*' });
  if (m.kind === 'combination') return grantOf({ Effect: 'Allow', Action: m.groups.map((g) => g[0] ?? ''), Resource: '*' });
  if (m.scope === 'all') return grantOf({ Effect: 'Allow', Action: '*', Resource: '*' });
  if (m.scope === 'service') return grantOf({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' });
  return grantOf({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
}

describe('risk table', () => {
  it('has unique ids and a reason per row', () => {
    const ids = riskTable.rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const row of riskTable.rows) expect(row.reason.length).toBeGreaterThan(30);
  });

  it.each(riskTable.rows.map((r) => [r.id, r] as const))('%s: every pattern names catalogue actions', (_id, row) => {
    const patterns = row.match.kind === 'actions' ? row.match.actions : row.match.kind === 'combination' ? row.match.groups.flat() : [];
    for (const p of patterns) expect(expandActionPattern(catalog, p), p).not.toEqual([]);
  });

  it.each(riskTable.rows.map((r) => [r.id, r] as const))('%s: matches a grant of its own actions, unused', (id, row) => {
    const finding = assess(grantFor(row)).find((f) => f.rule === id);
    expect(finding).toBeDefined();
    expect(finding!.unusedCount).toBeGreaterThan(0);
    expect(finding!.severity).toBe(row.severity);
  });

  it('matches nothing for a harmless grant', () => {
    expect(assess(grantOf({ Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 'ec2:DescribeInstances'], Resource: '*' }))).toEqual([]);
  });

  it('kms:Decrypt is a risk only on every key', () => {
    const scoped = grantOf({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:eu-west-1:123456789012:key/abc' });
    expect(assess(scoped).map((f) => f.rule)).not.toContain('kms-decrypt-any-key');
    const all = grantOf({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' });
    expect(assess(all).map((f) => f.rule)).toContain('kms-decrypt-any-key');
  });

  it('PassRole without compute is no combination; a fully exercised combination has no unused part', () => {
    const passOnly = grantOf({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    expect(assess(passOnly).map((f) => f.rule)).not.toContain('passrole-with-compute');
    const both = grantOf({ Effect: 'Allow', Action: ['iam:PassRole', 'ec2:RunInstances'], Resource: '*' });
    expect(assess(both).find((f) => f.rule === 'passrole-with-compute')?.unused).toEqual(['ec2:RunInstances']);
    expect(assess(both, ['iam:PassRole', 'ec2:RunInstances']).find((f) => f.rule === 'passrole-with-compute')?.unusedCount).toBe(0);
  });

  it('a used risky action is granted risk but not risky-unused', () => {
    const grant = grantOf({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' });
    const finding = assess(grant, ['secretsmanager:GetSecretValue']).find((f) => f.rule === 'secrets-read');
    expect(finding).toMatchObject({ matched: ['secretsmanager:GetSecretValue'], unused: [], unusedCount: 0 });
  });

  it('service wildcards count the unused actions behind them', () => {
    const grant = grantOf({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' });
    const finding = assess(grant, ['sqs:SendMessage']).find((f) => f.rule === 'service-wildcard');
    expect(finding?.matched).toEqual(['sqs:*']);
    const diff = diffPermissions({ catalog, grant, usage: usageOf(['sqs:SendMessage']), evidence, trailSelection: everythingLogged });
    expect(diff.unused.length).toBeGreaterThan(0);
    expect(finding?.unusedCount).toBe(diff.unused.length);
    expect(diff.unused.length + diff.unobservable.length + diff.used.length).toBe(catalog.actionsForService('sqs').length);
  });
});
