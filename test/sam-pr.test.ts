/**
 * `iamtrim pr --function X --file template.yaml --dry-run` on the demo account: SAM makes each
 * item of a function's `Policies` an inline policy of the role it creates, so `pr` writes only the
 * item that is one of the role's policies (app-api's `app-api-data`: s3:*, dynamodb:*), with that
 * policy's share, and leaves the other items and the rest of the template byte for byte. A
 * template none of whose items is the role's is refused, naming the closest of its policies.
 */
import { applyPatch } from 'diff';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { evaluate } from '../src/iam/evaluate.js';
import type { PolicyDocument } from '../src/model.js';
import { runCli } from './helpers/run-cli.js';
import { dryRunPatch, git, initWorkingCopy } from './helpers/git-repo.js';

let dir: string;
let work: string;
let manifest: DemoManifest;
let template: string;

const MATCHING = `AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n# orders service\nResources:\n  OrdersApiFunction:\n    Type: AWS::Serverless::Function # the public API\n    Properties:\n      FunctionName: orders-api\n      Handler: index.handler\n      Policies:\n        - AWSLambdaBasicExecutionRole\n        - Statement:\n            - Effect: Allow\n              Action: s3:*\n              Resource: '*'\n            - Effect: Allow\n              Action: dynamodb:*\n              Resource: '*'\n        - SQSPollerPolicy:\n            QueueName: !GetAtt OrdersQueue.QueueName\n      Events:\n        Api:\n          Type: Api\n          Properties: {Path: /orders, Method: get}\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-sam-pr-'));
  manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-11-22T10:00:00Z'), events: 3000, seed: 3 });
  work = join(dir, 'work');
  initWorkingCopy(work, { origin: 'https://github.com/acme/orders.git' });
  template = await readFile('test/sam-fixtures/template.yaml', 'utf8');
  await mkdir(join(work, 'app'));
  await writeFile(join(work, 'app', 'template.yaml'), template);
  await writeFile(join(work, 'app', 'matching.yaml'), MATCHING);
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
}, 120_000);

afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('iamtrim pr on a SAM template', () => {
  const args = (file: string): string[] => [
    'pr',
    '--function',
    'orders-api',
    '--lambda',
    manifest.lambdaFile,
    '--iam',
    manifest.iamFile,
    '--logs',
    manifest.logsDir,
    '--end',
    manifest.window.end,
    '--repo',
    work,
    '--file',
    file,
    '--dry-run',
  ];

  it("refuses a template none of whose Policies items is one of the role's policies, naming the closest", async () => {
    const run = await runCli(args('app/template.yaml'), { now: manifest.window.end });
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/none of its 3 IAM policies is one of app-api's policies; closest: app-api-data/);
  }, 60_000);

  it("rewrites only the item that is the role's policy, with that policy's share", async () => {
    const run = await runCli(args('app/matching.yaml'), { now: manifest.window.end });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('Resources.OrdersApiFunction.Properties.Policies[1]');
    const patch = dryRunPatch(run.out);
    const after = applyPatch(MATCHING, patch);
    expect(after).not.toBe(false);
    if (after === false) return;
    const start = MATCHING.indexOf('Statement:\n            - Effect: Allow\n              Action: s3:*');
    const end = MATCHING.indexOf('        - SQSPollerPolicy:');
    expect(after.slice(0, start)).toBe(MATCHING.slice(0, start));
    expect(after.endsWith(MATCHING.slice(end))).toBe(true);
    expect(git(work, 'status', '--porcelain')).toBe('');

    const policies = parseDocument(after, { version: '1.1', logLevel: 'silent' }).getIn(['Resources', 'OrdersApiFunction', 'Properties', 'Policies', 1]);
    const item = (
      policies !== null && typeof policies === 'object' && 'toJSON' in policies && typeof policies.toJSON === 'function' ? policies.toJSON() : undefined
    ) as PolicyDocument | undefined;
    expect(item?.Version).toBe('2012-10-17');
    const actions = (item?.Statement ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    // Only what app-api-data granted: no kms/secrets/logs from app-common, no wildcard left.
    for (const action of actions) expect(action).toMatch(/^(s3|dynamodb):[A-Za-z]+$/);
    const role = manifest.roles.find((r) => r.name === 'app-api');
    const probes: Record<string, string> = {
      'dynamodb:GetItem': `arn:aws:dynamodb:eu-west-1:${manifest.accountId}:table/orders`,
      'dynamodb:Query': `arn:aws:dynamodb:eu-west-1:${manifest.accountId}:table/orders`,
    };
    for (const [action, resource] of Object.entries(probes)) {
      expect(role?.usedActions).toContain(action);
      expect(evaluate([item as PolicyDocument], { action, resource }).decision, action).toBe('allowed');
    }
    expect(evaluate([item as PolicyDocument], { action: 'dynamodb:DeleteTable', resource: probes['dynamodb:GetItem'] ?? '' }).decision).toBe('implicit-deny');
  }, 60_000);
});
