import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import { generateDemo } from '../src/demo/generate.js';
import type { DriftReport } from '../src/drift/report.js';
import { openHistoryStore } from '../src/drift/history-store.js';
import { createRiskMatcher } from '../src/drift/risk.js';
import { runDrift } from '../src/drift/run-drift.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { streamLogsSource } from '../src/ingest/local/stream/stream-source.js';
import type { UsageSource } from '../src/ingest/source.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { CallMapper } from '../src/usage/reduce.js';
import { pickCalls, writeCloudTrailFile } from './drift-helpers.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const LATER = new Date('2026-06-01T06:00:00Z');

function testIo(now: Date): CliIo & { stderr: string[] } {
  const stderr: string[] = [];
  return { out: () => undefined, err: (t) => stderr.push(t), interactive: false, now: () => now, env: {}, stderr };
}

async function drift(args: string[], now = NOW): Promise<{ code: number; stderr: string }> {
  const io = testIo(now);
  const code = await main(['node', 'iamtrim', 'drift', ...args], io);
  return { code, stderr: io.stderr.join('') };
}

async function readReport(dir: string): Promise<DriftReport> {
  return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as DriftReport;
}

/** Counts scans of a real source: the report must come from exactly one. */
function counting(source: UsageSource): UsageSource & { scans: number } {
  const counted = {
    description: source.description,
    scans: 0,
    scan: (query: Parameters<UsageSource['scan']>[0]) => {
      counted.scans++;
      return source.scan(query);
    },
  };
  return counted;
}

let dir: string;
let catalog: IamCatalog;
let mapCall: CallMapper;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-'));
  catalog = await loadCatalog();
  mapCall = createMapper(catalog);
  await generateDemo({ outDir: join(dir, 'demo'), now: NOW, events: 12_000, seed: 3 });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('drift on the demo account', () => {
  it('reports every role from one scan: unused roles, service-linked apart, ranked by risky unused', async () => {
    const iam = parseAuthorizationDetails(JSON.parse(await readFile(join(dir, 'demo', 'iam.json'), 'utf8')), 'iam.json');
    const source = counting(streamLogsSource({ logs: join(dir, 'demo', 'logs'), skipBadFiles: false }));
    const { report } = await runDrift(
      { catalog, mapCall, source, iam, risk: createRiskMatcher(catalog) },
      {
        window: { start: '2026-05-02T00:00:00Z', end: NOW.toISOString() },
        include: [],
        exclude: [],
        allowEmpty: false,
        minimizeArgs: '--iam iam.json',
        now: NOW,
        toolVersion: 'test',
      },
    );
    expect(source.scans).toBe(1);
    expect(report.roles.map((r) => r.name).sort()).toEqual(['app-api', 'ci-deploy', 'data-pipeline', 'legacy-batch', 'queue-worker']);
    expect(report.serviceLinked.map((r) => r.name)).toEqual(['AWSServiceRoleForECS']);
    expect(report.unusedRoles).toEqual(['legacy-batch']);
    for (const role of report.roles) {
      expect(role.used + role.unused + role.unobservable).toBe(role.granted);
      expect(role.minimize).toContain(`--role ${role.name}`);
    }
    for (let i = 1; i < report.roles.length; i++) {
      expect(report.roles[i - 1]!.riskScore).toBeGreaterThanOrEqual(report.roles[i]!.riskScore);
    }
    const ci = report.roles.find((r) => r.name === 'ci-deploy');
    expect(ci?.risks.find((f) => f.rule === 'full-wildcard')?.unusedCount).toBe(ci?.unused);
    // `*` unused actions are written per service, losslessly.
    expect(ci!.unusedActions.length).toBeLessThan(ci!.unused / 5);
    expect(report.summary.granted).toBe(report.roles.reduce((s, r) => s + r.granted, 0));
  }, 120_000);

  it('selects roles with --roles/--exclude globs and still scans once', async () => {
    const iam = parseAuthorizationDetails(JSON.parse(await readFile(join(dir, 'demo', 'iam.json'), 'utf8')), 'iam.json');
    const source = counting(streamLogsSource({ logs: join(dir, 'demo', 'logs'), skipBadFiles: false }));
    const { report } = await runDrift(
      { catalog, mapCall, source, iam, risk: createRiskMatcher(catalog) },
      {
        window: { start: '2026-05-02T00:00:00Z', end: NOW.toISOString() },
        include: ['*-*'],
        exclude: ['ci-*', 'data-*'],
        allowEmpty: false,
        minimizeArgs: '',
        now: NOW,
        toolVersion: 'test',
      },
    );
    expect(source.scans).toBe(1);
    expect(report.roles.map((r) => r.name).sort()).toEqual(['app-api', 'legacy-batch', 'queue-worker']);
  }, 120_000);

  it('writes the three files, then a second run after changes shows the differences and the trend', async () => {
    const logs = join(dir, 'demo', 'logs');
    const history = join(dir, 'history.duckdb');
    const out1 = join(dir, 'out1');
    const first = await drift([
      '--iam',
      join(dir, 'demo', 'iam.json'),
      '--logs',
      logs,
      '--out',
      out1,
      '--history',
      history,
      '--fail-on',
      'new-risk',
      '--end',
      NOW.toISOString(),
    ]);
    expect(first.stderr).toContain('6 roles from one scan of the logs');
    expect(first.code).toBe(0); // the first run is the baseline: nothing is new yet
    const r1 = await readReport(out1);
    expect(r1.changes).toBeNull();
    expect(r1.history.runs).toBe(1);
    for (const f of ['report.md', 'report.json', 'report.html']) expect((await stat(join(out1, f))).size).toBeGreaterThan(1000);

    // Usage changes: queue-worker calls actions it never used; IAM changes: new risky grant, a role added, one removed.
    const raw = JSON.parse(await readFile(join(dir, 'demo', 'iam.json'), 'utf8')) as { RoleDetailList: Record<string, unknown>[] };
    const iam = parseAuthorizationDetails(raw, 'iam.json');
    const worker = iam.roles.find((r) => r.name === 'queue-worker')!;
    const before = new Set(r1.roles.find((r) => r.name === 'queue-worker')!.usedActions);
    const fresh = pickCalls(catalog, mapCall, worker, 40)
      .filter((c) => !before.has(c.action))
      .slice(0, 4);
    expect(fresh.length).toBeGreaterThan(0);
    await writeCloudTrailFile(join(logs, 'drift-extra.json'), fresh, NOW);
    const workerRaw = raw.RoleDetailList.find((r) => r['RoleName'] === 'queue-worker')!;
    (workerRaw['RolePolicyList'] as unknown[]).push({
      PolicyName: 'deploy-functions',
      PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction'], Resource: '*' }] },
    });
    const legacy = raw.RoleDetailList.find((r) => r['RoleName'] === 'legacy-batch')!;
    raw.RoleDetailList = raw.RoleDetailList.filter((r) => r !== legacy);
    raw.RoleDetailList.push({ ...legacy, RoleName: 'new-reporter', RoleId: 'AROANEWREPORTER00001', Arn: 'arn:aws:iam::123456789012:role/new-reporter' });
    await writeFile(join(dir, 'iam2.json'), JSON.stringify(raw));

    const out2 = join(dir, 'out2');
    const second = await drift(
      ['--iam', join(dir, 'iam2.json'), '--logs', logs, '--out', out2, '--history', history, '--fail-on', 'new-risk', '--end', NOW.toISOString()],
      LATER,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('--fail-on new-risk: condition met');
    const r2 = await readReport(out2);
    expect(r2.history).toMatchObject({ runs: 2, previousRun: r1.generatedAt });
    expect(r2.changes?.rolesAdded).toEqual(['new-reporter']);
    expect(r2.changes?.rolesRemoved).toEqual(['legacy-batch']);
    expect(r2.changes?.newRisks).toContain('queue-worker: passrole-with-compute');
    const change = r2.changes?.roles.find((c) => c.name === 'queue-worker');
    expect(change?.newGrants).toEqual(['iam:PassRole', 'lambda:CreateFunction']);
    expect(change?.actionCounts.newGrants).toBe(2);
    const usedNow = r2.roles.find((r) => r.name === 'queue-worker')!.usedActions;
    const expectedNewlyUsed = usedNow.filter((a) => !before.has(a));
    expect(expectedNewlyUsed.length).toBeGreaterThan(0);
    expect(change?.newlyUsed).toEqual(expectedNewlyUsed);
    expect(change?.newlyUnused).toContain('lambda:CreateFunction'); // iam:PassRole is unobservable, never unused
    // Roles without changes are not listed.
    expect(r2.changes?.roles.find((c) => c.name === 'ci-deploy')).toBeUndefined();
    expect(r2.trend.runs).toEqual([r1.generatedAt, r2.generatedAt]);
    expect(r2.roles.find((r) => r.name === 'queue-worker')?.trend.used).toEqual([before.size, usedNow.length]);
    expect(r2.roles.find((r) => r.name === 'new-reporter')?.trend.granted[0]).toBeNull();
    const md = await readFile(join(out2, 'report.md'), 'utf8');
    expect(md).toContain('queue-worker: passrole-with-compute');
    expect(md).toContain('Roles removed: `legacy-batch`');
    expect(md).toContain('| `queue-worker` | 2 actions: `iam:PassRole`, `lambda:CreateFunction` | — |');

    // A third run with the same input stores no new action set for unchanged grants.
    const store = await openHistoryStore(history);
    const stats2 = await store.stats();
    store.close();
    await drift(
      ['--iam', join(dir, 'iam2.json'), '--logs', logs, '--out', join(dir, 'out3'), '--history', history, '--end', NOW.toISOString()],
      new Date('2026-06-02T00:00:00Z'),
    );
    const again = await openHistoryStore(history);
    const stats3 = await again.stats();
    again.close();
    expect(stats3.runs).toBe(3);
    expect(stats3.actionSets).toBe(stats2.actionSets);
    expect(stats3.roleRuns - stats2.roleRuns).toBe(r2.summary.roles);
    const r3 = await readReport(join(dir, 'out3'));
    expect(r3.changes?.roles).toEqual([]);
    expect(r3.changes?.newRisks).toEqual([]);
  }, 240_000);

  it('--fail-on any-unused exits 1; errors are one line with a hint and their own exit code', async () => {
    const base = ['--iam', join(dir, 'demo', 'iam.json'), '--logs', join(dir, 'demo', 'logs'), '--end', NOW.toISOString()];
    const unused = await drift([...base, '--out', join(dir, 'o4'), '--no-history', '--fail-on', 'any-unused']);
    expect(unused.code).toBe(1);
    expect((await readReport(join(dir, 'o4'))).history.store).toBeNull();

    const noMatch = await drift([...base, '--out', join(dir, 'o5'), '--no-history', '--roles', 'nosuch-*']);
    expect(noMatch.code).toBe(2);
    expect(noMatch.stderr).toMatch(/^iamtrim: --roles nosuch-\*: matches none of the 6 roles/);
    expect(noMatch.stderr).toContain('hint:');

    const conflict = await drift([...base, '--out', join(dir, 'o6'), '--no-history', '--fail-on', 'new-risk']);
    expect(conflict.code).toBe(2);

    await writeFile(join(dir, 'not-duckdb'), 'this is not a database');
    const badHistory = await drift([...base, '--out', join(dir, 'o7'), '--history', join(dir, 'not-duckdb')]);
    expect(badHistory.code).toBe(3);
    expect(badHistory.stderr).toContain(`--history ${join(dir, 'not-duckdb')}: cannot open the history store`);
    expect(badHistory.stderr).not.toContain('    at ');
  }, 240_000);
});
