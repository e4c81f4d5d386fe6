/**
 * `pr` on CloudFormation templates (issue 20, item 5): through the CLI on the demo account, the
 * template's policy that is app-api's is found among the template's others and only its span
 * changes; a template holding none of the role's policies is refused naming the closest. Small
 * templates written here cover what the real files do not: a flow-style document, CRLF line
 * ends, anchors, `--resource`, and documents iamtrim must refuse.
 */
import { applyPatch } from 'diff';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import type { PolicyDocument, PolicyShare } from '../src/model.js';
import { matchTemplatePolicy, rewriteTemplatePolicy } from '../src/pr/cloudformation-rewrite.js';
import { parseCfn, resolveCfn } from './helpers/cloudformation.js';
import { runCli } from './helpers/run-cli.js';
import { dryRunPatch, fileDiffSection, git, initWorkingCopy } from './helpers/git-repo.js';

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
# The orders API stack.
Parameters:
  Stage: {Type: String, Default: prod}
Resources:
  AppApiRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-api
      Path: /service/
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns: [!Ref AppCommon]
      Policies:
        - PolicyName: app-api-data
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:*      # everything, for now
                Resource: "*"
              - Effect: Allow
                Action: dynamodb:*
                Resource: "*"
        # keep this note
      Tags: &tags
        - {Key: team, Value: orders}
  AppCommon:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: app-common
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: logs:*
            Resource: "*"
          - Effect: Allow
            Action: [kms:Decrypt, secretsmanager:GetSecretValue]
            Resource: "*"
  Builder:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
      Tags: *tags
      Policies:
        - PolicyName: build
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: ec2:*
                Resource: !Sub arn:\${AWS::Partition}:ec2:*:*:instance/*
`;

const UNRELATED = `Resources:
  Builder:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: build
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ec2:*, Resource: "*"}
              - {Effect: Allow, Action: s3:GetObject, Resource: "*"}
`;

let dir: string;
let work: string;
let manifest: DemoManifest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-pr-cfn-'));
  manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 3_000, seed: 11 });
  work = join(dir, 'work');
  initWorkingCopy(work);
  await writeFile(join(work, 'template.yaml'), TEMPLATE);
  await writeFile(join(work, 'unrelated.yaml'), UNRELATED);
  // As in lambda-power-tuning.yml: a flow mapping whose closing brace is not indented, which the yaml parser rejects.
  await writeFile(
    join(work, 'broken.yaml'),
    'Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      VpcConfig: !If [UseVpc, {\n        SubnetIds: !Ref Subnets\n    }, !Ref AWS::NoValue]\n',
  );
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
}, 120_000);

afterAll(async () => rm(dir, { recursive: true, force: true }));

const args = (file: string): string[] => [
  'pr',
  '--role',
  'app-api',
  '--days',
  '20',
  '--end',
  '2026-03-01T00:00:00Z',
  '--logs',
  manifest.logsDir,
  '--iam',
  manifest.iamFile,
  '--repo',
  work,
  '--file',
  file,
  '--dry-run',
];

describe('iamtrim pr --file template.yaml (CloudFormation)', () => {
  it("asks which policy when the template holds several of the role's", async () => {
    const run = await runCli(args('template.yaml'), { now: '2026-03-01T06:00:00Z' });
    expect(run.code).toBe(3);
    expect(run.err).toContain("2 of its policies are app-api's (AppApiRole (Role) policy app-api-data, AppCommon (AWS::IAM::ManagedPolicy))");
    expect(run.err).toContain('--resource LOGICAL_ID');
  }, 60_000);

  it('rewrites only the PolicyDocument of the policy --resource names, with what the role used of it', async () => {
    const run = await runCli([...args('template.yaml'), '--resource', 'AppApiRole'], { now: '2026-03-01T06:00:00Z' });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('Resources.AppApiRole.Properties.Policies[0]');
    const patch = dryRunPatch(run.out);
    const after = applyPatch(TEMPLATE, patch);
    expect(after).not.toBe(false);
    if (after === false) return;
    const start = TEMPLATE.indexOf('            Version: "2012-10-17"\n            Statement:\n              - Effect: Allow\n                Action: s3:*');
    const end = TEMPLATE.indexOf('        # keep this note');
    expect(after.slice(0, start)).toBe(TEMPLATE.slice(0, start));
    expect(after.endsWith(TEMPLATE.slice(end))).toBe(true);
    const doc = parseCfn(after).toJS() as { Resources: Record<string, { Properties: { Policies?: Array<{ PolicyDocument: PolicyDocument }> } }> };
    const written = doc.Resources['AppApiRole']?.Properties.Policies?.[0]?.PolicyDocument;
    // YAML 1.1 reads the version as the string IAM needs, not a date.
    expect(written?.Version).toBe('2012-10-17');
    const actions = (written?.Statement ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.length).toBeGreaterThan(0);
    // Only what app-api-data granted (s3, dynamodb), never app-common's kms/secrets/logs.
    for (const action of actions) expect(action).toMatch(/^(s3|dynamodb):/);
    expect(actions).not.toContain('s3:*');
    expect(actions).not.toContain('dynamodb:*');
    expect(git(work, 'status', '--porcelain')).toBe('');
  }, 60_000);

  it('pr --plan writes the reviewed plan into the template: the same file diff as computing it', async () => {
    const planFile = join(dir, 'plan.json');
    const minimize = await runCli(
      [
        'minimize',
        '--role',
        'app-api',
        '--days',
        '20',
        '--end',
        '2026-03-01T00:00:00Z',
        '--logs',
        manifest.logsDir,
        '--iam',
        manifest.iamFile,
        '--format',
        'json',
        '--out',
        planFile,
      ],
      { now: '2026-03-01T06:00:00Z' },
    );
    expect(minimize.code, minimize.err).toBe(0);
    const fromPlan = await runCli(['pr', '--plan', planFile, '--repo', work, '--file', 'template.yaml', '--resource', 'AppApiRole', '--dry-run'], {
      now: '2026-03-01T06:00:00Z',
    });
    expect(fromPlan.code, fromPlan.err).toBe(0);
    const computed = await runCli([...args('template.yaml'), '--resource', 'AppApiRole'], { now: '2026-03-01T06:00:00Z' });
    expect(fileDiffSection(fromPlan.out)).toContain('+                Action: s3:GetObject');
    expect(fileDiffSection(fromPlan.out)).toBe(fileDiffSection(computed.out));
  }, 60_000);

  it("refuses a template that holds none of the role's policies, naming the closest", async () => {
    const run = await runCli(args('unrelated.yaml'), { now: '2026-03-01T06:00:00Z' });
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/none of its 1 IAM policies is one of app-api's policies; closest: app-api-data/);
    expect(run.err.trim().split('\n')[0]).not.toMatch(/^\s+at /);
  }, 60_000);

  it("refuses a YAML file it cannot parse in one line naming the file and the parser's reason, writing nothing", async () => {
    const run = await runCli(args('broken.yaml'), { now: '2026-03-01T06:00:00Z' });
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/^iamtrim: --file broken\.yaml: not YAML iamtrim can read \(Flow map in block collection must be sufficiently indented/);
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(run.out).toBe('');
  }, 60_000);
});

function share(current: PolicyDocument, proposed: PolicyDocument): PolicyShare {
  return { kind: 'inline', name: 'p', awsManaged: false, change: 'edit', current, proposed, grantedActions: 2, keptActions: 1, removedActions: [] };
}

const BUCKET = 'arn:aws:s3:::app-stack-orders';
const current: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`${BUCKET}/*`, `arn:aws:test:eu-west-1:123456789012:resource/Table`] }],
};
const proposed: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/*` }] };

function policyTemplate(document: string, eol = '\n'): string {
  return ['Resources:', '  P:', '    Type: AWS::IAM::Policy', '    Properties:', `      PolicyDocument: ${document}`, '      Roles: [app]', ''].join(eol);
}

describe('CloudFormation policy documents written in other styles', () => {
  it('a flow-style document is written back as one flow line, its intrinsics kept', () => {
    const text = policyTemplate(
      "{Version: '2012-10-17', Statement: [{Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: [!Sub '${AWS::StackName}-orders/*', !GetAtt Table.Arn]}]}",
    ).replace("'${AWS::StackName}", "'arn:aws:s3:::${AWS::StackName}");
    const match = matchTemplatePolicy('t.yaml', text, undefined, [share(current, proposed)]);
    expect(match.kind).toBe('matched');
    if (match.kind !== 'matched') return;
    const after = rewriteTemplatePolicy('t.yaml', text, match.read.target, proposed, match.expressions).content;
    expect(after).toBe(
      policyTemplate(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": !Sub \'arn:aws:s3:::${AWS::StackName}-orders/*\'}]}',
      ),
    );
    expect(
      resolveCfn((parseCfn(after).toJS() as { Resources: { P: { Properties: { PolicyDocument: unknown } } } }).Resources.P.Properties.PolicyDocument),
    ).toEqual(proposed);
  });

  it('a CRLF template keeps CRLF in the new span', () => {
    const block = [
      '',
      '        Version: "2012-10-17"',
      '        Statement:',
      '          - Effect: Allow',
      '            Action: [s3:GetObject, s3:PutObject]',
      "            Resource: [!Sub 'arn:aws:s3:::${AWS::StackName}-orders/*', !GetAtt Table.Arn]",
    ].join('\r\n');
    const text = policyTemplate(block, '\r\n');
    const match = matchTemplatePolicy('t.yaml', text, undefined, [share(current, proposed)]);
    if (match.kind !== 'matched') throw new Error(match.kind);
    const after = rewriteTemplatePolicy('t.yaml', text, match.read.target, proposed, match.expressions).content;
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    expect(after).toContain("        Version: '2012-10-17'\r\n        Statement:\r\n          - Effect: Allow\r\n");
    expect(after).toContain("Resource: !Sub 'arn:aws:s3:::${AWS::StackName}-orders/*'\r\n      Roles: [app]");
  });

  it('a document with its marks written back as read (what --restore does) keeps every intrinsic and adds only the new statement', () => {
    const block = [
      '',
      '        Version: "2012-10-17"',
      '        Statement:',
      '          - Effect: Allow',
      '            Action: [s3:GetObject, s3:PutObject]',
      "            Resource: [!Sub 'arn:aws:s3:::${AWS::StackName}-orders/*', !GetAtt Table.Arn]",
    ].join('\n');
    const text = policyTemplate(block);
    const match = matchTemplatePolicy('t.yaml', text, undefined, [share(current, proposed)]);
    if (match.kind !== 'matched') throw new Error(match.kind);
    const added = { Sid: 'IamtrimRestore', Effect: 'Allow' as const, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:123456789012:orders' };
    const doc: PolicyDocument = { ...match.read.document, Statement: [...match.read.document.Statement, added] };
    const after = rewriteTemplatePolicy('t.yaml', text, match.read.target, doc, match.read.expressions).content;
    expect(after).toContain("- !Sub 'arn:aws:s3:::${AWS::StackName}-orders/*'\n              - !GetAtt Table.Arn");
    const written = resolveCfn(
      (parseCfn(after).toJS() as { Resources: { P: { Properties: { PolicyDocument: unknown } } } }).Resources.P.Properties.PolicyDocument,
    );
    expect(written).toEqual({ Version: '2012-10-17', Statement: [{ ...current.Statement[0] }, added] });
  });

  it('a SAM policy template in a JSON template is written as an inline document with JSON Fn::Sub', () => {
    const text = `${JSON.stringify({ Transform: 'AWS::Serverless-2016-10-31', Resources: { Fn: { Type: 'AWS::Serverless::Function', Properties: { Handler: 'index.handler', Policies: ['AWSLambdaBasicExecutionRole', { S3ReadPolicy: { BucketName: { Ref: 'Uploads' } } }] } } } }, null, 2)}\n`;
    // S3ReadPolicy as the SAM policy template list documents it, for bucket `uploads`.
    const inIam: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:GetObjectVersion', 's3:GetLifecycleConfiguration'],
          Resource: ['arn:aws:s3:::uploads', 'arn:aws:s3:::uploads/*'],
        },
      ],
    };
    const kept: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::uploads/*' }] };
    const match = matchTemplatePolicy('template.json', text, undefined, [{ ...share(inIam, kept), name: 'FnRolePolicy1' }]);
    if (match.kind !== 'matched') throw new Error(match.kind);
    expect(match.policy.id).toBe('Resources.Fn.Properties.Policies[1]');
    const after = rewriteTemplatePolicy('template.json', text, match.read.target, kept, match.expressions).content;
    expect(after).toContain('"Resource": {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${BucketName}/*", {"BucketName": {"Ref": "Uploads"}}]}');
    const parsed = JSON.parse(after) as { Resources: { Fn: { Properties: { Policies: unknown[] } } } };
    expect(parsed.Resources.Fn.Properties.Policies[0]).toBe('AWSLambdaBasicExecutionRole');
    expect(resolveCfn(parsed.Resources.Fn.Properties.Policies[1])).toEqual(kept);
  });

  it('--resource picks the policy by logical id or LOGICAL_ID.POLICY_NAME, and an unknown one is a usage error naming those found', () => {
    const text = `Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyName: a\n          PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}\n        - PolicyName: b\n          PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}\n`;
    const same: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    expect(matchTemplatePolicy('t.yaml', text, undefined, [share(same, same)]).kind).toBe('ambiguous');
    const picked = matchTemplatePolicy('t.yaml', text, 'R.b', [share(same, same)]);
    expect(picked.kind === 'matched' ? picked.policy.id : picked.kind).toBe('Resources.R.Properties.Policies[1]');
    expect(() => matchTemplatePolicy('t.yaml', text, 'Nope', [share(same, same)])).toThrow(/--resource Nope: no IAM policy of that name in t\.yaml/);
  });

  it.each([
    ['an anchor inside the document', "{Statement: [{Effect: Allow, Action: &a [s3:GetObject, s3:PutObject], Resource: '*'}]}", /anchor \(&a\)/],
    [
      'a resource chosen with Fn::If',
      "{Statement: [{Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !If [Prod, '*', !Ref AWS::NoValue]}]}",
      /Fn::If, which depends on Conditions/,
    ],
    [
      'a resource list from Fn::Split',
      "{Statement: [{Effect: Allow, Action: [s3:GetObject, s3:PutObject], Resource: !Split [',', !Ref Arns]}]}",
      /Fn::Split, whose length depends on the stack/,
    ],
    [
      'a document written as !Sub JSON text',
      '!Sub \'{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}\'',
      /PolicyDocument is built with Fn::Sub \(JSON text with substitutions\)/,
    ],
    [
      'a statement that is a Principal statement',
      "{Statement: [{Effect: Allow, Principal: '*', Action: [s3:GetObject, s3:PutObject], Resource: '*'}]}",
      /names a Principal/,
    ],
  ])('refuses %s, saying why', (_, document, reason) => {
    const found = matchTemplatePolicy('t.yaml', policyTemplate(document), undefined, [share(current, proposed)]);
    expect(found.kind).toBe('none');
    if (found.kind !== 'none') return;
    expect(found.refused.map((p) => (p.result.kind === 'refused' ? p.result.reason : '')).join()).toMatch(reason);
  });
});
