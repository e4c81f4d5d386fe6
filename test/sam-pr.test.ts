/**
 * `iamtrim pr --function X --file template.yaml --resource <logical id> --dry-run` on the demo
 * account: the PR's file diff changes only the function's `Policies:` block, and the new block
 * expands within the current grant and covers every observed call.
 */
import { applyPatch } from 'diff';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { evaluate } from '../src/iam/evaluate.js';
import { expandSamPolicyItems } from '../src/policy/sam-expand.js';
import { runCli } from './helpers/run-cli.js';

let dir: string;
let work: string;
let manifest: DemoManifest;
let template: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-sam-pr-'));
  manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-11-22T10:00:00Z'), events: 3000, seed: 3 });
  work = join(dir, 'work');
  git(dir, 'init', '--quiet', '--initial-branch=main', work);
  for (const [k, v] of [['user.name', 'Dev'], ['user.email', 'dev@example.com'], ['commit.gpgsign', 'false']] as const) git(work, 'config', k, v);
  git(work, 'remote', 'add', 'origin', 'https://github.com/acme/orders.git');
  template = await readFile('test/sam-fixtures/template.yaml', 'utf8');
  await mkdir(join(work, 'app'));
  await writeFile(join(work, 'app', 'template.yaml'), template);
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
}, 120_000);

afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('iamtrim pr on a SAM template', () => {
  const args = (): string[] => [
    'pr', '--function', 'orders-api', '--lambda', manifest.lambdaFile, '--iam', manifest.iamFile, '--logs', manifest.logsDir,
    '--end', manifest.window.end, '--repo', work, '--file', 'app/template.yaml', '--dry-run',
  ];

  it('needs --resource for a SAM template', async () => {
    const run = await runCli(args(), { now: manifest.window.end });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--resource <logical id>/);
    // F5: the hint lists the template's own functions, not an invented name.
    expect(run.err).toContain('its functions: OrdersApiFunction, OrdersWebhookFunction, LegacyFunction');
  }, 60_000);

  it('rewrites only the Policies block of the function, with templates that stay within the grant', async () => {
    const run = await runCli([...args(), '--resource', 'OrdersApiFunction'], { now: manifest.window.end });
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/shared by 2 functions \(orders-api, orders-webhook\)/);
    const patch = run.out.slice(run.out.indexOf('--- file diff ---') + '--- file diff ---\n'.length);
    const after = applyPatch(template, patch);
    expect(after).not.toBe(false);
    if (after === false) return;
    const start = template.indexOf('      Policies:\n        # seed-era');
    const oldEnd = template.indexOf('      Events:');
    expect(after.slice(0, start)).toBe(template.slice(0, start));
    expect(after.endsWith(template.slice(oldEnd))).toBe(true);
    expect(git(work, 'status', '--porcelain')).toBe('');

    const policies = parseDocument(after).getIn(['Resources', 'OrdersApiFunction', 'Properties', 'Policies']);
    const items: unknown = policies !== null && typeof policies === 'object' && 'toJSON' in policies && typeof policies.toJSON === 'function' ? policies.toJSON() : undefined;
    const expanded = expandSamPolicyItems(items, { partition: 'aws', accountId: manifest.accountId, region: 'eu-west-1' });
    expect(expanded.unknown).toEqual([]);
    expect(expanded.templates.map((t) => t.template)).toContain('KMSDecryptPolicy');
    expect(expanded.templates.map((t) => t.template)).not.toContain('DynamoDBCrudPolicy');
    // Every action the demo says app-api used is allowed by the new block on the table or key it used.
    const role = manifest.roles.find((r) => r.name === 'app-api');
    expect(role).toBeDefined();
    const probes: Record<string, string> = {
      'dynamodb:GetItem': `arn:aws:dynamodb:eu-west-1:${manifest.accountId}:table/orders`,
      'kms:Decrypt': `arn:aws:kms:eu-west-1:${manifest.accountId}:key/0f3c2a5e-7b1d-4c8e-9a62-5d4e3f2a1b0c`,
    };
    for (const [action, resource] of Object.entries(probes)) {
      expect(role?.usedActions).toContain(action);
      expect(evaluate(expanded.documents, { action, resource }).decision, action).toBe('allowed');
    }
    expect(evaluate(expanded.documents, { action: 'dynamodb:DeleteTable', resource: probes['dynamodb:GetItem'] ?? '' }).decision).toBe('implicit-deny');
  }, 60_000);
});
