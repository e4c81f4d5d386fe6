/**
 * Acceptance over real third-party CloudTrail (../shared/datasets/cloudtrail): for every role in
 * the stratus-red-team, trailscraper and OTRF files, exactly the actions it successfully called,
 * with denied calls listed apart. The expectations were written by hand from the raw records.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MinimizePlan } from '../src/model.js';
import type { UsageReport } from '../src/model.js';
import { asList } from '../src/iam/expand.js';
import { runCli } from './helpers/run-cli.js';

const DATASETS = join('..', 'shared', 'datasets', 'cloudtrail');
const present = existsSync(DATASETS);
if (!present) console.warn(`SKIPPED: ${DATASETS} is absent; the real-dataset acceptance tests did not run`);

interface Expectation {
  role: string;
  used: string[];
  denied: Record<string, number>;
}

const STRATUS: Expectation[] = [
  { role: 'arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role', used: ['ec2:DescribeInstances'], denied: {} },
  { role: 'arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role', used: [], denied: { 'organizations:LeaveOrganization': 1 } },
  { role: 'arn:aws:iam::321848314756:role/stratus-red-team-get-usr-data-role', used: [], denied: { 'ec2:DescribeInstanceAttribute': 15 } },
  { role: 'arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role', used: [], denied: { 'ec2:GetPasswordData': 30 } },
  {
    role: 'arn:aws:iam::494659789341:role/test-role',
    used: [
      'bedrock:CreateFoundationModelAgreement',
      'bedrock:GetFoundationModelAvailability',
      'bedrock:InvokeModel',
      'bedrock:ListFoundationModelAgreementOffers',
      'bedrock:PutFoundationModelEntitlement',
      'bedrock:PutUseCaseForModelAccess',
    ],
    denied: {},
  },
  {
    role: 'arn:aws:iam::844015365555:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_account-admin_599c9e90e350d2ff',
    used: ['ec2-instance-connect:SendSerialConsoleSSHPublicKey', 'ec2:EnableSerialConsoleAccess'],
    denied: {},
  },
  { role: 'arn:aws:iam::900138736586:role/stratus-red-team-ec2lui-role-idtzskbvtd', used: [], denied: { 'ec2:RunInstances': 1 } },
];

const WIDE = ['--end', '2026-01-01T00:00:00Z', '--days', '3650'];
/** The stratus-red-team detonations span 2024-07-30 to 2024-11-30: a window the logs cover. */
const STRATUS_WINDOW = ['--end', '2024-12-01T00:00:00Z', '--days', '124'];

function summarise(report: UsageReport): Expectation[] {
  return report.roles.map((r) => ({
    role: r.role,
    used: r.used.map((u) => u.action),
    denied: Object.fromEntries(r.denied.map((d) => [d.action, d.count])),
  }));
}

/** An authorization-details file granting `*` to the given roles, so minimize has a grant to cut. */
function adminSnapshot(roleArns: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'iamtrim-acceptance-'));
  const file = join(dir, 'iam.json');
  const roles = roleArns.map((arn) => {
    const path = arn.slice(arn.indexOf(':role') + 5, arn.lastIndexOf('/') + 1);
    return {
      Path: path,
      RoleName: arn.slice(arn.lastIndexOf('/') + 1),
      Arn: arn,
      RolePolicyList: [{ PolicyName: 'admin', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
      AttachedManagedPolicies: [],
    };
  });
  writeFileSync(file, JSON.stringify({ RoleDetailList: roles, Policies: [] }));
  return file;
}

describe.skipIf(!present)('real CloudTrail datasets', () => {
  it('stratus-red-team: every role gets exactly the actions it successfully called; denied calls apart', async () => {
    const run = await runCli(['usage', '--all-roles', '--logs', join(DATASETS, 'stratus-red-team'), ...WIDE]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as UsageReport;
    expect(summarise(report)).toEqual(STRATUS);
    expect(report.evidence.files).toBe(35);
    expect(report.evidence.records).toBe(310);
  });

  it('trailscraper raw delivery file (.json.gz): someRole used autoscaling:DescribeLaunchConfigurations', async () => {
    const file = join(DATASETS, 'trailscraper', '111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz');
    const run = await runCli(['usage', '--all-roles', '--logs', file, ...WIDE]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as UsageReport;
    expect(summarise(report)).toEqual([{ role: 'arn:aws:iam::111111111111:role/someRole', used: ['autoscaling:DescribeLaunchConfigurations'], denied: {} }]);
    // The call was made by AWS Config on the role's behalf: still usage of the role.
    expect(report.roles[0]?.calls[0]?.mapping).toBe('mapped');
  });

  it('trailscraper folder: the IAM policy file in it is refused by name, unless --skip-bad-files', async () => {
    const strict = await runCli(['usage', '--all-roles', '--logs', join(DATASETS, 'trailscraper'), ...WIDE]);
    expect(strict.code).toBe(3);
    expect(strict.err).toContain('policy-to-guess.json');
    expect(strict.err).not.toMatch(/\n\s+at /); // no stack trace
    const lenient = await runCli(['usage', '--all-roles', '--skip-bad-files', '--logs', join(DATASETS, 'trailscraper'), ...WIDE]);
    expect(lenient.code).toBe(0);
    const report = JSON.parse(lenient.out) as UsageReport;
    expect(report.evidence.skippedFiles.map((f) => f.file)).toEqual([join(DATASETS, 'trailscraper', 'policy-to-guess.json')]);
    expect(summarise(report)[0]?.used).toEqual(['autoscaling:DescribeLaunchConfigurations']);
  });

  it('OTRF JSON lines without eventTime: the instance-profile role read S3 (data events)', async () => {
    const run = await runCli([
      'usage',
      '--all-roles',
      '--logs',
      join(DATASETS, 'otrf-security-datasets', 'ec2_proxy_s3_exfiltration_2020-09-14011940.json'),
      ...WIDE,
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as UsageReport;
    const role = report.roles.find((r) => r.role.endsWith('MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0'));
    expect(role?.used.map((u) => [u.action, u.count])).toEqual([
      ['s3:GetObject', 2],
      ['s3:ListAllMyBuckets', 2],
      ['s3:ListBucket', 7],
    ]);
    expect(role?.used.find((u) => u.action === 's3:GetObject')?.resources).toEqual(['arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a/ring.txt']);
    expect(report.evidence.dataEventSources).toEqual(['s3.amazonaws.com']);
  });

  it.each(STRATUS.filter((e) => e.used.length > 0))('minimize $role proposes exactly the used actions', async (expected) => {
    const iam = adminSnapshot([expected.role]);
    const run = await runCli([
      'minimize',
      '--role',
      expected.role,
      '--iam',
      iam,
      '--logs',
      join(DATASETS, 'stratus-red-team'),
      '--format',
      'json',
      '--drop-unobservable',
      ...STRATUS_WINDOW,
    ]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.out) as MinimizePlan;
    expect(plan.used.map((u) => u.action)).toEqual(expected.used);
    const proposedActions = plan.proposed.flatMap((d) => d.Statement.flatMap((s) => asList(s.Action))).sort();
    expect(proposedActions).toEqual([...expected.used].sort());
    expect(plan.granted.actions).toBeGreaterThan(20000);
  });

  it.each(STRATUS.filter((e) => e.used.length === 0))('minimize $role refuses: only denied calls, no usage to keep', async (expected) => {
    const iam = adminSnapshot([expected.role]);
    const run = await runCli(['minimize', '--role', expected.role, '--iam', iam, '--logs', join(DATASETS, 'stratus-red-team'), ...STRATUS_WINDOW]);
    expect(run.code).toBe(3);
    expect(run.out).toBe('');
    expect(run.err).toContain('none of them authorized');
  });
});
