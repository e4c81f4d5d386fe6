/**
 * `--format sam`: the SAM policy templates table, the template/inline split, and the demo account
 * end to end. Rendered output is parsed back, its templates expanded, and the result must be within
 * the proposal (and the current grant) and cover every observed call: by our evaluator and by
 * @cloud-copilot/iam-simulate on concrete probes.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { loadCatalog, type IamCatalog } from '../src/iam/catalog.js';
import { evaluate } from '../src/iam/evaluate.js';
import { findRole } from '../src/iam/find-role.js';
import { readIamSnapshotFile } from '../src/iam/snapshot-file.js';
import { asList, expandActionPattern } from '../src/iam/expand.js';
import type { PolicyDocument, Statement } from '../src/model.js';
import { expandSamPolicyItems } from '../src/policy/sam-expand.js';
import { buildSamPolicies, statementsWithin } from '../src/policy/sam-policies.js';
import { bindingsFromArn, expandTemplate, SAM_TEMPLATES, type SamContext } from '../src/policy/sam-templates.js';
import { samPoliciesYaml } from '../src/render/sam-yaml.js';
import { runCli } from './helpers/run-cli.js';

const CTX: SamContext = { partition: 'aws', accountId: '123456789012', region: 'eu-west-1' };
const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';
const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (Action: string | string[], Resource: string | string[]): Statement => ({ Effect: 'Allow', Action, Resource });

let catalog: IamCatalog;
let expandAction: (p: string) => string[];
beforeAll(async () => {
  catalog = await loadCatalog();
  expandAction = (p) => expandActionPattern(catalog, p);
});

/** Every (action, resource) pair of plain Allow statements. */
function pairs(policies: readonly PolicyDocument[]): { action: string; resource: string }[] {
  return policies.flatMap((d) =>
    d.Statement.filter((s) => s.Effect === 'Allow' && s.Action !== undefined && s.Resource !== undefined).flatMap((s) =>
      asList(s.Action).flatMap((action) => asList(s.Resource).map((resource) => ({ action, resource }))),
    ),
  );
}

/** Parses rendered YAML and expands it like SAM would. */
function expandRendered(text: string, context: SamContext): PolicyDocument[] {
  const parsed: unknown = parse(text);
  const items = typeof parsed === 'object' && parsed !== null && 'Policies' in parsed ? parsed.Policies : undefined;
  const expanded = expandSamPolicyItems(items, context);
  expect(expanded.unknown).toEqual([]);
  return expanded.documents;
}

/** A concrete resource for an (action, pattern): wildcards filled; `*` stays `*` only for actions without a resource type. */
function probe(action: string, pattern: string): string {
  if (pattern === '*') {
    const entry = catalog.action(action);
    const type = entry?.resourceTypes[0];
    const format = type !== undefined && entry !== undefined ? catalog.resourceType(entry.service, type.name) : undefined;
    if (entry === undefined || entry.wildcardOnly || format === undefined) return '*';
    return format.arn
      .replace('${Partition}', 'aws')
      .replace('${Region}', 'eu-west-1')
      .replace('${Account}', '123456789012')
      .replace(/\$\{[^}]+\}/g, 'example');
  }
  return pattern.replace(/\?/g, 'a').replace(/\*/g, 'example');
}

async function simulated(policies: readonly PolicyDocument[], action: string, resource: string, boundary?: PolicyDocument): Promise<string> {
  const sim = await runSimulation(
    {
      request: { principal: 'arn:aws:iam::123456789012:role/x', action, resource: { resource, accountId: '123456789012' }, contextVariables: {} },
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(boundary !== undefined ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }] } : {}),
      // KMS authorizes only through the key policy; the default key policy delegates to IAM.
      ...(action.startsWith('kms:')
        ? {
            resourcePolicy: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }],
            },
          }
        : {}),
    },
    {},
  );
  return sim.resultType === 'error' ? 'error' : sim.overallResult;
}

describe('SAM policy templates table', () => {
  it('has the templates the issue names, with AWS-discouraged ones marked', () => {
    const names = SAM_TEMPLATES.map((t) => t.name);
    for (const n of ['DynamoDBReadPolicy', 'S3ReadPolicy', 'SQSSendMessagePolicy', 'DynamoDBCrudPolicy', 'S3FullAccessPolicy']) expect(names).toContain(n);
    expect(
      SAM_TEMPLATES.filter((t) => t.avoid !== undefined)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['DynamoDBCrudPolicy', 'S3FullAccessPolicy']);
    expect(names).toEqual([...names].sort());
  });

  it("every template action is a real IAM action (or a pattern naming one), except SAM's SQS batch names", () => {
    // IAM authorizes the batch calls as sqs:ChangeMessageVisibility / sqs:DeleteMessage; SAM lists both names.
    const notIamActions = new Set(['sqs:ChangeMessageVisibilityBatch', 'sqs:DeleteMessageBatch']);
    const unknown = SAM_TEMPLATES.flatMap((t) => t.statements.flatMap((s) => s.Action)).filter((a) => expandActionPattern(catalog, a).length === 0);
    expect(new Set(unknown)).toEqual(notIamActions);
  });

  it('SQSPollerPolicy fits a proposal of the four IAM actions it really grants (the batch names grant nothing)', () => {
    const queue = 'arn:aws:sqs:eu-west-1:123456789012:jobs';
    const proposed = [doc(allow(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'], queue))];
    expect(buildSamPolicies(proposed, { context: CTX, expandAction }).templates).toEqual([{ template: 'SQSPollerPolicy', parameters: { QueueName: 'jobs' } }]);
    expect(buildSamPolicies(proposed, { context: CTX }).templates).toEqual([]);
    const three = [doc(allow(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:ReceiveMessage'], queue))];
    expect(buildSamPolicies(three, { context: CTX, expandAction }).templates).toEqual([]);
  });

  it('expands DynamoDBReadPolicy exactly as the SAM translator does', () => {
    expect(expandTemplate({ template: 'DynamoDBReadPolicy', parameters: { TableName: 'orders' } }, CTX)).toEqual([
      allow(['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable'], [TABLE, `${TABLE}/index/*`]),
    ]);
  });

  it.each(SAM_TEMPLATES.map((t) => [t.name, t] as const))('%s: parameters read back from its own expansion', (_name, t) => {
    const parameters = Object.fromEntries(
      Object.keys(t.parameters).map((p) => [
        p,
        p === 'SecretArn' || p === 'CertificateArn' ? `arn:aws:x:eu-west-1:123456789012:thing/${p}-v1` : `${p.toLowerCase()}-v1`,
      ]),
    );
    const expanded = expandTemplate({ template: t.name, parameters }, CTX);
    const found = expanded.flatMap((s) => asList(s.Resource)).flatMap((arn) => bindingsFromArn(t, arn, CTX));
    expect(found).toContainEqual(parameters);
  });
});

describe('template / inline split', () => {
  it('uses a template when the proposal grants all of it, and nothing is left inline', () => {
    const proposed = [
      doc(allow(['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable'], [TABLE, `${TABLE}/index/*`])),
    ];
    const sam = buildSamPolicies(proposed, { context: CTX, expandAction });
    expect(sam.templates).toEqual([{ template: 'DynamoDBReadPolicy', parameters: { TableName: 'orders' } }]);
    expect(sam.inline).toEqual([]);
  });

  it('never uses a template that grants more than the proposal (GetItem+Query is not DynamoDBReadPolicy)', () => {
    const proposed = [doc(allow(['dynamodb:GetItem', 'dynamodb:Query'], [TABLE, `${TABLE}/index/*`]))];
    const sam = buildSamPolicies(proposed, { context: CTX, expandAction });
    expect(sam.templates).toEqual([]);
    expect(pairs(sam.inline)).toHaveLength(4);
  });

  it('never emits templates AWS recommends against, even when the proposal grants all of them', () => {
    const crud = expandTemplate({ template: 'DynamoDBCrudPolicy', parameters: { TableName: 'orders' } }, CTX);
    const sam = buildSamPolicies([doc(...crud)], { context: CTX, expandAction });
    expect(sam.templates.map((t) => t.template)).not.toContain('DynamoDBCrudPolicy');
    expect(sam.templates.map((t) => t.template)).toEqual(['DynamoDBReadPolicy', 'DynamoDBWritePolicy']);
    const left = pairs(sam.inline).map((p) => p.action);
    expect(new Set(left)).toEqual(new Set(['dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem']));
  });

  it('a conditional grant is not replaced by an unconditional template', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/k1';
    const conditional: Statement = { ...allow('kms:Decrypt', key), Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } };
    expect(buildSamPolicies([doc(conditional)], { context: CTX, expandAction }).templates).toEqual([]);
    expect(buildSamPolicies([doc(allow('kms:Decrypt', key))], { context: CTX, expandAction }).templates).toEqual([
      { template: 'KMSDecryptPolicy', parameters: { KeyId: 'k1' } },
    ]);
  });

  it('region-scoped templates need the stack region, and a key in another region stays inline', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/k1';
    expect(buildSamPolicies([doc(allow('kms:Decrypt', key))], { context: { partition: 'aws', accountId: '123456789012' } }).templates).toEqual([]);
    expect(buildSamPolicies([doc(allow('kms:Decrypt', key))], { context: { ...CTX, region: 'us-east-1' } }).templates).toEqual([]);
  });

  it('action wildcards in templates count only through the catalogue (sqs:SendMessage*)', () => {
    const proposed = [doc(allow('sqs:SendMessage', 'arn:aws:sqs:eu-west-1:123456789012:jobs'))];
    expect(buildSamPolicies(proposed, { context: CTX }).templates).toEqual([]);
    expect(buildSamPolicies(proposed, { context: CTX, expandAction }).templates).toEqual([
      { template: 'SQSSendMessagePolicy', parameters: { QueueName: 'jobs' } },
    ]);
  });

  it('renders deterministic YAML that expands back within the proposal and covering it', async () => {
    const proposed = [
      doc(
        allow(
          [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:DeleteMessageBatch',
            'sqs:ChangeMessageVisibility',
            'sqs:ChangeMessageVisibilityBatch',
            'sqs:GetQueueAttributes',
          ],
          'arn:aws:sqs:eu-west-1:123456789012:jobs',
        ),
        allow('sns:Publish', 'arn:aws:sns:eu-west-1:123456789012:done'),
        allow('s3:GetObject', 'arn:aws:s3:::bucket/in/*'),
        allow('cloudwatch:PutMetricData', '*'),
      ),
    ];
    const sam = buildSamPolicies(proposed, { context: CTX, expandAction });
    const text = samPoliciesYaml(sam);
    expect(samPoliciesYaml(buildSamPolicies(proposed, { context: CTX, expandAction }))).toBe(text);
    expect(sam.templates.map((t) => t.template)).toEqual(['CloudWatchPutMetricPolicy', 'SNSPublishMessagePolicy', 'SQSPollerPolicy']);
    const back = expandRendered(text, CTX);
    expect(
      statementsWithin(
        back.flatMap((d) => d.Statement),
        proposed,
        expandAction,
      ),
    ).toBe(true);
    for (const p of pairs(proposed)) expect(evaluate(back, p).decision, JSON.stringify(p)).toBe('allowed');
    for (const p of pairs(back))
      for (const action of expandActionPattern(catalog, p.action))
        expect(await simulated(proposed, action, probe(action, p.resource)), `${action} ${p.resource}`).toBe('Allowed');
  });
});

describe('minimize --function X --format sam on the demo account', () => {
  let dir: string;
  let manifest: DemoManifest;
  let sam: string;
  let plan: { proposed: PolicyDocument[]; used: { action: string; resources: string[] }[] };
  let current: PolicyDocument[];
  let boundary: PolicyDocument | undefined;
  let err: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-sam-'));
    manifest = await generateDemo({ outDir: dir, now: new Date('2026-11-22T10:00:00Z'), events: 3000, seed: 11 });
    const args = [
      'minimize',
      '--function',
      'orders-webhook',
      '--lambda',
      manifest.lambdaFile,
      '--iam',
      manifest.iamFile,
      '--logs',
      manifest.logsDir,
      '--end',
      manifest.window.end,
    ];
    const run = await runCli([...args, '--format', 'sam']);
    expect(run.code, run.err).toBe(0);
    sam = run.out;
    err = run.err;
    const json = await runCli([...args, '--format', 'json']);
    expect(json.code, json.err).toBe(0);
    plan = JSON.parse(json.out);
    const grant = findRole(await readIamSnapshotFile(manifest.iamFile), 'app-api');
    current = grant.policies.map((p) => p.document);
    boundary = grant.boundary?.document;
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('names the resolved role and both functions that share it', () => {
    expect(sam).toMatch(/# function orders-webhook runs as role app-api .*shared by 2 functions \(orders-api, orders-webhook\)/);
    expect(err).toMatch(/minimizing it affects all of them/);
  });

  it('prints SAM policy templates plus inline statements', () => {
    const parsed: unknown = parse(sam);
    const items = typeof parsed === 'object' && parsed !== null && 'Policies' in parsed && Array.isArray(parsed.Policies) ? parsed.Policies : [];
    const expanded = expandSamPolicyItems(items, CTX);
    expect(expanded.templates.length).toBeGreaterThan(0);
    expect(expanded.documents.length).toBeGreaterThan(1);
  });

  it('expands within the proposal and the current grant, by our evaluator and iam-simulate', async () => {
    const back = expandRendered(sam, CTX);
    const statements = back.flatMap((d) => d.Statement);
    expect(statementsWithin(statements, plan.proposed, expandAction)).toBe(true);
    for (const p of pairs(back))
      for (const action of expandActionPattern(catalog, p.action)) {
        expect(evaluate(current, { action, resource: p.resource }, { boundary }).decision, `${action} ${p.resource}`).toBe('allowed');
        expect(await simulated(current, action, probe(action, p.resource), boundary), `${action} ${p.resource}`).toBe('Allowed');
      }
  });

  it('covers every observed call, by our evaluator and iam-simulate', async () => {
    const back = expandRendered(sam, CTX);
    expect(plan.used.length).toBeGreaterThan(5);
    for (const u of plan.used)
      for (const resource of u.resources) {
        expect(evaluate(back, { action: u.action, resource }).decision, `${u.action} ${resource}`).toBe('allowed');
        expect(await simulated(back, u.action, probe(u.action, resource)), `${u.action} ${resource}`).toBe('Allowed');
      }
  });
});
