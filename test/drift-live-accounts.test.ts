/**
 * `drift --assume-role-pattern`: live IAM across accounts, through the CLI users run (in-process).
 * STS AssumeRole and IAM GetAccountAuthorizationDetails are mocked (aws-sdk-client-mock) with the
 * response shapes of the API reference (AssumeRoleResponse: Credentials, AssumedRoleUser;
 * GetAccountAuthorizationDetails: RoleDetailList, Policies, IsTruncated, Marker). The IAM mock
 * answers from the credentials the calling client holds, so an account's roles come back only when
 * that account's assumed credentials are used, and the test asserts each call's credentials too.
 */
import { GetAccountAuthorizationDetailsCommand, IAMClient, type RoleDetail } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DriftReport } from '../src/drift/report.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { CallMapper } from '../src/usage/reduce.js';
import { manyRolesSnapshot, pickCalls, writeCloudTrailFile, type FabricatedCall } from './drift-helpers.js';
import { runCli } from './helpers/run-cli.js';

const NOW = '2026-06-01T00:00:00Z';
const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const D = '444444444444';
const PATTERN = 'arn:aws:iam::{account}:role/iamtrim-reader';
const roleFor = (account: string): string => `arn:aws:iam::${account}:role/iamtrim-reader`;
/** The base credentials (the standard chain reads them from the environment). */
const BASE_KEY = 'AKIAIOSFODNN7EXAMPLE';

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
let dir: string;
let catalog: IamCatalog;
let mapCall: CallMapper;
const snapshots = new Map<string, { RoleDetailList: RoleDetail[] }>();
/** Roles of each account that made calls in the logs (every other role, as the logs were written). */
const active = new Map<string, number>();

function assumedKey(account: string): string {
  return `ASIA${account}XMPL`;
}

/** The AssumeRoleResponse of the API reference for the pattern's role in `account`. */
function assumeRoleAnswer(account: string): object {
  return {
    Credentials: {
      AccessKeyId: assumedKey(account),
      SecretAccessKey: `secret-${account}`,
      SessionToken: `token-${account}`,
      Expiration: new Date('2026-06-01T01:00:00Z'),
    },
    AssumedRoleUser: { AssumedRoleId: `AROA${account}:iamtrim`, Arn: `arn:aws:sts::${account}:assumed-role/iamtrim-reader/iamtrim` },
    PackedPolicySize: 0,
  };
}

function accessDenied(account: string): Error {
  const error = new Error(`User: arn:aws:iam::999999999999:user/ops is not authorized to perform: sts:AssumeRole on resource: ${roleFor(account)}`);
  return Object.assign(error, { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
}

async function credentialsOf(client: unknown): Promise<AwsCredentialIdentity> {
  const provider = (client as { config: { credentials: AwsCredentialIdentityProvider } }).config.credentials;
  return provider();
}

async function readReport(out: string): Promise<DriftReport> {
  return JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DriftReport;
}

function callsOf(raw: unknown, account: string): FabricatedCall[] {
  const roles = parseAuthorizationDetails(raw, account).roles.filter((_, i) => i % 2 === 0);
  active.set(account, roles.length);
  return roles.flatMap((role, i) => pickCalls(catalog, mapCall, role, 1 + (i % 3)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-live-'));
  catalog = await loadCatalog();
  mapCall = createMapper(catalog);
  const calls: FabricatedCall[] = [];
  for (const [account, count] of [
    [A, 5],
    [B, 3],
    [C, 2],
    [D, 2],
  ] as const) {
    const raw = manyRolesSnapshot(count, account) as { RoleDetailList: RoleDetail[] };
    snapshots.set(account, raw);
    if (account !== D) calls.push(...callsOf(raw, account));
  }
  // One trail file holding the calls of A, B and C (D is never in the logs).
  await writeCloudTrailFile(join(dir, 'logs', 'trail.json'), calls, new Date(NOW));
}, 120_000);

afterAll(async () => {
  // Files share a worker's modules (vitest.config.ts): the clients are real again for the next file.
  sts.restore();
  iam.restore();
  await rm(dir, { recursive: true, force: true });
});

const saved = { ...process.env };
beforeEach(() => {
  process.env['AWS_ACCESS_KEY_ID'] = BASE_KEY;
  process.env['AWS_SECRET_ACCESS_KEY'] = 'base-secret';
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const account = input.RoleArn.split(':')[4] ?? '';
    if (account === C) throw accessDenied(C);
    return assumeRoleAnswer(account);
  });
  // Answers with the roles of the account whose assumed credentials the client holds; A in two pages.
  iam.on(GetAccountAuthorizationDetailsCommand).callsFake(async (input: { Marker?: string }, getClient: () => unknown) => {
    const key = (await credentialsOf(getClient())).accessKeyId;
    const account = [A, B, D].find((a) => assumedKey(a) === key);
    const roles = account === undefined ? [] : (snapshots.get(account)?.RoleDetailList ?? []);
    if (account === A && input.Marker === undefined) return { RoleDetailList: roles.slice(0, 2), Policies: [], IsTruncated: true, Marker: 'page-2' };
    if (account === A) return { RoleDetailList: roles.slice(2), Policies: [], IsTruncated: false };
    return { RoleDetailList: roles, Policies: [], UserDetailList: [], GroupDetailList: [], IsTruncated: false };
  });
});
afterEach(() => {
  sts.reset();
  iam.reset();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function drift(out: string, ...more: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCli(['drift', '--logs', join(dir, 'logs'), '--days', '7', '--end', NOW, '--out', out, ...more], { now: NOW });
}

/** For each IAM call, the access key of the client that made it. */
async function iamCallKeys(): Promise<string[]> {
  return Promise.all(iam.commandCalls(GetAccountAuthorizationDetailsCommand).map((call) => credentialsOf(call.thisValue).then((c) => c.accessKeyId)));
}

describe('drift --assume-role-pattern (live IAM across accounts)', () => {
  it('accounts from the logs: two read through their assumed roles, one AccessDenied reported as not evaluated (exit 4)', async () => {
    const out = join(dir, 'out-logs');
    const history = join(dir, 'history.duckdb');
    const run = await drift(out, '--assume-role-pattern', PATTERN, '--history', history);
    expect(run.code).toBe(4);

    // STS: one AssumeRole per account the logs name, session iamtrim, signed with the base credentials.
    const assumed = sts.commandCalls(AssumeRoleCommand);
    expect(assumed.map((c) => c.args[0].input.RoleArn).sort()).toEqual([roleFor(A), roleFor(B), roleFor(C)]);
    for (const call of assumed) {
      expect(call.args[0].input.RoleSessionName).toBe('iamtrim');
      expect((await credentialsOf(call.thisValue)).accessKeyId).toBe(BASE_KEY);
    }
    // IAM: A paginated (2 pages) with A's assumed credentials, B once with B's; nothing for C.
    expect((await iamCallKeys()).sort()).toEqual([assumedKey(A), assumedKey(A), assumedKey(B)]);
    expect(iam.commandCalls(GetAccountAuthorizationDetailsCommand).map((c) => c.args[0].input.Marker)).toContain('page-2');

    const report = await readReport(out);
    expect(report.evidence.scans).toBe(1);
    expect(report.iam.roles).toBe(5 + 3);
    expect(report.accounts.map((a) => [a.account, a.roles, a.active, a.logs])).toEqual([
      [A, 5, active.get(A), true],
      [B, 3, active.get(B), true],
    ]);
    expect(report.roles.some((r) => r.account === C)).toBe(false);
    expect(report.accountsNotEvaluated?.map((a) => a.account)).toEqual([C]);
    expect(report.accountsNotEvaluated?.[0]?.reason).toContain(`sts:AssumeRole ${roleFor(C)} failed: AccessDenied`);
    expect(report.alerts?.map((a) => a.code)).toContain('accounts-not-evaluated');
    // Each role's minimize command reads its own account through the pattern's role.
    for (const role of report.roles) expect(role.minimize).toContain(`--assume-role ${roleFor(role.account)}`);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain(`${C} not evaluated: sts:AssumeRole`);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`${C} not evaluated: sts:AssumeRole`);
    // The accounts tables list C too, in account order, with its reason (not only the alert at the top).
    const table = md.slice(md.indexOf('## Accounts ('), md.indexOf('## Roles by account'));
    expect(table).toContain('## Accounts (2 evaluated, 1 not evaluated)');
    expect([...table.matchAll(/^\| `(\d{12})` \| (yes|\*\*no\*\*)/gm)].map((m) => [m[1], m[2]])).toEqual([
      [A, 'yes'],
      [B, 'yes'],
      [C, '**no**'],
    ]);
    expect(table).toMatch(new RegExp(`^\\| \`${C}\` \\| \\*\\*no\\*\\*: sts:AssumeRole ${roleFor(C)} failed: AccessDenied`, 'm'));
    const accounts = /<table id="accounts"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect([...accounts.matchAll(/<tr( class="not-evaluated")? data-account="(\d{12})"/g)].map((m) => [m[2], m[1] !== undefined])).toEqual([
      [A, false],
      [B, false],
      [C, true],
    ]);
    expect(accounts).toMatch(
      new RegExp(`data-account="${C}"><td>${C}</td><td colspan="9"><b class="idle">not evaluated</b>: sts:AssumeRole ${roleFor(C)} failed: AccessDenied`),
    );

    expect(run.err).toContain(`warning: account ${C} not evaluated: sts:AssumeRole`);
    expect(run.err).toContain(`iamtrim: 1 of 3 accounts not evaluated (${C}: sts:AssumeRole`);
    expect(run.err).toContain('the run is not stored in the history');
    expect(run.err).not.toMatch(/\n\s+at /);
    // A run missing an account is not stored: the next complete run compares with the last complete one.
    const next = await drift(join(dir, 'out-next'), '--assume-role-pattern', PATTERN, '--accounts', `${A},${B}`, '--history', history);
    expect(next.code).toBe(0);
    expect((await readReport(join(dir, 'out-next'))).history.runs).toBe(1);
  }, 120_000);

  it('an account missing after a complete run: its roles are not "removed" from the history, and the run is not stored', async () => {
    const history = join(dir, 'history-missing.duckdb');
    const first = await drift(join(dir, 'out-h1'), '--assume-role-pattern', PATTERN, '--accounts', `${A},${B}`, '--history', history);
    expect(first.code).toBe(0);
    // Next time B's role cannot be assumed.
    sts.on(AssumeRoleCommand, { RoleArn: roleFor(B) }).rejects(accessDenied(B));
    const second = await drift(join(dir, 'out-h2'), '--assume-role-pattern', PATTERN, '--accounts', `${A},${B}`, '--history', history);
    expect(second.code).toBe(4);
    const report = await readReport(join(dir, 'out-h2'));
    expect(report.accountsNotEvaluated?.map((a) => a.account)).toEqual([B]);
    expect(report.changes?.previousRun).toBe(NOW);
    // Compared with A's share of the previous run only: B's 3 roles are missing evidence, not removed.
    expect(report.changes?.rolesRemoved).toEqual([]);
    expect(report.changes?.rolesAdded).toEqual([]);
    const third = await drift(join(dir, 'out-h3'), '--assume-role-pattern', PATTERN, '--accounts', `${A},${B}`, '--history', history);
    // The first run and this one: the partial second run was not stored (it would make 3).
    expect((await readReport(join(dir, 'out-h3'))).history.runs).toBe(2);
    expect(third.code).toBe(4);
  }, 120_000);

  it('--accounts: only those are read; one the logs never mention is "no evidence in the logs" (exit 3), not unused', async () => {
    const out = join(dir, 'out-given');
    const run = await drift(out, '--assume-role-pattern', PATTERN, '--accounts', `${D},${A}`, '--no-history');
    expect(run.code).toBe(3);
    // D is not in the logs: its role is not assumed and its IAM not read. B is in the logs but not asked for.
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([roleFor(A)]);
    expect(await iamCallKeys()).toEqual([assumedKey(A), assumedKey(A)]);
    const report = await readReport(out);
    expect(report.accounts.map((a) => a.account)).toEqual([A]);
    expect(report.accountsNotEvaluated).toEqual([{ account: D, reason: 'no evidence in the logs' }]);
    expect(report.roles.some((r) => r.account === D)).toBe(false);
    expect(report.unusedRoles.length).toBe(5 - (active.get(A) ?? 0));
    const alert = report.alerts?.find((a) => a.code === 'accounts-without-evidence');
    expect(alert?.message).toContain(`${D} not evaluated: no evidence in the logs`);
    // One account evaluated: the accounts table still shows, with D and why.
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Accounts (1 evaluated, 1 not evaluated)');
    expect(md).toContain(`| \`${D}\` | **no**: no evidence in the logs |`);
    expect(md).toMatch(new RegExp(`^\\| \`${A}\` \\| yes \\| yes \\| 5 \\|`, 'm'));
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain(
      `<tr class="not-evaluated" data-account="${D}"><td>${D}</td><td colspan="9"><b class="idle">not evaluated</b>: no evidence in the logs</td></tr>`,
    );
    expect(run.err).toContain(`iamtrim: 1 of 2 accounts not evaluated (${D}: no evidence in the logs)`);
  }, 120_000);

  it('every account read: exit 0, no account left out', async () => {
    const out = join(dir, 'out-ok');
    const run = await drift(out, '--assume-role-pattern', PATTERN, '--accounts', `${A},${B}`, '--no-history');
    expect(run.err).not.toContain('not evaluated');
    expect(run.code).toBe(0);
    const report = await readReport(out);
    expect(report.accountsNotEvaluated).toBeUndefined();
    expect(report.iam.source).toBe(`live IAM through ${PATTERN} (2 accounts)`);
    expect(report.accounts.map((a) => a.account)).toEqual([A, B]);
  }, 120_000);

  it('no account readable: exit 4 and nothing written', async () => {
    const out = join(dir, 'out-none');
    const run = await drift(out, '--assume-role-pattern', PATTERN, '--accounts', C, '--no-history');
    expect(run.code).toBe(4);
    expect(run.err).toContain(`--assume-role-pattern: none of the 1 account could be read (${C}: sts:AssumeRole`);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
  }, 120_000);

  it.each([
    [
      ['--assume-role-pattern', 'arn:aws:iam::111111111111:role/iamtrim-reader'],
      '--assume-role-pattern arn:aws:iam::111111111111:role/iamtrim-reader: has no {account} placeholder',
    ],
    [['--assume-role-pattern', 'arn:aws:iam::111111111111:role/reader-{account}'], '{account} must be the account field of the ARN'],
    [['--assume-role-pattern', 'arn:aws:iam::{account}:user/reader'], '--assume-role-pattern arn:aws:iam::{account}:user/reader: not an IAM role ARN'],
    [['--assume-role-pattern', PATTERN, '--accounts', '1111,222222222222'], '--accounts 1111,222222222222: 1111 is not a 12-digit AWS account id'],
    [['--assume-role-pattern', PATTERN, '--iam', 'iam.json'], '--iam iam.json and --assume-role-pattern: pass one'],
    [['--accounts', A], `--accounts ${A}: needs --assume-role-pattern`],
  ])('flag error %j: exit 2, one line, before any AWS call', async (args, message) => {
    const run = await drift(join(dir, 'out-bad'), ...args);
    expect(run.code).toBe(2);
    const [first, ...rest] = run.err.trimEnd().split('\n');
    expect(first?.startsWith('iamtrim: ')).toBe(true);
    expect(first).toContain(message);
    // At most a hint follows the one error line.
    expect(rest.every((line) => line.startsWith('  hint: '))).toBe(true);
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(existsSync(join(dir, 'out-bad'))).toBe(false);
  });
});
