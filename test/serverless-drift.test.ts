/**
 * Drift, serverless view: anti-patterns found statement by statement (table-driven), and on the
 * demo account the report groups app-api under the two functions that share it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import type { RoleGrant, Statement } from '../src/model.js';
import { findAntiPatterns, type AntiPatternKind } from '../src/drift/lambda-drift.js';
import { expandTemplate } from '../src/policy/sam-templates.js';
import { runCli } from './helpers/run-cli.js';

const CTX = { partition: 'aws', accountId: '123456789012', region: 'eu-west-1' };

function grantOf(...Statement: Statement[]): RoleGrant {
  return {
    arn: 'arn:aws:iam::123456789012:role/fn',
    name: 'fn',
    path: '/',
    accountId: '123456789012',
    serviceLinked: false,
    policies: [{ kind: 'inline', name: 'OrdersFunctionRolePolicy0', document: { Version: '2012-10-17', Statement } }],
  };
}

const rows: { name: string; statements: Statement[]; expected: AntiPatternKind[] }[] = [
  { name: 'Action * on Resource *', statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }], expected: ['admin-wildcard'] },
  { name: 'Action * on one bucket is not admin', statements: [{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/*' }], expected: [] },
  { name: 'a Deny with * is no grant', statements: [{ Effect: 'Deny', Action: '*', Resource: '*' }], expected: [] },
  {
    name: 'service wildcards, one finding each',
    statements: [{ Effect: 'Allow', Action: ['s3:*', 'dynamodb:*', 's3:GetObject'], Resource: '*' }],
    expected: ['service-wildcard', 'service-wildcard'],
  },
  { name: 's3:Get* is not service-wide', statements: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }], expected: [] },
  {
    name: 'DynamoDBCrudPolicy as SAM expands it',
    statements: expandTemplate({ template: 'DynamoDBCrudPolicy', parameters: { TableName: 'orders' } }, CTX),
    expected: ['sam-template-avoided'],
  },
  {
    name: 'S3FullAccessPolicy (two statements)',
    statements: expandTemplate({ template: 'S3FullAccessPolicy', parameters: { BucketName: 'assets' } }, CTX),
    expected: ['sam-template-avoided', 'sam-template-avoided'],
  },
  {
    name: 'DynamoDBReadPolicy is fine',
    statements: expandTemplate({ template: 'DynamoDBReadPolicy', parameters: { TableName: 'orders' } }, CTX),
    expected: [],
  },
  {
    name: 'Crud actions on another resource shape are not the template',
    statements: [{ ...expandTemplate({ template: 'DynamoDBCrudPolicy', parameters: { TableName: 'orders' } }, CTX)[0], Resource: '*' } as Statement],
    expected: [],
  },
];

describe('findAntiPatterns', () => {
  it.each(rows)('$name', ({ statements, expected }) => {
    const found = findAntiPatterns(grantOf(...statements));
    expect(found.map((f) => f.kind)).toEqual(expected);
    for (const f of found) expect(f.where).toMatch(/^inline OrdersFunctionRolePolicy0 #\d/);
  });

  it('names the template and why it is discouraged', () => {
    const [f] = findAntiPatterns(grantOf(...expandTemplate({ template: 'DynamoDBCrudPolicy', parameters: { TableName: 'orders' } }, CTX)));
    expect(f?.detail).toMatch(/^DynamoDBCrudPolicy: .*DynamoDBReadPolicy/);
  });
});

describe('drift --lambda on the demo account', () => {
  let dir: string;
  let manifest: DemoManifest;
  let markdown: string;
  let html: string;
  let report: {
    serverless?: {
      functionsSource: string | null;
      groups: { role: string; functions: string[]; antiPatterns: { kind: string; detail: string }[] }[];
      otherRoles: { role: string; antiPatterns: { kind: string }[] }[];
    };
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-sdrift-'));
    manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-11-22T10:00:00Z'), events: 2500, seed: 5 });
    const out = join(dir, 'out');
    const run = await runCli(
      [
        'drift',
        '--iam',
        manifest.iamFile,
        '--logs',
        manifest.logsDir,
        '--end',
        manifest.window.end,
        '--lambda',
        manifest.lambdaFile,
        '--no-history',
        '--out',
        out,
      ],
      { now: manifest.window.end },
    );
    expect(run.code, run.err).toBe(0);
    markdown = await readFile(join(out, 'report.md'), 'utf8');
    html = await readFile(join(out, 'report.html'), 'utf8');
    report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('groups app-api under the two functions that share it', () => {
    expect(report.serverless?.groups.map((g) => [g.role, g.functions])).toEqual([['app-api', ['orders-api', 'orders-webhook']]]);
    expect(markdown).toContain('### orders-api, orders-webhook → role `app-api` — shared by 2 functions');
  });

  it('flags the seed-era anti-patterns of the demo roles explicitly', () => {
    const app = report.serverless?.groups[0];
    // app-api-data grants s3:* and dynamodb:*; the attached app-common grants logs:*.
    expect(app?.antiPatterns.map((a) => a.detail).sort()).toEqual(['dynamodb:*', 'logs:*', 's3:*']);
    const other = new Map(report.serverless?.otherRoles.map((r) => [r.role, r.antiPatterns.map((a) => a.kind)]));
    expect(other.get('ci-deploy')).toEqual(['admin-wildcard']);
    expect(other.get('legacy-batch')).toEqual(['service-wildcard', 'service-wildcard']);
    expect(markdown).toMatch(/\*\*admin-wildcard\*\* \(high\) in inline deploy-everything #1/);
    expect(markdown).toContain('(iamtrim minimize --function orders-api)');
  });

  it('shows the same grouping and anti-patterns in report.html', () => {
    expect(html).toContain('<div class="function-group" data-role="app-api"><h3>orders-api, orders-webhook → role <code>app-api</code>');
    const inJson = [...(report.serverless?.groups ?? []), ...(report.serverless?.otherRoles ?? [])]
      .flatMap((r) => r.antiPatterns)
      .filter((a) => a.kind === 'service-wildcard').length;
    expect(inJson).toBeGreaterThanOrEqual(5); // app-api's three and legacy-batch's two at least
    expect(html.match(/<b>service-wildcard<\/b>/g)?.length).toBe(inJson);
    expect(html).toMatch(/<b>admin-wildcard<\/b> \(high\) in inline deploy-everything #1: <code>/);
  });
});
