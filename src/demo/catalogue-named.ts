/**
 * The hand-written roles of the demo account: what each one really does, day by day. This is the
 * story the README demo tells, so each row names the IAM actions by hand.
 */
import {
  ACCOUNT_ID,
  HOME_REGION,
  S3_ACCESS_DENIED,
  call,
  dynamoCall,
  kmsCall,
  plainCall,
  pooledId,
  randomKey,
  s3ListCall,
  s3ObjectCall,
  sqsCall,
} from './call-builders.js';
import type { CallContext, CallSpec, RoleSpec } from './call-spec.js';

const ASSETS = `app-assets-${ACCOUNT_ID}`;
const REPORTS = `reports-${ACCOUNT_ID}`;
const ARTIFACTS = `deploy-artifacts-${ACCOUNT_ID}`;
const DATALAKE = `datalake-${ACCOUNT_ID}`;
const APP_KEY = '0f3c2a5e-7b1d-4c8e-9a62-5d4e3f2a1b0c';
const THROTTLED = { rate: 0.003, code: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' };
const DATA = { category: 'Data', readOnly: true } as const;
const DATA_WRITE = { category: 'Data', readOnly: false } as const;
const WRITE = { readOnly: false } as const;

const customer = (ctx: CallContext): string => `cust-${ctx.rng.int(1000, 1999)}`;
const orderKey = (ctx: CallContext) => ({ key: { orderId: `ord-${ctx.rng.hex(10)}` } });

const appApi: CallSpec[] = [
  call(
    'dynamodb',
    'GetItem',
    ['dynamodb:GetItem'],
    30,
    dynamoCall('orders', (ctx) => ({ ...orderKey(ctx), consistentRead: false })),
    DATA,
  ),
  call('dynamodb', 'PutItem', ['dynamodb:PutItem'], 10, dynamoCall('orders', orderKey), { ...DATA_WRITE, failure: THROTTLED }),
  call(
    'dynamodb',
    'UpdateItem',
    ['dynamodb:UpdateItem'],
    6,
    dynamoCall('orders', (ctx) => ({
      ...orderKey(ctx),
      updateExpression: 'SET #s = :s',
      conditionExpression: 'attribute_exists(orderId)',
    })),
    { ...DATA_WRITE, failure: THROTTLED },
  ),
  call(
    'dynamodb',
    'Query',
    ['dynamodb:Query'],
    12,
    dynamoCall('orders', () => ({
      keyConditionExpression: 'orderId = :id',
      limit: 1,
    })),
    { ...DATA, failure: THROTTLED },
  ),
  call(
    'dynamodb',
    'Query',
    ['dynamodb:Query'],
    6,
    dynamoCall('orders', () => ({
      indexName: 'by-customer',
      keyConditionExpression: 'customerId = :c',
      scanIndexForward: false,
    })),
    DATA,
  ),
  call(
    's3',
    'GetObject',
    ['s3:GetObject'],
    20,
    s3ObjectCall('GetObject', ASSETS, (ctx) => (ctx.rng.chance(0.7) ? randomKey(`uploads/${customer(ctx)}/`)(ctx) : randomKey('public/img/')(ctx))),
    {
      ...DATA,
      failure: { rate: 0.01, code: 'NoSuchKey', message: 'The specified key does not exist.' },
    },
  ),
  call(
    's3',
    'PutObject',
    ['s3:PutObject'],
    6,
    s3ObjectCall('PutObject', ASSETS, (ctx) => randomKey(`uploads/${customer(ctx)}/`)(ctx)),
    DATA_WRITE,
  ),
  call('s3', 'HeadObject', ['s3:GetObject'], 8, s3ObjectCall('HeadObject', ASSETS, randomKey('public/img/')), DATA),
  // The bucket policy denies deletes; the application still tries now and then.
  call(
    's3',
    'DeleteObject',
    ['s3:DeleteObject'],
    0.2,
    s3ObjectCall('DeleteObject', ASSETS, (ctx) => randomKey(`uploads/${customer(ctx)}/`)(ctx)),
    {
      ...DATA_WRITE,
      denied: S3_ACCESS_DENIED,
    },
  ),
  call(
    'secretsmanager',
    'GetSecretValue',
    ['secretsmanager:GetSecretValue'],
    2,
    plainCall(() => ({ secretId: 'prod/app-api/db' })),
  ),
  call(
    'kms',
    'Decrypt',
    ['kms:Decrypt'],
    3,
    kmsCall(APP_KEY, () => ({
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      encryptionContext: {
        SecretARN: `arn:aws:secretsmanager:${HOME_REGION}:${ACCOUNT_ID}:secret:prod/app-api/db-Xk2p9Q`,
        SecretVersionId: 'b5a4c3d2-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
      },
    })),
  ),
  call(
    'sts',
    'GetCallerIdentity',
    [],
    0.5,
    plainCall(() => null),
    { global: true },
  ),
];

const queueWorker: CallSpec[] = [
  call(
    'sqs',
    'ReceiveMessage',
    ['sqs:ReceiveMessage'],
    40,
    sqsCall('orders-queue', () => ({
      maxNumberOfMessages: 10,
      waitTimeSeconds: 20,
      attributeNames: ['All'],
    })),
    DATA,
  ),
  call(
    'sqs',
    'DeleteMessage',
    ['sqs:DeleteMessage'],
    15,
    sqsCall('orders-queue', (ctx) => ({ receiptHandle: `AQEB${ctx.rng.alnum(40)}` })),
    DATA_WRITE,
  ),
  call(
    'sqs',
    'ChangeMessageVisibility',
    ['sqs:ChangeMessageVisibility'],
    3,
    sqsCall('orders-queue', (ctx) => ({
      receiptHandle: `AQEB${ctx.rng.alnum(40)}`,
      visibilityTimeout: 300,
    })),
    DATA_WRITE,
  ),
  call(
    'sns',
    'Publish',
    ['sns:Publish'],
    10,
    (ctx) => {
      const topicArn = `arn:aws:sns:${ctx.region}:${ctx.account}:order-events`;
      return {
        requestParameters: { topicArn, message: 'HIDDEN_DUE_TO_SECURITY_REASONS', messageAttributes: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        responseElements: { messageId: ctx.rng.uuid() },
        resources: [{ accountId: ctx.account, type: 'AWS::SNS::Topic', ARN: topicArn }],
      };
    },
    DATA_WRITE,
  ),
  call(
    's3',
    'PutObject',
    ['s3:PutObject'],
    1,
    s3ObjectCall('PutObject', REPORTS, (ctx) => randomKey(`daily/${ctx.day}/`)(ctx)),
    DATA_WRITE,
  ),
  call(
    's3',
    'GetObject',
    ['s3:GetObject'],
    0.5,
    s3ObjectCall('GetObject', REPORTS, (ctx) => randomKey(`daily/${ctx.day}/`)(ctx)),
    DATA,
  ),
  call(
    'ec2',
    'DescribeInstances',
    ['ec2:DescribeInstances'],
    0.2,
    plainCall(() => ({ instancesSet: {}, filterSet: {} })),
    {
      denied: {
        code: 'Client.UnauthorizedOperation',
        message:
          'You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/queue-worker/worker is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action',
      },
    },
  ),
];

const stackArn = `arn:aws:cloudformation:${HOME_REGION}:${ACCOUNT_ID}:stack/orders-stack/2f7c9a10-3b4d-11ef-9e2a-0a1b2c3d4e5f`;
const changeSet = (ctx: CallContext) => ({ changeSetName: `deploy-${ctx.rng.hex(8)}`, stackName: 'orders-stack' });
const functionName = (ctx: CallContext): string => ctx.rng.pick(['orders-api', 'orders-webhook']);
const ecrRepo = (ctx: CallContext) => ({ repositoryName: 'orders', registryId: ctx.account });
const ecrResources = (ctx: CallContext) => [{ accountId: ctx.account, ARN: `arn:aws:ecr:${ctx.region}:${ctx.account}:repository/orders` }];

const ciDeploy: CallSpec[] = [
  call(
    'cloudformation',
    'DescribeStacks',
    ['cloudformation:DescribeStacks'],
    20,
    plainCall(() => ({ stackName: 'orders-stack' })),
  ),
  call(
    'cloudformation',
    'CreateChangeSet',
    ['cloudformation:CreateChangeSet'],
    2,
    (ctx) => ({
      requestParameters: {
        ...changeSet(ctx),
        templateURL: `https://s3.${ctx.region}.amazonaws.com/${ARTIFACTS}/orders-stack/${ctx.rng.hex(32)}.template`,
        capabilities: ['CAPABILITY_IAM'],
        changeSetType: 'UPDATE',
      },
      responseElements: { id: `arn:aws:cloudformation:${ctx.region}:${ctx.account}:changeSet/deploy/${ctx.rng.uuid()}`, stackId: stackArn },
    }),
    WRITE,
  ),
  call('cloudformation', 'DescribeChangeSet', ['cloudformation:DescribeChangeSet'], 6, plainCall(changeSet)),
  call('cloudformation', 'ExecuteChangeSet', ['cloudformation:ExecuteChangeSet'], 2, plainCall(changeSet), WRITE),
  call(
    'lambda',
    'GetFunction20150331v2',
    ['lambda:GetFunction'],
    4,
    plainCall((ctx) => ({ functionName: functionName(ctx) })),
    { apiVersion: '2015-03-31' },
  ),
  call(
    'lambda',
    'UpdateFunctionCode20150331v2',
    ['lambda:UpdateFunctionCode'],
    2,
    plainCall((ctx) => ({
      functionName: functionName(ctx),
      s3Bucket: ARTIFACTS,
      s3Key: `lambda/${ctx.rng.hex(32)}.zip`,
      publish: true,
    })),
    { ...WRITE, apiVersion: '2015-03-31' },
  ),
  // Passing the execution role needs iam:PassRole, which CloudTrail never records.
  call(
    'lambda',
    'UpdateFunctionConfiguration20150331v2',
    ['iam:PassRole', 'lambda:UpdateFunctionConfiguration'],
    1,
    plainCall((ctx) => ({
      functionName: functionName(ctx),
      role: `arn:aws:iam::${ctx.account}:role/service/app-api`,
      timeout: 30,
      memorySize: 512,
    })),
    { ...WRITE, apiVersion: '2015-03-31' },
  ),
  call(
    's3',
    'PutObject',
    ['s3:PutObject'],
    2,
    s3ObjectCall('PutObject', ARTIFACTS, (ctx) => randomKey('orders-stack/')(ctx)),
    DATA_WRITE,
  ),
  call(
    'ecr',
    'GetAuthorizationToken',
    ['ecr:GetAuthorizationToken'],
    2,
    plainCall(() => ({})),
  ),
  call('ecr', 'BatchCheckLayerAvailability', ['ecr:BatchCheckLayerAvailability'], 4, (ctx) => ({
    requestParameters: { ...ecrRepo(ctx), layerDigests: [`sha256:${ctx.rng.hex(64)}`] },
    responseElements: null,
    resources: ecrResources(ctx),
  })),
  call(
    'ecr',
    'InitiateLayerUpload',
    ['ecr:InitiateLayerUpload'],
    2,
    (ctx) => ({
      requestParameters: ecrRepo(ctx),
      responseElements: { uploadId: ctx.rng.uuid(), partSize: 10485760 },
      resources: ecrResources(ctx),
    }),
    WRITE,
  ),
  call(
    'ecr',
    'UploadLayerPart',
    ['ecr:UploadLayerPart'],
    4,
    (ctx) => ({
      requestParameters: { ...ecrRepo(ctx), uploadId: ctx.rng.uuid(), partFirstByte: 0, partLastByte: ctx.rng.int(1000, 9_000_000) },
      responseElements: null,
      resources: ecrResources(ctx),
    }),
    WRITE,
  ),
  call(
    'ecr',
    'CompleteLayerUpload',
    ['ecr:CompleteLayerUpload'],
    2,
    (ctx) => ({
      requestParameters: { ...ecrRepo(ctx), uploadId: ctx.rng.uuid(), layerDigests: [`sha256:${ctx.rng.hex(64)}`] },
      responseElements: null,
      resources: ecrResources(ctx),
    }),
    WRITE,
  ),
  call(
    'ecr',
    'PutImage',
    ['ecr:PutImage'],
    1,
    (ctx) => ({
      requestParameters: { ...ecrRepo(ctx), imageTag: ctx.rng.hex(7), imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
      responseElements: null,
      resources: ecrResources(ctx),
    }),
    WRITE,
  ),
];

const athena = (ctx: CallContext) => ({ queryExecutionId: ctx.rng.uuid() });
const dataPipeline: CallSpec[] = [
  call(
    's3',
    'GetObject',
    ['s3:GetObject'],
    20,
    s3ObjectCall('GetObject', DATALAKE, (ctx) => randomKey(`raw/orders/dt=${ctx.day}/`)(ctx)),
    DATA,
  ),
  call(
    's3',
    'ListObjects',
    ['s3:ListBucket'],
    4,
    s3ListCall(DATALAKE, (ctx) => ctx.rng.pick([`raw/orders/dt=${ctx.day}/`, 'curated/orders/'])),
    DATA,
  ),
  call(
    's3',
    'PutObject',
    ['s3:PutObject'],
    8,
    s3ObjectCall('PutObject', DATALAKE, (ctx) => randomKey(`curated/orders/dt=${ctx.day}/`)(ctx)),
    DATA_WRITE,
  ),
  call(
    'athena',
    'StartQueryExecution',
    ['athena:StartQueryExecution'],
    1,
    (ctx) => ({
      requestParameters: {
        queryString: `INSERT INTO curated.orders_daily SELECT * FROM raw.orders WHERE dt = '${ctx.day}'`,
        queryExecutionContext: { database: 'curated' },
        workGroup: 'primary',
        clientRequestToken: ctx.rng.uuid(),
      },
      responseElements: athena(ctx),
    }),
    WRITE,
  ),
  call('athena', 'GetQueryExecution', ['athena:GetQueryExecution'], 5, plainCall(athena)),
  call(
    'athena',
    'GetQueryResults',
    ['athena:GetQueryResults'],
    2,
    plainCall((ctx) => ({ ...athena(ctx), maxResults: 1000 })),
  ),
  call(
    'glue',
    'GetTable',
    ['glue:GetTable'],
    1,
    plainCall((ctx) => ({ databaseName: 'curated', name: ctx.rng.pick(['orders_daily', 'customers']) })),
  ),
  call(
    'glue',
    'GetDatabase',
    ['glue:GetDatabase'],
    0.5,
    plainCall(() => ({ name: 'curated' })),
  ),
];

// Network interfaces are one per task, so a new id per event is what a real cluster shows; its
// subnets are a fixed few.
const ecsServiceLinked: CallSpec[] = [
  call(
    'ec2',
    'DescribeNetworkInterfaces',
    ['ec2:DescribeNetworkInterfaces'],
    6,
    plainCall((ctx) => ({
      networkInterfaceIdSet: { items: [{ networkInterfaceId: `eni-${ctx.rng.hex(17)}` }] },
    })),
  ),
  call(
    'ec2',
    'CreateNetworkInterface',
    ['ec2:CreateNetworkInterface'],
    1,
    plainCall((ctx) => ({
      subnetId: `subnet-${pooledId(ctx, 'AWSServiceRoleForECS subnet', 3, (rng) => rng.hex(17))}`,
      description: 'arn:aws:ecs:eu-west-1:123456789012:attachment/orders-worker',
    })),
    WRITE,
  ),
  call(
    'ec2',
    'DeleteNetworkInterface',
    ['ec2:DeleteNetworkInterface'],
    1,
    plainCall((ctx) => ({ networkInterfaceId: `eni-${ctx.rng.hex(17)}` })),
    WRITE,
  ),
];

/** The six named roles; `legacy-batch` is granted plenty and never calls anything. */
export const NAMED_ROLES: readonly RoleSpec[] = [
  {
    name: 'app-api',
    path: '/service/',
    description: 'Lambda execution role for the orders API',
    kind: 'lambda',
    profile: 'daytime-bump',
    share: 0.5,
    homeRegion: HOME_REGION,
    sessionNames: ['orders-api', 'orders-webhook'],
    calls: appApi,
  },
  {
    name: 'queue-worker',
    path: '/',
    description: 'ECS task role of the order queue worker',
    kind: 'ecs',
    profile: 'steady',
    share: 0.26,
    homeRegion: HOME_REGION,
    sessionNames: [],
    calls: queueWorker,
  },
  {
    name: 'ci-deploy',
    path: '/',
    description: 'Assumed by GitHub Actions (OIDC) to deploy orders-stack',
    kind: 'github-oidc',
    profile: 'business-bursts',
    share: 0.05,
    homeRegion: HOME_REGION,
    sessionNames: ['GitHubActions'],
    calls: ciDeploy,
  },
  {
    name: 'data-pipeline',
    path: '/batch/',
    description: 'Nightly batch that curates the data lake',
    kind: 'ec2',
    profile: 'nightly-batch',
    share: 0.12,
    homeRegion: HOME_REGION,
    sessionNames: [],
    calls: dataPipeline,
  },
  {
    name: 'legacy-batch',
    path: '/',
    description: 'Old EC2 batch host, decommissioned but the role was kept',
    kind: 'ec2',
    profile: 'idle',
    share: 0,
    homeRegion: HOME_REGION,
    sessionNames: [],
    calls: [],
  },
  {
    name: 'AWSServiceRoleForECS',
    path: '/aws-service-role/ecs.amazonaws.com/',
    description: 'Policy to enable Amazon ECS to manage your cluster.',
    kind: 'service-linked',
    profile: 'steady',
    share: 0.01,
    homeRegion: HOME_REGION,
    sessionNames: ['ecs-service-scheduler'],
    calls: ecsServiceLinked,
  },
];
