/**
 * `drift --iam DIR`: one authorization-details file per account, merged into one snapshot, one scan
 * of the logs for all accounts, and report.json / report.md grouped by account with per-account
 * totals. Role names repeat across accounts (as they do in organizations), so each role's minimize
 * command names it by ARN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { DriftReport } from '../src/drift/report.js';
import type { CallMapper } from '../src/usage/reduce.js';
import { manyRolesSnapshot, pickCalls, writeCloudTrailFile, type FabricatedCall } from './drift-helpers.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const A = '111111111111';
const B = '222222222222';
let dir: string;
let catalog: IamCatalog;
let mapCall: CallMapper;

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(['node', 'iamtrim', ...args, '--end', NOW.toISOString()], {
    out: () => undefined,
    err: (t: string) => {
      err += t;
    },
    interactive: false,
    now: () => NOW,
    env: {},
  });
  return { code, err };
}

/** Calls by every other role of the snapshot (1 + i % 3 actions each). */
function callsOf(raw: unknown, file: string): FabricatedCall[] {
  const iam = parseAuthorizationDetails(raw, file);
  return iam.roles.filter((_, i) => i % 2 === 0).flatMap((role, i) => pickCalls(catalog, mapCall, role, 1 + (i % 3)));
}

async function readReport(out: string): Promise<DriftReport> {
  return JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DriftReport;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-accounts-'));
  catalog = await loadCatalog();
  mapCall = createMapper(catalog);
  const a = manyRolesSnapshot(6, A);
  const b = manyRolesSnapshot(4, B);
  await mkdir(join(dir, 'iam'));
  await writeFile(join(dir, 'iam', `${A}.json`), JSON.stringify(a));
  await writeFile(join(dir, 'iam', `${B}.json`), JSON.stringify(b));
  await writeCloudTrailFile(join(dir, 'logs-both', 'trail.json'), [...callsOf(a, 'a'), ...callsOf(b, 'b')], NOW);
  await writeCloudTrailFile(join(dir, 'logs-a', 'trail.json'), callsOf(a, 'a'), NOW);
  await writeCloudTrailFile(join(dir, 'logs-other', 'trail.json'), callsOf(manyRolesSnapshot(2, '999999999999'), 'c'), NOW);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('drift --iam DIR (one snapshot per account)', () => {
  it('reports both accounts from one scan, with per-account totals that add up to the summary', async () => {
    const out = join(dir, 'out-both');
    const { code, err } = await run(['drift', '--iam', join(dir, 'iam'), '--logs', join(dir, 'logs-both'), '--out', out, '--no-history']);
    expect(err).not.toMatch(/error/i);
    expect(code).toBe(0);
    const report = await readReport(out);
    expect(report.evidence.scans).toBe(1);
    expect(report.iam.roles).toBe(10);
    expect(report.iam.source).toContain('2 files, 2 accounts');
    expect(report.accounts.map((a) => [a.account, a.roles, a.logs])).toEqual([
      [A, 6, true],
      [B, 4, true],
    ]);
    for (const key of ['active', 'noActivity', 'granted', 'used', 'unused', 'rolesWithRiskyUnused'] as const) {
      expect(report.accounts.reduce((s, a) => s + a[key], 0)).toBe(report.summary[key]);
    }
    // Every other role made calls: 3 of 6 in A, 2 of 4 in B.
    expect(report.accounts.map((a) => a.active)).toEqual([3, 2]);
    for (const role of report.roles) {
      expect(role.arn).toContain(`::${role.account}:`);
      // The same name lives in both accounts: the command names the role by ARN.
      expect(role.minimize).toContain(`--role ${role.arn}`);
    }
    expect(
      report.roles
        .filter((r) => r.name === 'svc-0001')
        .map((r) => r.account)
        .sort(),
    ).toEqual([A, B]);
    expect((report.alerts ?? []).filter((a) => a.code !== 'partial-window')).toEqual([]);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Accounts (2 evaluated)');
    expect(md.indexOf(`### Account ${A}`)).toBeGreaterThan(md.indexOf('## Roles by account'));
    expect(md.indexOf(`### Account ${B}`)).toBeGreaterThan(md.indexOf(`### Account ${A}`));
    // svc-0001 has no activity in either account: the unused list names both, by account.
    const unused = md.slice(md.indexOf('## Unused roles'), md.indexOf('## Risky unused'));
    expect(unused).toContain(`\`${A}/svc-0001\``);
    expect(unused).toContain(`\`${B}/svc-0001\``);
  }, 120_000);

  it('the printed minimize command works against the same folder', async () => {
    const report = await readReport(join(dir, 'out-both'));
    const role = report.roles.find((r) => r.account === B && r.status === 'active');
    expect(role).toBeDefined();
    const { code, err } = await run([
      'minimize',
      '--role',
      role?.arn ?? '',
      '--iam',
      join(dir, 'iam'),
      '--logs',
      join(dir, 'logs-both'),
      '--out',
      join(dir, 'min.json'),
      '--allow-partial-window',
    ]);
    expect(err).toBe(`wrote ${join(dir, 'min.json')}\n`);
    expect(code).toBe(0);
    expect(await readFile(join(dir, 'min.json'), 'utf8')).toContain(role?.arn ?? '?');
  }, 120_000);

  it('says which accounts of the snapshot have no logs (their roles read as unused for want of evidence)', async () => {
    const out = join(dir, 'out-a');
    const { code } = await run(['drift', '--iam', join(dir, 'iam'), '--logs', join(dir, 'logs-a'), '--out', out, '--no-history']);
    expect(code).toBe(0);
    const report = await readReport(out);
    expect(report.accounts.map((a) => a.logs)).toEqual([true, false]);
    const alert = (report.alerts ?? []).find((a) => a.code === 'accounts-without-logs');
    expect(alert?.message).toContain(`1 of the 2 accounts`);
    expect(alert?.message).toContain(B);
    expect(alert?.message).toContain('4 roles read as unused for want of evidence');
    expect((report.alerts ?? []).some((a) => a.code === 'account-mismatch')).toBe(false);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain('accounts-without-logs');
  }, 120_000);

  it('logs of none of the accounts: the account-mismatch alert names all of them', async () => {
    const out = join(dir, 'out-other');
    const { code } = await run(['drift', '--iam', join(dir, 'iam'), '--logs', join(dir, 'logs-other'), '--out', out, '--no-history']);
    expect(code).toBe(0);
    const alert = ((await readReport(out)).alerts ?? []).find((a) => a.code === 'account-mismatch');
    expect(alert?.accounts).toEqual({ snapshot: [A, B], logs: ['999999999999'] });
  }, 120_000);

  it('two files of one account, or an empty folder: exit 3 naming the files', async () => {
    const dup = join(dir, 'iam-dup');
    await mkdir(dup);
    const raw = JSON.stringify(manyRolesSnapshot(2, A));
    await writeFile(join(dup, 'one.json'), raw);
    await writeFile(join(dup, 'two.json'), raw);
    const twice = await run(['drift', '--iam', dup, '--logs', join(dir, 'logs-a'), '--out', join(dir, 'x'), '--no-history']);
    expect(twice.code).toBe(3);
    expect(twice.err).toContain(`${join(dup, 'one.json')} and ${join(dup, 'two.json')} both hold roles of account ${A}`);
    const empty = join(dir, 'iam-empty');
    await mkdir(empty);
    const none = await run(['drift', '--iam', empty, '--logs', join(dir, 'logs-a'), '--out', join(dir, 'y'), '--no-history']);
    expect(none.code).toBe(3);
    expect(none.err).toContain('holds no .json file');
  }, 120_000);
});
