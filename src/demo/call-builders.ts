/**
 * Builders for the request shapes that recur across services (S3 objects, DynamoDB items, SQS,
 * KMS), so the catalogues read as data: which call, which resource, which actions.
 */
import type { CallContext, CallOutput, CallSpec, JsonObject } from './call-spec.js';
import { Prng, hashSeed } from './prng.js';

/** The demo account; fixed so that docs and tests can name its ARNs. */
export const ACCOUNT_ID = '123456789012';
export const HOME_REGION = 'eu-west-1';
export const GLOBAL_REGION = 'us-east-1';
export const REGIONS: readonly string[] = [GLOBAL_REGION, HOME_REGION];

const S3_EXTENSIONS = ['json', 'csv', 'png', 'jpg', 'pdf', 'parquet'] as const;

function s3Extra(ctx: CallContext, bytesIn: number, bytesOut: number): JsonObject {
  return {
    SignatureVersion: 'SigV4',
    CipherSuite: 'TLS_AES_128_GCM_SHA256',
    bytesTransferredIn: bytesIn,
    AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': ctx.rng.alnum(56) + '=',
    bytesTransferredOut: bytesOut,
  };
}

/** An S3 object data event: bucketName/key in requestParameters, object + bucket in resources. */
export function s3ObjectCall(
  eventName: 'GetObject' | 'PutObject' | 'HeadObject' | 'DeleteObject',
  bucket: string,
  key: (ctx: CallContext) => string,
): (ctx: CallContext) => CallOutput {
  return (ctx) => {
    const objectKey = key(ctx);
    const host = `${bucket}.s3.${ctx.region}.amazonaws.com`;
    const size = ctx.rng.int(200, 900_000);
    const out: CallOutput = {
      requestParameters: { bucketName: bucket, Host: host, key: objectKey },
      responseElements: eventName === 'PutObject' ? { 'x-amz-server-side-encryption': 'AES256' } : null,
      additionalEventData: s3Extra(ctx, eventName === 'PutObject' ? size : 0, eventName === 'GetObject' ? size : 0),
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${objectKey}` },
        { accountId: ctx.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
      ],
      host,
    };
    return out;
  };
}

/** `ListObjectsV2`, which CloudTrail records as `ListObjects` with `list-type: 2`. */
export function s3ListCall(bucket: string, prefix: (ctx: CallContext) => string): (ctx: CallContext) => CallOutput {
  return (ctx) => {
    const host = `${bucket}.s3.${ctx.region}.amazonaws.com`;
    return {
      requestParameters: { 'list-type': '2', bucketName: bucket, Host: host, prefix: prefix(ctx), 'max-keys': '1000' },
      responseElements: null,
      additionalEventData: s3Extra(ctx, 0, 0),
      resources: [{ accountId: ctx.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      host,
    };
  };
}

/** A key made of a prefix, a random id and an extension. */
export function randomKey(prefix: string): (ctx: CallContext) => string {
  return (ctx) => `${prefix}${ctx.rng.hex(12)}.${ctx.rng.pick(S3_EXTENSIONS)}`;
}

/**
 * One of `size` fixed ids of `owner` in the call's region, made by `make`: real accounts have a
 * handful of target groups, user pools, certificates or subnets per role, not a new one per event
 * (which would make every such event its own call group). `make` still draws from the call's
 * stream, as the fresh id it replaces did, and the drawn id picks the pool entry, so every other
 * value the generator writes stays the same.
 */
export function pooledId(ctx: CallContext, owner: string, size: number, make: (rng: Prng) => string): string {
  const drawn = make(ctx.rng);
  return make(new Prng(hashSeed(owner, ctx.region, hashSeed(drawn) % size)));
}

export function tableArn(ctx: CallContext, table: string): string {
  return `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${table}`;
}

/** A DynamoDB item data event on `table`, with the table ARN in resources. */
export function dynamoCall(table: string, params: (ctx: CallContext) => JsonObject): (ctx: CallContext) => CallOutput {
  return (ctx) => ({
    requestParameters: { tableName: table, ...params(ctx) },
    responseElements: null,
    resources: [{ accountId: ctx.account, type: 'AWS::DynamoDB::Table', ARN: tableArn(ctx, table) }],
  });
}

export function queueUrl(ctx: CallContext, queue: string): string {
  return `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${queue}`;
}

/** An SQS data event on `queue`. */
export function sqsCall(queue: string, params: (ctx: CallContext) => JsonObject): (ctx: CallContext) => CallOutput {
  return (ctx) => ({
    requestParameters: { queueUrl: queueUrl(ctx, queue), ...params(ctx) },
    responseElements: null,
    resources: [{ accountId: ctx.account, type: 'AWS::SQS::Queue', ARN: `arn:aws:sqs:${ctx.region}:${ctx.account}:${queue}` }],
  });
}

/** A KMS call on a key; KMS names the key in resources. */
export function kmsCall(keyId: string, params: (ctx: CallContext) => JsonObject): (ctx: CallContext) => CallOutput {
  return (ctx) => ({
    requestParameters: { ...params(ctx) },
    responseElements: null,
    resources: [{ accountId: ctx.account, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${ctx.region}:${ctx.account}:key/${keyId}` }],
  });
}

/** A management call whose parameters are fixed or simple. */
export function plainCall(params: (ctx: CallContext) => JsonObject | null): (ctx: CallContext) => CallOutput {
  return (ctx) => ({ requestParameters: params(ctx), responseElements: null });
}

/** Shorthand for a catalogue row; the defaults are a read-only management call. */
export function call(
  eventSource: string,
  eventName: string,
  actions: readonly string[],
  weight: number,
  build: (ctx: CallContext) => CallOutput,
  extra: Partial<Omit<CallSpec, 'eventSource' | 'eventName' | 'actions' | 'weight' | 'build'>> = {},
): CallSpec {
  return {
    eventSource: `${eventSource}.amazonaws.com`,
    eventName,
    actions,
    weight,
    category: 'Management',
    readOnly: true,
    build,
    ...extra,
  };
}

/** The `errorCode`/`errorMessage` pair CloudTrail writes for S3 access denials. */
export const S3_ACCESS_DENIED = { code: 'AccessDenied', message: 'Access Denied' } as const;
