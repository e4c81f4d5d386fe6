/**
 * Golden scenarios: one folder per scenario under fixtures/ (logs, iam.json, args.json), run
 * end to end through the CLI. Expected outputs live in fixtures/<scenario>/expected/ and change
 * only through `npm run golden:update` (vitest -u), so a reviewer sees every change as a diff.
 * Every proposal is also checked by an independent evaluator (@cloud-copilot/iam-simulate).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import type { MinimizePlan } from '../src/model.js';
import { readIamSnapshotFile } from '../src/iam/snapshot-file.js';
import { findRole } from '../src/iam/find-role.js';
import { asList } from '../src/iam/expand.js';
import { runCli } from './helpers/run-cli.js';
import { probeFor as probeWith, simulate } from './helpers/simulate.js';

const probeFor = (action: string, pattern: string, account: string): string => probeWith(catalog, action, pattern, account);

interface ScenarioArgs {
  role: string;
  end: string;
  days: number;
  flags: string[];
}

const ROOT = 'fixtures';
const scenarios = readdirSync(ROOT).filter((name) => name !== 'bad' && existsSync(join(ROOT, name, 'args.json')));

function commonArgs(name: string, args: ScenarioArgs): string[] {
  return ['--days', String(args.days), '--end', args.end, '--logs', join(ROOT, name, 'logs')];
}

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe.each(scenarios)('golden scenario %s', (name) => {
  const args = JSON.parse(readFileSync(join(ROOT, name, 'args.json'), 'utf8')) as ScenarioArgs;
  const iamFile = join(ROOT, name, 'iam.json');
  const minimizeArgs = ['minimize', '--role', args.role, '--iam', iamFile, ...commonArgs(name, args), ...args.flags];

  it('minimize --format json matches expected/minimize.json and is byte-identical across runs', async () => {
    const first = await runCli([...minimizeArgs, '--format', 'json'], { now: args.end });
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const second = await runCli([...minimizeArgs, '--format', 'json'], { now: args.end });
    expect(second.out).toBe(first.out);
    await expect(first.out).toMatchFileSnapshot(join('..', ROOT, name, 'expected', 'minimize.json'));
  });

  it('minimize --format text and --diff match expected files', async () => {
    const text = await runCli([...minimizeArgs, '--format', 'text'], { now: args.end });
    expect(text.code).toBe(0);
    await expect(text.out).toMatchFileSnapshot(join('..', ROOT, name, 'expected', 'minimize.txt'));
    const diff = await runCli([...minimizeArgs, '--diff'], { now: args.end });
    expect(diff.code).toBe(0);
    expect(diff.out).toContain('(current -> proposed)');
    await expect(diff.out).toMatchFileSnapshot(join('..', ROOT, name, 'expected', 'minimize.diff.txt'));
  });

  it('usage matches expected/usage.json', async () => {
    const usage = await runCli(['usage', '--role', args.role, '--iam', iamFile, ...commonArgs(name, args)], { now: args.end });
    expect(usage.code).toBe(0);
    await expect(usage.out).toMatchFileSnapshot(join('..', ROOT, name, 'expected', 'usage.json'));
  });

  it('an independent evaluator allows every observed call and nothing the current policy denies', async () => {
    const run = await runCli([...minimizeArgs, '--format', 'json'], { now: args.end });
    const plan = JSON.parse(run.out) as MinimizePlan;
    const grant = findRole(await readIamSnapshotFile(iamFile), args.role);
    const current = grant.policies.map((p) => p.document);
    const boundary = grant.boundary?.document;
    let checked = 0;
    for (const used of plan.used) {
      if (plan.usedNotGranted.includes(used.action)) continue;
      for (const resource of used.resources) {
        const probe = probeFor(used.action, resource, grant.accountId);
        expect.soft(await simulate(plan.proposed, boundary, used.action, probe, grant.accountId), `${used.action} on ${probe}`).toBe('Allowed');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    // Every (action, resource) the proposal allows, probed concretely, is allowed today.
    for (const doc of plan.proposed) {
      for (const statement of doc.Statement.filter((s) => s.Effect === 'Allow')) {
        for (const action of asList(statement.Action)) {
          if (action.includes('*')) continue;
          for (const resource of asList(statement.Resource)) {
            const probe = probeFor(action, resource, grant.accountId);
            expect.soft(await simulate(current, boundary, action, probe, grant.accountId), `today: ${action} on ${probe}`).toBe('Allowed');
          }
        }
      }
    }
  });
});
