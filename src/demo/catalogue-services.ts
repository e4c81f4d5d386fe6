/**
 * A catalogue of ~30 services for the many `svc-NNN` roles of volume mode, so that benchmarks
 * exercise many roles, services, data events and errors. Each row names its IAM actions by hand.
 */
import { ACCOUNT_ID, call, dynamoCall, kmsCall, plainCall, pooledId, randomKey, s3ListCall, s3ObjectCall, sqsCall } from './call-builders.js';
import type { CallContext, CallSpec, RoleSpec } from './call-spec.js';
import { Prng, hashSeed } from './prng.js';

const DATA = { category: 'Data', readOnly: true } as const;
const DATA_WRITE = { category: 'Data', readOnly: false } as const;
const WRITE = { readOnly: false } as const;
const name = (ctx: CallContext, stem: string): string => `${stem}-${ctx.rng.int(1, 4)}`;

/** Service name -> the calls a role of that service makes, built for one role's resource names. */
function serviceCalls(service: string, own: string): CallSpec[] {
  switch (service) {
    case 's3':
      return [
        call('s3', 'GetObject', ['s3:GetObject'], 10, s3ObjectCall('GetObject', `${own}-${ACCOUNT_ID}`, randomKey('in/')), {
          ...DATA,
          failure: { rate: 0.01, code: 'NoSuchKey', message: 'The specified key does not exist.' },
        }),
        call('s3', 'PutObject', ['s3:PutObject'], 4, s3ObjectCall('PutObject', `${own}-${ACCOUNT_ID}`, randomKey('out/')), DATA_WRITE),
        call(
          's3',
          'ListObjects',
          ['s3:ListBucket'],
          2,
          s3ListCall(`${own}-${ACCOUNT_ID}`, () => 'in/'),
          DATA,
        ),
      ];
    case 'dynamodb':
      return [
        call(
          'dynamodb',
          'GetItem',
          ['dynamodb:GetItem'],
          10,
          dynamoCall(own, (ctx) => ({ key: { id: ctx.rng.hex(12) } })),
          DATA,
        ),
        call(
          'dynamodb',
          'Query',
          ['dynamodb:Query'],
          5,
          dynamoCall(own, () => ({ keyConditionExpression: 'pk = :pk' })),
          {
            ...DATA,
            failure: {
              rate: 0.005,
              code: 'ProvisionedThroughputExceededException',
              message: 'The level of configured provisioned throughput for the table was exceeded.',
            },
          },
        ),
        call(
          'dynamodb',
          'BatchWriteItem',
          ['dynamodb:BatchWriteItem'],
          2,
          dynamoCall(own, () => ({ requestItems: { [own]: 'HIDDEN_DUE_TO_SECURITY_REASONS' } })),
          DATA_WRITE,
        ),
      ];
    case 'sqs':
      return [
        call(
          'sqs',
          'SendMessage',
          ['sqs:SendMessage'],
          6,
          sqsCall(`${own}-queue`, () => ({ messageBody: 'HIDDEN_DUE_TO_SECURITY_REASONS' })),
          DATA_WRITE,
        ),
        call(
          'sqs',
          'ReceiveMessage',
          ['sqs:ReceiveMessage'],
          10,
          sqsCall(`${own}-queue`, () => ({ maxNumberOfMessages: 10, waitTimeSeconds: 20 })),
          DATA,
        ),
      ];
    case 'sns':
      return [
        call(
          'sns',
          'Publish',
          ['sns:Publish'],
          4,
          (ctx) => {
            const topicArn = `arn:aws:sns:${ctx.region}:${ctx.account}:${own}-events`;
            return {
              requestParameters: { topicArn, message: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
              responseElements: { messageId: ctx.rng.uuid() },
              resources: [{ accountId: ctx.account, type: 'AWS::SNS::Topic', ARN: topicArn }],
            };
          },
          DATA_WRITE,
        ),
      ];
    case 'kms':
      return [
        call(
          'kms',
          'Decrypt',
          ['kms:Decrypt'],
          4,
          kmsCall(`${hashSeed(own).toString(16)}-0000-4000-8000-000000000000`, () => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' })),
        ),
        call(
          'kms',
          'GenerateDataKey',
          ['kms:GenerateDataKey'],
          2,
          kmsCall(`${hashSeed(own).toString(16)}-0000-4000-8000-000000000000`, () => ({ keySpec: 'AES_256' })),
        ),
      ];
    case 'secretsmanager':
      return [
        call(
          'secretsmanager',
          'GetSecretValue',
          ['secretsmanager:GetSecretValue'],
          2,
          plainCall(() => ({ secretId: `prod/${own}/db` })),
        ),
      ];
    case 'ssm':
      return [
        call(
          'ssm',
          'GetParameter',
          ['ssm:GetParameter'],
          4,
          plainCall((ctx) => ({ name: `/${own}/${ctx.rng.pick(['url', 'flags', 'limits'])}`, withDecryption: true })),
        ),
        call(
          'ssm',
          'GetParametersByPath',
          ['ssm:GetParametersByPath'],
          1,
          plainCall(() => ({ path: `/${own}/`, recursive: true, withDecryption: true })),
        ),
      ];
    case 'lambda':
      return [
        call(
          'lambda',
          'Invoke',
          ['lambda:InvokeFunction'],
          5,
          (ctx) => {
            const arn = `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${name(ctx, own)}`;
            return {
              requestParameters: { functionName: arn, invocationType: 'RequestResponse' },
              responseElements: null,
              resources: [{ accountId: ctx.account, type: 'AWS::Lambda::Function', ARN: arn }],
            };
          },
          DATA_WRITE,
        ),
      ];
    case 'ec2':
      return [
        call(
          'ec2',
          'DescribeInstances',
          ['ec2:DescribeInstances'],
          3,
          plainCall(() => ({ instancesSet: {}, filterSet: {} })),
        ),
        call(
          'ec2',
          'DescribeSecurityGroups',
          ['ec2:DescribeSecurityGroups'],
          1,
          plainCall(() => ({ securityGroupSet: {}, filterSet: {} })),
        ),
      ];
    case 'ecr':
      return [
        call(
          'ecr',
          'GetAuthorizationToken',
          ['ecr:GetAuthorizationToken'],
          1,
          plainCall(() => ({})),
        ),
        call(
          'ecr',
          'BatchGetImage',
          ['ecr:BatchGetImage'],
          2,
          plainCall((ctx) => ({ repositoryName: own, registryId: ctx.account, imageIds: [{ imageTag: 'latest' }] })),
        ),
      ];
    case 'logs':
      return [
        call(
          'logs',
          'DescribeLogGroups',
          ['logs:DescribeLogGroups'],
          1,
          plainCall(() => ({ logGroupNamePrefix: `/aws/${own}` })),
        ),
      ];
    case 'monitoring':
      return [
        call(
          'monitoring',
          'GetMetricData',
          ['cloudwatch:GetMetricData'],
          2,
          plainCall(() => ({ startTime: 'Jan 1, 2026, 12:00:00 AM', endTime: 'Jan 1, 2026, 1:00:00 AM' })),
        ),
      ];
    case 'kinesis':
      return [
        call(
          'kinesis',
          'PutRecord',
          ['kinesis:PutRecord'],
          6,
          (ctx) => {
            const arn = `arn:aws:kinesis:${ctx.region}:${ctx.account}:stream/${own}`;
            return {
              requestParameters: { streamName: own, partitionKey: ctx.rng.hex(8) },
              responseElements: null,
              resources: [{ accountId: ctx.account, type: 'AWS::Kinesis::Stream', ARN: arn }],
            };
          },
          DATA_WRITE,
        ),
      ];
    case 'states':
      return [
        call(
          'states',
          'StartExecution',
          ['states:StartExecution'],
          1,
          plainCall((ctx) => ({
            stateMachineArn: `arn:aws:states:${ctx.region}:${ctx.account}:stateMachine:${own}`,
            name: ctx.rng.uuid(),
          })),
          WRITE,
        ),
      ];
    case 'glue':
      return [
        call(
          'glue',
          'GetTable',
          ['glue:GetTable'],
          1,
          plainCall(() => ({ databaseName: own.replace(/-/g, '_'), name: 'events' })),
        ),
      ];
    case 'athena':
      return [
        call(
          'athena',
          'GetQueryExecution',
          ['athena:GetQueryExecution'],
          2,
          plainCall((ctx) => ({ queryExecutionId: ctx.rng.uuid() })),
        ),
      ];
    case 'rds':
      return [
        call(
          'rds',
          'DescribeDBInstances',
          ['rds:DescribeDBInstances'],
          1,
          plainCall(() => ({ dBInstanceIdentifier: `${own}-db` })),
        ),
      ];
    case 'rds-data':
      return [
        call(
          'rds-data',
          'ExecuteStatement',
          ['rds-data:ExecuteStatement'],
          3,
          plainCall((ctx) => ({
            resourceArn: `arn:aws:rds:${ctx.region}:${ctx.account}:cluster:${own}`,
            database: 'app',
            sql: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          })),
          WRITE,
        ),
      ];
    case 'ecs':
      return [
        call(
          'ecs',
          'DescribeServices',
          ['ecs:DescribeServices'],
          1,
          plainCall(() => ({ cluster: 'main', services: [own] })),
        ),
      ];
    case 'cloudformation':
      return [
        call(
          'cloudformation',
          'DescribeStacks',
          ['cloudformation:DescribeStacks'],
          1,
          plainCall(() => ({ stackName: `${own}-stack` })),
        ),
      ];
    case 'route53':
      return [
        call(
          'route53',
          'ListHostedZones',
          ['route53:ListHostedZones'],
          0.5,
          plainCall(() => null),
          { global: true, region: 'us-east-1' },
        ),
      ];
    case 'iam':
      return [
        call(
          'iam',
          'GetRole',
          ['iam:GetRole'],
          0.5,
          plainCall(() => ({ roleName: own })),
          { global: true, region: 'us-east-1' },
        ),
      ];
    case 'sts':
      return [
        call(
          'sts',
          'AssumeRole',
          ['sts:AssumeRole'],
          1,
          (ctx) => {
            const roleArn = `arn:aws:iam::${ctx.account}:role/${own}-cross`;
            return {
              requestParameters: { roleArn, roleSessionName: own, durationSeconds: 3600 },
              responseElements: {
                credentials: {
                  accessKeyId: `ASIA${ctx.rng.upperAlnum(16)}`,
                  sessionToken: 'HIDDEN_DUE_TO_SECURITY_REASONS',
                  expiration: 'Jan 1, 2026, 1:00:00 AM',
                },
              },
              resources: [{ accountId: ctx.account, type: 'AWS::IAM::Role', ARN: roleArn }],
            };
          },
          { global: true, region: 'us-east-1' },
        ),
      ];
    case 'ses':
      return [
        call(
          'ses',
          'SendEmail',
          ['ses:SendEmail'],
          2,
          plainCall(() => ({ source: `noreply@example.com`, destination: 'HIDDEN_DUE_TO_SECURITY_REASONS' })),
          WRITE,
        ),
      ];
    case 'cognito-idp':
      return [
        call(
          'cognito-idp',
          'AdminGetUser',
          ['cognito-idp:AdminGetUser'],
          2,
          plainCall((ctx) => ({
            userPoolId: `${ctx.region}_${pooledId(ctx, `${own} user pool`, 2, (rng) => rng.alnum(9))}`,
            username: 'HIDDEN_DUE_TO_SECURITY_REASONS',
          })),
        ),
      ];
    case 'apigateway':
      return [
        call(
          'apigateway',
          'GetRestApis',
          ['apigateway:GET'],
          0.5,
          plainCall(() => ({ limit: 500 })),
        ),
      ];
    case 'elasticloadbalancing':
      return [
        call(
          'elasticloadbalancing',
          'DescribeTargetHealth',
          ['elasticloadbalancing:DescribeTargetHealth'],
          1,
          plainCall((ctx) => ({
            targetGroupArn: `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.account}:targetgroup/${own}/${pooledId(ctx, `${own} target group`, 3, (rng) => rng.hex(16))}`,
          })),
        ),
      ];
    case 'autoscaling':
      return [
        call(
          'autoscaling',
          'DescribeAutoScalingGroups',
          ['autoscaling:DescribeAutoScalingGroups'],
          1,
          plainCall(() => ({ autoScalingGroupNames: [own] })),
        ),
      ];
    case 'bedrock':
      return [
        call(
          'bedrock',
          'InvokeModel',
          ['bedrock:InvokeModel'],
          2,
          plainCall((ctx) => ({
            modelId: `arn:aws:bedrock:${ctx.region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0`,
          })),
        ),
      ];
    case 'eks':
      return [
        call(
          'eks',
          'DescribeCluster',
          ['eks:DescribeCluster'],
          1,
          plainCall(() => ({ name: 'main' })),
        ),
      ];
    case 'acm':
      return [
        call(
          'acm',
          'DescribeCertificate',
          ['acm:DescribeCertificate'],
          0.5,
          plainCall((ctx) => ({
            certificateArn: `arn:aws:acm:${ctx.region}:${ctx.account}:certificate/${pooledId(ctx, `${own} certificate`, 3, (rng) => rng.uuid())}`,
          })),
        ),
      ];
    default:
      throw new Error(`unknown demo service ${service}`);
  }
}

/** The services an extra role may use; `s3`, `dynamodb`, `sqs` and `kms` are the common ones. */
export const DEMO_SERVICES: readonly string[] = [
  's3',
  's3',
  'dynamodb',
  'dynamodb',
  'sqs',
  'sns',
  'kms',
  'kms',
  'secretsmanager',
  'ssm',
  'lambda',
  'ec2',
  'ecr',
  'logs',
  'monitoring',
  'kinesis',
  'states',
  'glue',
  'athena',
  'rds',
  'rds-data',
  'ecs',
  'cloudformation',
  'route53',
  'iam',
  'sts',
  'ses',
  'cognito-idp',
  'apigateway',
  'elasticloadbalancing',
  'autoscaling',
  'bedrock',
  'eks',
  'acm',
];

/** Services an extra role tries without permission now and then (its denied attempts). */
const DENIED_TRIES: readonly CallSpec[] = [
  call(
    'ssm',
    'GetParameter',
    ['ssm:GetParameter'],
    0.05,
    plainCall(() => ({ name: '/shared/admin-token', withDecryption: true })),
    {
      denied: {
        code: 'AccessDeniedException',
        message:
          'User is not authorized to perform: ssm:GetParameter on resource: parameter/shared/admin-token because no identity-based policy allows the ssm:GetParameter action',
      },
    },
  ),
  call(
    's3',
    'ListBuckets',
    ['s3:ListAllMyBuckets'],
    0.05,
    plainCall(() => ({ Host: 's3.amazonaws.com' })),
    {
      denied: { code: 'AccessDenied', message: 'Access Denied' },
    },
  ),
];

/** Builds `count` extra roles `svc-000`...; each draws 2-5 services from its own seeded stream. */
export function extraRoles(count: number, seed: number): RoleSpec[] {
  const roles: RoleSpec[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Prng(hashSeed(seed, 'extra-role', i));
    const name = `svc-${String(i).padStart(3, '0')}`;
    const services = new Set<string>();
    const wanted = rng.int(2, 5);
    while (services.size < wanted) services.add(rng.pick(DEMO_SERVICES));
    const calls: CallSpec[] = [];
    for (const service of [...services].sort()) calls.push(...serviceCalls(service, name));
    if (rng.chance(0.3)) calls.push(rng.pick(DENIED_TRIES));
    roles.push({
      name,
      path: rng.chance(0.5) ? '/service/' : '/',
      description: `Workload role for ${name}`,
      kind: rng.pick(['lambda', 'ecs', 'ec2'] as const),
      profile: rng.pick(['daytime-bump', 'steady', 'steady', 'nightly-batch', 'business-bursts'] as const),
      share: Math.pow(rng.next(), 2) + 0.01,
      homeRegion: rng.chance(0.8) ? 'eu-west-1' : 'us-east-1',
      sessionNames: [],
      calls,
    });
  }
  return roles;
}
