/**
 * `pr` on real Serverless Framework files from public repositories (../shared/datasets/iac/serverless,
 * SOURCE.md names each): the statements list is matched against the role's inline policy as IAM has
 * it after a deploy (the file's statements plus the framework's own logging and stream statements,
 * expressions matching any text) and rewritten for a role using part of its grant. Only the list's
 * lines change, the result parses with the `yaml` package, expressions (`!GetAtt`, `Fn::GetAtt`,
 * `${self:...}`) are written back, dropped actions are gone, and files pr cannot edit are refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyShare, Statement } from '../src/model.js';
import { serverlessFile } from '../src/pr/serverless-framework.js';
import { readServerlessList } from '../src/pr/serverless-read.js';
import { matchServerless } from '../src/pr/serverless-match.js';
import { rewriteServerlessList } from '../src/pr/serverless-rewrite.js';

const IAC = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'iac', 'serverless');
const present = existsSync(join(IAC, 'dazn-powertools-example.yml'));
const why = present ? '' : ' (skipped: ../shared/datasets/iac is absent beside this checkout)';
const read = (path: string): string => readFileSync(join(IAC, path), 'utf8');

const ACCOUNT = '123456789012';
const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
/** The framework's own statements for a function's log group (v3 template, one statement). */
const logs = (service: string): Statement => ({
  Effect: 'Allow',
  Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: [
    `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${service}-dev*:*`,
    `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${service}-dev*:*:*`,
  ],
});

function share(name: string, current: PolicyDocument, proposed: PolicyDocument): PolicyShare {
  return { kind: 'inline', name, awsManaged: false, change: 'edit', current, proposed, grantedActions: 10, keptActions: 2, removedActions: [] };
}

interface Rewritten {
  before: string;
  after: string;
  /** The list's lines in the file before: [start, end). */
  span: [number, number];
}

function rewrite(path: string, role: string, current: PolicyDocument, proposed: PolicyDocument, resource?: string): Rewritten {
  const before = read(path);
  const match = matchServerless(path, before, resource, role, [share(`${role}-policy`, current, proposed)]);
  const after = rewriteServerlessList(path, before, match, match.share.proposed, match.expressions).content;
  const range = match.list.node?.range ?? [0, 0];
  return { before, after, span: [before.lastIndexOf('\n', range[0] - 1) + 1, range[1]] };
}

/** Bytes before and after the list are unchanged; the file parses; the list reads back. */
function expectOnlySpan(out: Rewritten): void {
  const [start, end] = out.span;
  expect(out.after.slice(0, start)).toBe(out.before.slice(0, start));
  expect(out.after.slice(out.after.length - (out.before.length - end))).toBe(out.before.slice(end));
  expect(parseDocument(out.after, { version: '1.1' }).errors).toEqual([]);
}

function actionsOf(path: string, text: string, resource: string): string[] {
  const list = serverlessFile(path, text).lists.find((l) => l.resource === resource && l.ignored === undefined);
  if (list === undefined) throw new Error(`no ${resource}`);
  return readServerlessList(path, text, list)
    .document.Statement.flatMap((s) => [s.Action ?? []].flat())
    .sort();
}

describe('Serverless Framework serverless.yml on real files', () => {
  it.skipIf(!present)(`serverless/examples golang-dynamo-stream-to-es (v3 provider.iam.role.statements, flow-style Fn::GetAtt / Fn::Join)${why}`, () => {
    const path = 'sls-examples-golang-dynamo-stream-to-es.yml';
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/puppies`;
    const domain = `arn:aws:es:us-east-1:${ACCOUNT}:domain/puppy-search`;
    const stream = `${table}/stream/2026-01-01T00:00:00.000`;
    const dynamodb = [
      'BatchGetItem',
      'DescribeReservedCapacity',
      'DescribeReservedCapacityOfferings',
      'DescribeStream',
      'DescribeTable',
      'GetItem',
      'GetRecords',
      'GetShardIterator',
      'ListStreams',
      'ListTables',
      'Query',
      'Scan',
    ];
    const current = doc(
      logs('aws-golang-dynamo-stream-to-elasticsearch'),
      { Effect: 'Allow', Action: dynamodb.map((a) => `dynamodb:${a}`), Resource: table },
      { Effect: 'Allow', Action: ['es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete', 'es:ESHttpGet'], Resource: [domain, `${domain}/*`] },
      { Effect: 'Allow', Action: ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams'], Resource: stream },
    );
    const proposed = doc(
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: table },
      { Effect: 'Allow', Action: 'es:ESHttpGet', Resource: `${domain}/*` },
      { Effect: 'Allow', Action: ['dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: stream },
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/aws-golang-dynamo-stream-to-elasticsearch-dev-x:*`,
      },
    );
    const out = rewrite(path, 'aws-golang-dynamo-stream-to-elasticsearch-dev-us-east-1-lambdaRole', current, proposed);
    expectOnlySpan(out);
    expect(out.after).toContain('{ "Fn::GetAtt": ["PuppyDemo", "Arn"] }');
    expect(out.after).toContain('{ "Fn::Join": ["", ["Fn::GetAtt": ["PuppySearch", "DomainArn"], "/*"]] }');
    expect(out.after).not.toContain(ACCOUNT);
    // The stream read and the logging are the framework's own statements: not written into the file.
    expect(actionsOf(path, out.after, 'provider')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'es:ESHttpGet']);
  });

  it.skipIf(!present)(`serverless/examples python-pynamodb-s3-sigurl: \${self:custom...} resources survive${why}`, () => {
    const path = 'sls-examples-python-pynamodb-s3-sigurl.yml';
    const table = 'arn:aws:dynamodb:us-east-1:*:table/sig-s3-uploader-test';
    const objects = 'arn:aws:s3:::sig-s3-uploader/test/*';
    const current = doc(
      logs('aws-python-pynamodb-s3-sigurl'),
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:Query',
          'dynamodb:Scan',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeTable',
        ],
        Resource: table,
      },
      { Effect: 'Allow', Action: 's3:*', Resource: objects },
    );
    const proposed = doc(
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: table },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: objects },
    );
    const out = rewrite(path, 'aws-python-pynamodb-s3-sigurl-test-us-east-1-lambdaRole', current, proposed);
    expectOnlySpan(out);
    expect(out.after).toContain('- ${self:custom.dynamodb_arn}');
    expect(out.after).toContain('- ${self:custom.s3_role_resource}');
    expect(out.after).not.toContain('sig-s3-uploader/test');
    expect(actionsOf(path, out.after, 'provider')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 's3:GetObject', 's3:PutObject']);
  });

  it.skipIf(!present)(`serverless/examples ruby-step-functions-callback: a statement dropped whole, !GetAtt kept${why}`, () => {
    const path = 'sls-examples-ruby-step-functions-callback.yml';
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/aws-ruby-step-functions-with-callback-dev`;
    const current = doc(
      logs('aws-ruby-step-functions-with-callback'),
      { Effect: 'Allow', Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'], Resource: '*' },
      { Effect: 'Allow', Action: 'comprehend:DetectPiiEntities', Resource: '*' },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table },
    );
    const proposed = doc(
      { Effect: 'Allow', Action: 'states:SendTaskSuccess', Resource: '*' },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table },
    );
    const out = rewrite(path, 'aws-ruby-step-functions-with-callback-dev-us-east-1-lambdaRole', current, proposed);
    expectOnlySpan(out);
    expect(out.after).toContain('- !GetAtt Table.Arn');
    expect(out.after).not.toContain('comprehend');
    expect(out.after).not.toContain('SendTaskFailure');
    expect(actionsOf(path, out.after, 'provider')).toEqual(['dynamodb:PutItem', 'states:SendTaskSuccess']);
  });

  it.skipIf(!present)(`laardee authentication-boilerplate (v1 provider.iamRoleStatements, lists not indented under their key)${why}`, () => {
    const path = 'sls-authentication-boilerplate.yml';
    const dynamodb = 'arn:aws:dynamodb:us-east-1:*:*';
    const current = doc(
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:CreateLogGroup'],
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/serverless-authentication-dev*:*`,
      },
      { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/serverless-authentication-dev*:*:*` },
      { Effect: 'Allow', Action: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: dynamodb },
      { Effect: 'Allow', Action: ['cognito-sync:*', 'cognito-identity:*'], Resource: 'arn:aws:cognito-identity:*:*:*' },
      { Effect: 'Allow', Action: 'cognito-idp:*', Resource: 'arn:aws:cognito-idp:*:*:*' },
    );
    const proposed = doc(
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:Query'], Resource: dynamodb },
      { Effect: 'Allow', Action: 'cognito-idp:GetUser', Resource: 'arn:aws:cognito-idp:*:*:*' },
    );
    const out = rewrite(path, 'serverless-authentication-dev-us-east-1-lambdaRole', current, proposed);
    expectOnlySpan(out);
    expect(out.after).toContain('  iamRoleStatements:\n    - Effect: Allow\n      Action:\n      - dynamodb:PutItem\n');
    expect(out.after).toContain('- arn:aws:dynamodb:${self:provider.region}:*:*');
    expect(out.after).not.toContain('cognito-sync');
    expect(actionsOf(path, out.after, 'provider')).toEqual(['cognito-idp:GetUser', 'dynamodb:PutItem', 'dynamodb:Query']);
  });

  it.skipIf(!present)(`MoonMail webhooks: four wildcard grants on "*" narrowed${why}`, () => {
    const path = 'moonmail-webhooks.yml';
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/MoonMail-v2-webhooks-dev-webhooks`;
    const stream = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/MoonMail-v2-webhooks-dev-event-stream`;
    const current = doc(
      logs('MoonMail-v2-webhooks'),
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' },
      { Effect: 'Allow', Action: 'kinesis:*', Resource: '*' },
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Allow', Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:ListStreams'], Resource: stream },
    );
    const proposed = doc(
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: table },
      { Effect: 'Allow', Action: 'kinesis:GetRecords', Resource: stream },
    );
    const out = rewrite(path, 'MoonMail-v2-webhooks-dev-us-east-1-lambdaRole', current, proposed);
    expectOnlySpan(out);
    expect(out.after).not.toMatch(/dynamodb:\*|kinesis:\*|s3:\*|lambda:InvokeFunction/);
    expect(actionsOf(path, out.after, 'provider')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });

  it.skipIf(!present)(`serverless-stack-demo-api: a block-style "Fn::GetAtt" list item kept${why}`, () => {
    const path = 'sst-demo-api/serverless.yml';
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/dev-notes`;
    const actions = ['DescribeTable', 'Query', 'Scan', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((a) => `dynamodb:${a}`);
    const current = doc(logs('notes-app-2-api'), { Effect: 'Allow', Action: actions, Resource: table });
    const proposed = doc({ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], Resource: table });
    const out = rewrite(path, 'notes-app-2-api-dev-us-east-1-lambdaRole', current, proposed);
    expectOnlySpan(out);
    expect(out.after).toContain('- "Fn::GetAtt": [ NotesTable, Arn ]');
    expect(out.after).not.toContain('dynamodb:Scan');
  });

  it.skipIf(!present)(
    `dazn-lambda-powertools: per-function roles, the list chosen by the role's name, !Ref kept and !GetAtt dropped with its action${why}`,
    () => {
      const path = 'dazn-powertools-example.yml';
      const topic = `arn:aws:sns:eu-west-2:${ACCOUNT}:lambda-powertools-demo`;
      const table = `arn:aws:dynamodb:eu-west-2:${ACCOUNT}:table/demo-DynamoDBTable-1`;
      const stream = `arn:aws:kinesis:eu-west-2:${ACCOUNT}:stream/demo-KinesisStream-1`;
      const perFunctionLogs = (fn: string): Statement => ({
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:eu-west-2:${ACCOUNT}:log-group:/aws/lambda/lambda-powertools-demo-dev-${fn}:*:*`,
      });
      const current = doc(
        perFunctionLogs('kinesis'),
        { Effect: 'Allow', Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:ListStreams'], Resource: stream },
        { Effect: 'Allow', Action: 'sns:Publish', Resource: topic },
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table },
      );
      const out = rewrite(
        path,
        'lambda-powertools-demo-dev-kinesis-eu-west-2-lambdaRole',
        current,
        doc({ Effect: 'Allow', Action: 'sns:Publish', Resource: topic }),
      );
      expectOnlySpan(out);
      expect(out.after.slice(out.span[0], out.after.length - (out.before.length - out.span[1]))).toBe(
        '      - Effect: Allow\n        Action:\n          - sns:Publish\n        Resource:\n          - !Ref SnsTopic\n',
      );
      expect(actionsOf(path, out.after, 'functions.kinesis')).toEqual(['sns:Publish']);
      // Four functions hold the same `sns:Publish` statement; the role's name says which one is firehose's.
      const firehose = doc(perFunctionLogs('firehose'), { Effect: 'Allow', Action: 'sns:Publish', Resource: topic });
      const text = read(path);
      const chosen = matchServerless(path, text, undefined, 'lambda-powertools-demo-dev-firehose-eu-west-2-lambdaRole', [share('p', firehose, firehose)]);
      expect(chosen.list.resource).toBe('functions.firehose');
      expect(() => matchServerless(path, text, undefined, 'custom-role', [share('p', firehose, firehose)])).toThrow(
        /4 statements lists match custom-role's policy: pass --resource/,
      );
      expect(matchServerless(path, text, 'eventbridge', 'custom-role', [share('p', firehose, firehose)]).list.resource).toBe('functions.eventbridge');
    },
  );

  describe('serverless-stack-demo-ext-api: a statement from ${file(../../serverless.common.yml):lambdaPolicyXRay}, followed', () => {
    const common = 'sst-demo-ext-api/serverless.common.yml';
    const includes = (): Map<string, string> => new Map([[common, read(common)]]);
    const xray: Statement = { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };

    it.skipIf(!present)(`notes-api: the reference kept as written, the table statement trimmed, !ImportValue kept${why}`, () => {
      const path = 'sst-demo-ext-api/services/notes-api/serverless.yml';
      const before = read(path);
      const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/dev-notes-ext-infra-notes`;
      const actions = ['DescribeTable', 'Query', 'Scan', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((a) => `dynamodb:${a}`);
      const current = doc(logs('notes-app-ext-notes-api'), xray, { Effect: 'Allow', Action: actions, Resource: table });
      const proposed = doc(xray, { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: table });
      const match = matchServerless(path, before, undefined, 'notes-app-ext-notes-api-dev-us-east-1-lambdaRole', [share('p', current, proposed)], includes());
      expect(match.read.included.map((i) => i.path)).toEqual([common]);
      const after = rewriteServerlessList(path, before, match, proposed, match.expressions).content;
      const range = match.list.node?.range ?? [0, 0];
      expectOnlySpan({ before, after, span: [before.lastIndexOf('\n', range[0] - 1) + 1, range[1]] });
      expect(after).toContain('  iamRoleStatements:\n    - ${file(../../serverless.common.yml):lambdaPolicyXRay}\n    - Effect: Allow\n');
      expect(after).toContain('- !ImportValue ${self:custom.sstApp}-ExtTableArn');
      expect(after).not.toContain('dynamodb:Scan');
      expect(after).not.toContain('xray:PutTraceSegments');
    });

    it.skipIf(!present)(`billing-api: a share that drops part of the shared statement is refused, the shared file named${why}`, () => {
      const path = 'sst-demo-ext-api/services/billing-api/serverless.yml';
      const before = read(path);
      const parameter = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/stripeSecretKey/*`;
      const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:dev-note-purchased`;
      const current = doc(
        logs('notes-app-ext-billing-api'),
        xray,
        { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameter },
        { Effect: 'Allow', Action: 'sns:Publish', Resource: topic },
      );
      const proposed = doc({ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }, { Effect: 'Allow', Action: 'sns:Publish', Resource: topic });
      const match = matchServerless(path, before, undefined, 'notes-app-ext-billing-api-dev-us-east-1-lambdaRole', [share('p', current, proposed)], includes());
      expect(() => rewriteServerlessList(path, before, match, proposed, match.expressions)).toThrow(
        /\$\{file\(\.\.\/\.\.\/serverless\.common\.yml\):lambdaPolicyXRay\} grants xray:PutTelemetryRecords on \*, which the share drops; iamtrim does not edit sst-demo-ext-api\/serverless.common.yml/,
      );
    });
  });

  it.skipIf(!present)(`a policy that is not the file's: refused naming the closest match${why}`, () => {
    const path = 'sls-examples-ruby-step-functions-callback.yml';
    const other = doc({ Effect: 'Allow', Action: ['states:SendTaskSuccess', 'ec2:RunInstances'], Resource: '*' });
    expect(() => matchServerless(path, read(path), undefined, 'r', [share('other-policy', other, other)])).toThrow(
      /no statements list in it is one of r's inline policies; closest: provider.iam.role.statements and other-policy \(inline\), 20% of action entries shared/,
    );
  });

  describe('files pr cannot edit are refused with the reason', () => {
    const current = doc({ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' });
    const cases: Array<[string, RegExp]> = [
      [
        'sst-demo-ext-api/services/notes-api/serverless.yml',
        /provider.iamRoleStatements: the statement is \$\{file\(\.\.\/\.\.\/serverless\.common\.yml\):lambdaPolicyXRay\}, from a file iamtrim cannot follow \(sst-demo-ext-api\/serverless.common.yml is not in the repository\)/,
      ],
      ['sst-demo-ext-api/services/billing-api/serverless.yml', /billing-api\/serverless.yml:\d+ provider.iamRoleStatements: the statement is \$\{file\(/],
      [
        'sls-examples-node-dynamic-image-resizer.yml',
        /functions.resize.iamRoleStatements: serverless-iam-roles-per-function is not in plugins, so the framework ignores function-level statements/,
      ],
    ];
    for (const [path, reason] of cases) {
      it.skipIf(!present)(`${path}${why}`, () => {
        expect(() => matchServerless(path, read(path), undefined, 'r', [share('p', current, current)])).toThrow(reason);
      });
    }
  });
});
