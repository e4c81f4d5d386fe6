/**
 * Parsing only: request parameters whose values need taking apart (queue URLs, Lambda function
 * name forms, KMS key ids and aliases, the S3 copy source, JSON lists) become named parts that the
 * resource-builder templates use; the per-service parts (DynamoDB, PartiQL, Bedrock, Secrets
 * Manager, SES, EventBridge, EC2, ECS) are taken apart in derive-service-params.ts. No mapping
 * decisions are made here.
 */
import { isArn } from './arn-format.js';
import {
  deriveEc2Ids,
  deriveEcs,
  deriveEventBuses,
  deriveEventRules,
  deriveItemList,
  deriveModelId,
  derivePartiQl,
  deriveSecretArn,
  deriveSesSource,
  jsonStrings,
  nameOf,
  parseJson,
  put,
  stringList,
} from './derive-service-params.js';

/** Every parameter as a list of values; most have one. */
export type ParamValues = Record<string, string[]>;

export interface CallContext {
  partition: string;
  region: string;
  account: string;
}

const SQS_URL = /^https?:\/\/(?:sqs\.([a-z0-9-]+)\.[^/]+|([a-z0-9-]+)\.queue\.[^/]+|queue\.amazonaws\.com|[^/]+)\/(\d{12})\/([^/?#]+)/;
/** Name, `acct:function:name`, or full ARN, each optionally `:qualifier`. */
const LAMBDA_NAME = /^(?:arn:[^:]+:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;
const KMS_KEY_ID = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const KMS_ARN = /^arn:[^:]+:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

function trimSlash(value: string): string {
  return value.replace(/^\/+/, '');
}

function deriveQueueUrl(url: string, ctx: CallContext, out: ParamValues): void {
  const m = SQS_URL.exec(url);
  if (m === null) return;
  put(out, 'queueUrlRegion', [m[1] ?? m[2] ?? ctx.region]);
  put(out, 'queueUrlAccount', [m[3] ?? ctx.account]);
  put(out, 'queueUrlName', [decodeURIComponent(m[4] ?? '')]);
}

function deriveFunctionName(name: string, qualifier: string | undefined, ctx: CallContext, out: ParamValues): void {
  const m = LAMBDA_NAME.exec(name);
  if (m === null) return;
  put(out, 'functionNameRegion', [m[1] ?? ctx.region]);
  put(out, 'functionNameAccount', [m[2] ?? m[3] ?? ctx.account]);
  put(out, 'functionNameBase', [m[4] ?? '']);
  const q = m[5] ?? qualifier;
  if (q !== undefined && q !== '' && q !== '$LATEST') put(out, 'functionNameQualifier', [q]);
}

function deriveKmsKey(param: string, value: string, ctx: CallContext, out: ParamValues): void {
  const arn = KMS_ARN.exec(value);
  if (arn !== null) {
    put(out, `${param}Region`, [arn[1] ?? ctx.region]);
    put(out, `${param}Account`, [arn[2] ?? ctx.account]);
    put(out, arn[3] === 'key' ? `${param}Uuid` : `${param}Alias`, [arn[4] ?? '']);
    return;
  }
  put(out, `${param}Region`, [ctx.region]);
  put(out, `${param}Account`, [ctx.account]);
  if (KMS_KEY_ID.test(value)) put(out, `${param}Uuid`, [value]);
  else if (value.startsWith('alias/')) put(out, `${param}Alias`, [value.slice('alias/'.length)]);
}

/** `bucket/key`, `/bucket/key`, URL-encoded, optionally `?versionId=…`; access point sources are ARNs. */
function deriveCopySource(value: string, out: ParamValues): void {
  const [path = '', query = ''] = value.split('?', 2);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    decoded = path;
  }
  decoded = trimSlash(decoded);
  const ap = /^(arn:[^:]+:s3:[^:]*:\d{12}:accesspoint\/[^/]+)\/object\/(.+)$/.exec(decoded);
  const slash = decoded.indexOf('/');
  if (ap !== null) {
    put(out, 'copySourceBucket', [ap[1] ?? '']);
    put(out, 'copySourceKey', [ap[2] ?? '']);
  } else if (slash > 0 && slash < decoded.length - 1) {
    put(out, 'copySourceBucket', [decoded.slice(0, slash)]);
    put(out, 'copySourceKey', [decoded.slice(slash + 1)]);
  }
  const version = /(?:^|&)versionId=([^&]+)/.exec(query);
  if (version !== null) put(out, 'copySourceVersionId', [version[1] ?? '']);
}

/** The raw call parameters plus every derived part, as lists. */
export function deriveParams(params: Record<string, string>, ctx: CallContext): ParamValues {
  const out: ParamValues = {};
  for (const [name, value] of Object.entries(params)) if (value !== '') out[name] = [value];
  const p = (name: string): string | undefined => {
    const value = params[name];
    return value === '' ? undefined : value;
  };
  const queueUrl = p('queueUrl');
  if (queueUrl !== undefined) deriveQueueUrl(queueUrl, ctx, out);
  const functionName = p('functionName');
  if (functionName !== undefined) deriveFunctionName(functionName, p('qualifier'), ctx, out);
  for (const key of ['keyId', 'destinationKeyId', 'sourceKeyId']) {
    const value = p(key);
    if (value !== undefined) deriveKmsKey(key, value, ctx, out);
  }
  const copySource = p('copySource');
  if (copySource !== undefined) deriveCopySource(copySource, out);
  const name = p('name');
  if (name !== undefined && !isArn(name)) put(out, 'nameTrimmed', [trimSlash(name)]);
  const path = p('path');
  if (path !== undefined) put(out, 'pathTrimmed', [trimSlash(path)]);
  const names = p('names');
  if (names !== undefined)
    put(
      out,
      'namesTrimmed',
      stringList(parseJson(names))
        .filter((n) => !isArn(n))
        .map(trimSlash),
    );
  const statements: string[] = [];
  const requestItems = p('requestItems');
  if (requestItems !== undefined) {
    const items = parseJson(requestItems);
    if (Array.isArray(items)) statements.push(...deriveItemList(items, out));
    else if (items !== null && typeof items === 'object') put(out, 'requestItemsTables', Object.keys(items).sort());
  }
  const statement = p('statement');
  if (statement !== undefined) statements.push(statement);
  const transactStatements = p('transactStatements');
  if (transactStatements !== undefined) {
    const items = parseJson(transactStatements);
    if (Array.isArray(items)) statements.push(...deriveItemList(items, out));
  }
  if (statements.length > 0) derivePartiQl(statements, out);
  const modelId = p('modelId');
  if (modelId !== undefined) deriveModelId(modelId, out);
  const secretId = p('secretId');
  if (secretId !== undefined && isArn(secretId)) deriveSecretArn(secretId, out);
  const secretIdList = p('secretIdList');
  if (secretIdList !== undefined) {
    const ids = stringList(parseJson(secretIdList));
    for (const arn of ids.filter(isArn)) deriveSecretArn(arn, out);
    const named = ids.filter((id) => !isArn(id)).map((id) => `arn:${ctx.partition}:secretsmanager:${ctx.region}:${ctx.account}:secret:${id}-??????`);
    put(out, 'secretArnCandidates', [...(out['secretArnCandidates'] ?? []), ...named]);
  }
  const sesSource = p('sesSource');
  if (sesSource !== undefined) deriveSesSource(sesSource, out);
  // SageMaker writes resource names in lower case in the ARNs it returns; a mixed-case name keeps
  // both spellings (the narrowest set covering the ARN AWS evaluates).
  const endpointName = p('endpointName');
  if (endpointName !== undefined && !isArn(endpointName)) put(out, 'endpointNameCandidates', [...new Set([endpointName, endpointName.toLowerCase()])]);
  const entries = p('entries');
  if (entries !== undefined) deriveEventBuses(entries, out);
  deriveEc2Ids(p, out);
  deriveEcs(p, out);
  deriveEventRules(p, out);
  const document = p('documentName') ?? (p('target') !== undefined ? 'SSM-SessionManagerRunShell' : undefined);
  // AWS-owned documents (`AWS-*`) have ARNs without an account; StartSession without a document uses
  // SSM-SessionManagerRunShell (Session Manager preferences document, created in the account).
  if (document !== undefined && !isArn(document)) put(out, document.startsWith('AWS-') ? 'ssmAwsDocument' : 'ssmOwnDocument', [document]);
  const alarms = [...(p('alarmName') !== undefined ? [p('alarmName') ?? ''] : []), ...jsonStrings(p('alarmNames'))];
  if (alarms.length > 0) put(out, 'alarmNamesList', [...new Set(alarms)].sort());
  const buildIds = jsonStrings(p('ids')).map((id) => (isArn(id) ? nameOf(id) : id));
  if (buildIds.length > 0) put(out, 'buildIdProjects', [...new Set(buildIds.map((id) => id.split(':')[0] ?? '').filter((x) => x !== ''))].sort());
  put(out, 'resourceArnsList', jsonStrings(p('resourceArns')).filter(isArn));
  const zone = p('hostedZoneId');
  if (zone !== undefined) put(out, 'hostedZoneIdTrimmed', [zone.replace(/^\/?hostedzone\//, '')]);
  const id = p('id');
  if (id !== undefined) put(out, 'idTrimmed', [id.replace(/^\/?(hostedzone|change)\//, '')]);
  return out;
}
