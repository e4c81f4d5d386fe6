/**
 * Grace for new grants (issue 20 item 4): a policy whose current version is younger than the grace
 * period, or every policy of a role younger than it, is kept as it is in its share, with the reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import type { PolicyDocument, RoleGrant } from '../src/model.js';
import { policyShares } from '../src/policy/per-policy.js';

const END = '2026-03-01T00:00:00Z';
const merged: PolicyDocument[] = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] }];

function grant(versionDate: string, createDate = '2024-01-01T00:00:00Z'): RoleGrant {
  return {
    arn: 'arn:aws:iam::123456789012:role/app',
    name: 'app',
    path: '/',
    accountId: '123456789012',
    serviceLinked: false,
    createDate,
    policies: [
      { kind: 'inline', name: 'old-inline', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } },
      {
        kind: 'managed',
        name: 'fresh',
        arn: 'arn:aws:iam::123456789012:policy/fresh',
        versionDate,
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'sqs:SendMessage'], Resource: '*' }] },
      },
    ],
  };
}

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe('policyShares with grace', () => {
  it('keeps a policy whose current version is younger than the grace period, with the reason; the others are trimmed', () => {
    const [inline, fresh] = policyShares(catalog, grant('2026-02-25T10:00:00Z'), merged, { days: 14, now: END });
    expect(inline?.change).toBe('edit');
    expect(fresh?.change).toBe('grace');
    expect(fresh?.proposed).toEqual(fresh?.current);
    expect(fresh?.removedActions).toEqual([]);
    expect(fresh?.graceReason).toBe('its current version was created on 2026-02-25, less than 14 days before 2026-03-01 (--grace-days)');
  });

  it('trims a version older than the grace period, and any version with --grace-days 0', () => {
    expect(policyShares(catalog, grant('2026-02-01T00:00:00Z'), merged, { days: 14, now: END })[1]?.change).toBe('edit');
    expect(policyShares(catalog, grant('2026-02-25T10:00:00Z'), merged, { days: 0, now: END })[1]?.change).toBe('edit');
  });

  it('keeps every policy of a role younger than the grace period', () => {
    const shares = policyShares(catalog, grant('2024-01-01T00:00:00Z', '2026-02-27T00:00:00Z'), merged, { days: 14, now: END });
    expect(shares.map((s) => s.change)).toEqual(['grace', 'grace']);
    expect(shares[0]?.graceReason).toContain('the role was created on 2026-02-27');
  });
});
