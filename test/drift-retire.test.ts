/**
 * Unused roles get a retirement recommendation instead of a `minimize` that would fail (D5), advice
 * fits each role's kind from its trust policy (D6), and customer-managed policies attached to
 * nothing are listed (issue 21 item 3). Through the built CLI on the demo account, whose roles are a
 * Lambda execution role (app-api), an ECS task role (queue-worker), a GitHub OIDC deploy role
 * (ci-deploy), EC2 instance roles (data-pipeline, legacy-batch) and a service-linked role.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../src/demo/generate.js';
import type { DriftReport } from '../src/drift/report.js';
import { runBuilt } from './helpers/built-cli.js';

let dir = '';
let report: DriftReport;
let md = '';
let iam: {
  RoleDetailList: Array<{ RoleName: string; AttachedManagedPolicies: Array<{ PolicyArn: string }>; RolePolicyList: Array<{ PolicyName: string }> }>;
  Policies: Array<Record<string, unknown>>;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-retire-'));
  // The account `iamtrim demo --events 4000` writes (its defaults: 30 days to now, seed 1), generated in-process.
  await generateDemo({ outDir: join(dir, 'demo'), now: new Date(), days: 30, seed: 1, events: 4000 });
  iam = JSON.parse(await readFile(join(dir, 'demo', 'iam.json'), 'utf8')) as typeof iam;
  // A customer-managed policy nobody uses any more, as get-account-authorization-details lists it.
  iam.Policies.push({
    PolicyName: 'old-reporting',
    PolicyId: 'ANPAOLDREPORTING0001',
    Arn: 'arn:aws:iam::123456789012:policy/old-reporting',
    Path: '/',
    DefaultVersionId: 'v1',
    AttachmentCount: 0,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    PolicyVersionList: [
      { VersionId: 'v1', IsDefaultVersion: true, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'athena:*', Resource: '*' }] } },
    ],
  });
  await writeFile(join(dir, 'iam.json'), JSON.stringify(iam));
  const demo = join(dir, 'demo');
  const r = runBuilt([
    'drift',
    '--days',
    '30',
    '--logs',
    join(demo, 'logs'),
    '--iam',
    join(dir, 'iam.json'),
    '--lambda',
    join(demo, 'lambda-functions.json'),
    '--no-history',
    '--out',
    join(dir, 'out'),
  ]);
  expect(r.code, r.err).toBe(0);
  report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8')) as DriftReport;
  md = await readFile(join(dir, 'out', 'report.md'), 'utf8');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('unused roles and policies', () => {
  it('legacy-batch (no activity, last used months ago) gets a retirement: its instance profile, its policies, the commands in IAM order', () => {
    const role = report.roles.find((r) => r.name === 'legacy-batch');
    const raw = iam.RoleDetailList.find((r) => r.RoleName === 'legacy-batch');
    expect(role?.status).toBe('no-activity');
    expect(role?.retire).toBeDefined();
    const retire = role?.retire;
    expect(retire?.instanceProfiles).toEqual(['legacy-batch']);
    expect(retire?.detach).toEqual(raw?.AttachedManagedPolicies.map((p) => p.PolicyArn).sort());
    expect(retire?.deleteInline).toEqual(raw?.RolePolicyList.map((p) => p.PolicyName).sort());
    expect(retire?.commands[0]).toBe('aws iam remove-role-from-instance-profile --instance-profile-name legacy-batch --role-name legacy-batch');
    expect(retire?.commands.at(-1)).toBe('aws iam delete-role --role-name legacy-batch');
    expect(md).toContain('**Retire it**');
    expect(md).not.toContain('Minimize: `iamtrim minimize --role legacy-batch');
    // Active roles get no retirement.
    expect(report.roles.filter((r) => r.status === 'active').every((r) => r.retire === undefined)).toBe(true);
  });

  it("each role's kind comes from its trust policy, and the advice fits it", () => {
    const kinds = Object.fromEntries(report.roles.map((r) => [r.name, r.kind.id]));
    expect(kinds).toMatchObject({
      'app-api': 'lambda',
      'queue-worker': 'ecs-task',
      'ci-deploy': 'ci-deploy',
      'data-pipeline': 'ec2-instance-profile',
      'legacy-batch': 'ec2-instance-profile',
    });
    expect(report.roles.find((r) => r.name === 'ci-deploy')?.kind.advice).toMatch(/deploy/);
  });

  it('anti-patterns of roles no function uses name the role, not "the function"', () => {
    const section = md.slice(md.indexOf('Anti-patterns'));
    const ci = section.slice(section.indexOf('### `ci-deploy`'), section.indexOf('###', section.indexOf('### `ci-deploy`') + 4));
    expect(ci).toContain('iamtrim minimize --role ci-deploy');
    expect(ci).not.toMatch(/the function|--function <name>/);
  });

  it('customer-managed policies attached to nothing are listed; one used only as a boundary is not', () => {
    expect(report.unattachedPolicies?.map((p) => p.name)).toContain('old-reporting');
    expect(report.unattachedPolicies?.map((p) => p.name)).not.toContain('service-boundary');
    expect(md).toContain('## Customer-managed policies attached to nothing');
  });
});
