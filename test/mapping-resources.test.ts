import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { CallRow, MappedCall, RequiredPermission } from '../src/model.js';
import { callRow } from './mapping-helpers.js';

let map: (row: CallRow) => MappedCall;
beforeAll(async () => {
  map = createMapper(await loadCatalog());
});

function permission(m: MappedCall, action: string): RequiredPermission | undefined {
  return m.kind === 'mapped' ? m.permissions.find((p) => p.action === action) : undefined;
}

const A = '123456789012';
describe('ARN builders (request parameter shapes from real events and AWS docs)', () => {
  it.each([
    ['s3', 'GetObject', { bucketName: 'bkt', key: 'a/b.txt' }, 's3:GetObject', [`arn:aws:s3:::bkt/a/b.txt`]],
    ['s3', 'ListObjects', { bucketName: 'bkt' }, 's3:ListBucket', ['arn:aws:s3:::bkt']],
    [
      's3',
      'GetObject',
      { bucketName: `arn:aws:s3:eu-west-1:${A}:accesspoint/ap1`, key: 'k' },
      's3:GetObject',
      [`arn:aws:s3:eu-west-1:${A}:accesspoint/ap1/object/k`],
    ],
    ['s3', 'DeleteObjects', { bucketName: 'bkt' }, 's3:DeleteObject', ['arn:aws:s3:::bkt/*']],
    ['dynamodb', 'GetItem', { tableName: 'Orders' }, 'dynamodb:GetItem', [`arn:aws:dynamodb:eu-west-1:${A}:table/Orders`]],
    [
      'dynamodb',
      'Query',
      { tableName: 'Orders', indexName: 'byDate' },
      'dynamodb:Query',
      [`arn:aws:dynamodb:eu-west-1:${A}:table/Orders`, `arn:aws:dynamodb:eu-west-1:${A}:table/Orders/index/byDate`],
    ],
    [
      'dynamodb',
      'BatchGetItem',
      { requestItems: '{"A":{},"B":{}}' },
      'dynamodb:BatchGetItem',
      [`arn:aws:dynamodb:eu-west-1:${A}:table/A`, `arn:aws:dynamodb:eu-west-1:${A}:table/B`],
    ],
    [
      'dynamodb',
      'GetRecords',
      { streamArn: `arn:aws:dynamodb:eu-west-1:${A}:table/T/stream/2024-01-01T00:00:00.000` },
      'dynamodb:GetRecords',
      [`arn:aws:dynamodb:eu-west-1:${A}:table/T/stream/2024-01-01T00:00:00.000`],
    ],
    [
      'sqs',
      'SendMessage',
      { queueUrl: 'https://sqs.us-east-2.amazonaws.com/111122223333/jobs' },
      'sqs:SendMessage',
      ['arn:aws:sqs:us-east-2:111122223333:jobs'],
    ],
    [
      'sqs',
      'ReceiveMessage',
      { queueUrl: 'https://us-west-1.queue.amazonaws.com/111122223333/old' },
      'sqs:ReceiveMessage',
      ['arn:aws:sqs:us-west-1:111122223333:old'],
    ],
    ['sqs', 'CreateQueue', { queueName: 'q' }, 'sqs:CreateQueue', [`arn:aws:sqs:eu-west-1:${A}:q`]],
    ['sns', 'Publish', { topicArn: `arn:aws:sns:eu-west-1:${A}:alerts` }, 'sns:Publish', [`arn:aws:sns:eu-west-1:${A}:alerts`]],
    ['sns', 'CreateTopic', { name: 'alerts' }, 'sns:CreateTopic', [`arn:aws:sns:eu-west-1:${A}:alerts`]],
    ['lambda', 'Invoke', { functionName: 'fn' }, 'lambda:InvokeFunction', [`arn:aws:lambda:eu-west-1:${A}:function:fn`]],
    ['lambda', 'Invoke', { functionName: '111122223333:function:fn' }, 'lambda:InvokeFunction', ['arn:aws:lambda:eu-west-1:111122223333:function:fn']],
    [
      'lambda',
      'Invoke',
      { functionName: 'arn:aws:lambda:us-east-1:111122223333:function:fn:live' },
      'lambda:InvokeFunction',
      ['arn:aws:lambda:us-east-1:111122223333:function:fn:live'],
    ],
    ['lambda', 'Invoke', { functionName: 'fn', qualifier: '3' }, 'lambda:InvokeFunction', [`arn:aws:lambda:eu-west-1:${A}:function:fn:3`]],
    [
      'secretsmanager',
      'GetSecretValue',
      { secretId: 'prod/db' },
      'secretsmanager:GetSecretValue',
      [`arn:aws:secretsmanager:eu-west-1:${A}:secret:prod/db-??????`],
    ],
    [
      'secretsmanager',
      'GetSecretValue',
      { secretId: `arn:aws:secretsmanager:eu-west-1:${A}:secret:prod/db-AbCdEf` },
      'secretsmanager:GetSecretValue',
      [`arn:aws:secretsmanager:eu-west-1:${A}:secret:prod/db-AbCdEf`, `arn:aws:secretsmanager:eu-west-1:${A}:secret:prod/db-AbCdEf-??????`],
    ],
    [
      'secretsmanager',
      'GetSecretValue',
      { secretId: `arn:aws:secretsmanager:eu-west-1:${A}:secret:prod/db` },
      'secretsmanager:GetSecretValue',
      [`arn:aws:secretsmanager:eu-west-1:${A}:secret:prod/db-??????`],
    ],
    [
      'kms',
      'Decrypt',
      { keyId: `arn:aws:kms:eu-west-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
      'kms:Decrypt',
      [`arn:aws:kms:eu-west-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    ],
    [
      'kms',
      'Encrypt',
      { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
      'kms:Encrypt',
      [`arn:aws:kms:eu-west-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
    ],
    ['kms', 'Encrypt', { keyId: 'alias/app' }, 'kms:Encrypt', [`arn:aws:kms:eu-west-1:${A}:key/*`]],
    ['ssm', 'GetParameter', { name: '/app/db/password' }, 'ssm:GetParameter', [`arn:aws:ssm:eu-west-1:${A}:parameter/app/db/password`]],
    ['ssm', 'GetParameter', { name: 'plain' }, 'ssm:GetParameter', [`arn:aws:ssm:eu-west-1:${A}:parameter/plain`]],
    ['ssm', 'GetParametersByPath', { path: '/app' }, 'ssm:GetParametersByPath', [`arn:aws:ssm:eu-west-1:${A}:parameter/app`]],
    [
      'logs',
      'CreateLogStream',
      { logGroupName: '/aws/lambda/fn', logStreamName: 's1' },
      'logs:CreateLogStream',
      [`arn:aws:logs:eu-west-1:${A}:log-group:/aws/lambda/fn:log-stream:s1`],
    ],
    ['logs', 'DeleteLogGroup', { logGroupName: '/aws/lambda/fn' }, 'logs:DeleteLogGroup', [`arn:aws:logs:eu-west-1:${A}:log-group:/aws/lambda/fn:*`]],
    ['sts', 'AssumeRole', { roleArn: 'arn:aws:iam::111122223333:role/deploy' }, 'sts:AssumeRole', ['arn:aws:iam::111122223333:role/deploy']],
    ['kinesis', 'PutRecord', { streamName: 'clicks' }, 'kinesis:PutRecord', [`arn:aws:kinesis:eu-west-1:${A}:stream/clicks`]],
    [
      'states',
      'StartExecution',
      { stateMachineArn: `arn:aws:states:eu-west-1:${A}:stateMachine:flow` },
      'states:StartExecution',
      [`arn:aws:states:eu-west-1:${A}:stateMachine:flow`],
    ],
    [
      'events',
      'PutEvents',
      { entries: '[{"Source":"app"},{"EventBusName":"orders"}]' },
      'events:PutEvents',
      [`arn:aws:events:eu-west-1:${A}:event-bus/default`, `arn:aws:events:eu-west-1:${A}:event-bus/orders`],
    ],
    ['ecr', 'BatchGetImage', { repositoryName: 'web' }, 'ecr:BatchGetImage', [`arn:aws:ecr:eu-west-1:${A}:repository/web`]],
  ] as const)('%s %s %j -> %s on %j', (service, eventName, params, action, resources) => {
    const m = map(callRow({ eventSource: `${service}.amazonaws.com`, eventName, params: { ...params } }));
    expect(permission(m, action)?.resources).toEqual([...resources].sort());
  });

  it('takes the partition from the role ARN and resources[] over parameters', () => {
    const m = map(
      callRow({
        roleArn: 'arn:aws-us-gov:iam::123456789012:role/app',
        awsRegion: 'us-gov-west-1',
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'PutItem',
        params: { tableName: 'T' },
      }),
    );
    expect(permission(m, 'dynamodb:PutItem')?.resources).toEqual(['arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/T']);
    const withResources = map(
      callRow({
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        params: { bucketName: 'x', key: 'y' },
        resourceArns: ['arn:aws:s3:::b', 'arn:aws:s3:::b/k'],
      }),
    );
    expect(permission(withResources, 's3:GetObject')?.resources).toEqual(['arn:aws:s3:::b/k']);
  });

  it('uses the copy source for GetObject and the destination for PutObject (real elastic CopyObject shape)', () => {
    const m = map(
      callRow({
        eventSource: 's3.amazonaws.com',
        eventName: 'CopyObject',
        params: { bucketName: 'dst', key: 'copy.md', copySource: 'src/test-copy-object/README.md' },
        resourceArns: ['arn:aws:s3:::dst', 'arn:aws:s3:::dst/copy.md', 'arn:aws:s3:::src/test-copy-object/README.md'],
      }),
    );
    expect(permission(m, 's3:GetObject')?.resources).toEqual(['arn:aws:s3:::src/test-copy-object/README.md']);
    expect(permission(m, 's3:PutObject')?.resources).toEqual(['arn:aws:s3:::dst/copy.md']);
  });

  it('an action without resource types gets *; an underivable one a narrow pattern and a diagnostic', () => {
    expect(permission(map(callRow({ eventSource: 's3.amazonaws.com', eventName: 'ListBuckets' })), 's3:ListAllMyBuckets')?.resources).toEqual(['*']);
    const m = map(callRow({ eventSource: 'dynamodb.amazonaws.com', eventName: 'GetItem' }));
    expect(permission(m, 'dynamodb:GetItem')?.resources).toEqual([`arn:aws:dynamodb:eu-west-1:${A}:table/*`]);
    expect(m.diagnostics.map((d) => d.code)).toContain('resource-not-derived');
  });
});

describe('hidden permissions', () => {
  it.each([
    ['lambda', 'CreateFunction20150331', { role: `arn:aws:iam::${A}:role/exec` }, `arn:aws:iam::${A}:role/exec`, 'iam:PassRole for lambda:CreateFunction role'],
    [
      'lambda',
      'UpdateFunctionConfiguration20150331v2',
      { role: `arn:aws:iam::${A}:role/exec2` },
      `arn:aws:iam::${A}:role/exec2`,
      'iam:PassRole for lambda:UpdateFunctionConfiguration role',
    ],
    [
      'ecs',
      'RegisterTaskDefinition',
      { taskRoleArn: `arn:aws:iam::${A}:role/task` },
      `arn:aws:iam::${A}:role/task`,
      'iam:PassRole for ecs:RegisterTaskDefinition taskRoleArn',
    ],
    [
      'cloudformation',
      'CreateStack',
      { stackName: 's', roleArn: `arn:aws:iam::${A}:role/cfn` },
      `arn:aws:iam::${A}:role/cfn`,
      'iam:PassRole for cloudformation:CreateStack roleArn',
    ],
    [
      'ec2',
      'RunInstances',
      { instanceProfileArn: `arn:aws:iam::${A}:instance-profile/web` },
      `arn:aws:iam::${A}:role/*`,
      'iam:PassRole for ec2:RunInstances instanceProfileArn',
    ],
    [
      's3',
      'PutBucketReplication',
      { bucketName: 'b', replicationRole: `arn:aws:iam::${A}:role/repl` },
      `arn:aws:iam::${A}:role/repl`,
      'iam:PassRole for s3:PutReplicationConfiguration replicationRole',
    ],
  ] as const)('%s %s %j -> iam:PassRole on %s', (service, eventName, params, role, via) => {
    const m = map(callRow({ eventSource: `${service}.amazonaws.com`, eventName, params: { ...params } }));
    expect(permission(m, 'iam:PassRole')).toEqual({ action: 'iam:PassRole', resources: [role], via });
  });

  it('no PassRole without the role parameter', () =>
    expect(permission(map(callRow({ eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331' })), 'iam:PassRole')).toBeUndefined());

  it('a call made by a service with the role notes the service in via', () =>
    expect(permission(map(callRow({ eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', invokedBy: 's3.amazonaws.com' })), 'kms:Decrypt')?.via).toBe(
      'kms:Decrypt by s3.amazonaws.com',
    ));
});
