/**
 * Parsing only: request parameters whose values need taking apart (queue URLs, Lambda function
 * name forms, KMS key ids and aliases, the S3 copy source, JSON lists) become named parts that the
 * resource-builder templates use. No mapping decisions are made here.
 */
import { isArn } from './arn-format.js';

/** Every parameter as a list of values; most have one. */
export type ParamValues = Record<string, string[]>;

export interface CallContext {
  partition: string;
  region: string;
  account: string;
}

const SQS_URL = /^https?:\/\/(?:sqs\.([a-z0-9-]+)\.[^/]+|([a-z0-9-]+)\.queue\.[^/]+|queue\.amazonaws\.com|[^/]+)\/(\d{12})\/([^/?#]+)/;
/** Name, `acct:function:name`, or full ARN, each optionally `:qualifier`. */
const LAMBDA_NAME =
  /^(?:arn:[^:]+:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([A-Za-z0-9_-]+)(?::([A-Za-z0-9$_-]+))?$/;
const KMS_KEY_ID = /^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const KMS_ARN = /^arn:[^:]+:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function put(out: ParamValues, name: string, values: string[]): void {
  if (values.length > 0) out[name] = values;
}

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

function busOf(entry: unknown, key: string): string | undefined {
  if (entry === null || typeof entry !== 'object' || !(key in entry)) return undefined;
  const value: unknown = Reflect.get(entry, key);
  return typeof value === 'string' ? value : undefined;
}

function deriveEventBuses(entriesJson: string, out: ParamValues): void {
  const entries = parseJson(entriesJson);
  if (!Array.isArray(entries)) return;
  const buses = entries.map((entry: unknown) => {
    const bus = busOf(entry, 'eventBusName') ?? busOf(entry, 'EventBusName');
    return bus !== undefined && bus !== '' ? bus : 'default';
  });
  put(out, 'entriesEventBusNames', [...new Set(buses)].sort());
}

/** The raw call parameters plus every derived part, as lists. */
export function deriveParams(params: Record<string, string>, ctx: CallContext): ParamValues {
  const out: ParamValues = {};
  for (const [name, value] of Object.entries(params)) if (value !== '') out[name] = [value];
  const p = (name: string): string | undefined => (params[name] === '' ? undefined : params[name]);
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
  if (names !== undefined) put(out, 'namesTrimmed', stringList(parseJson(names)).filter((n) => !isArn(n)).map(trimSlash));
  const requestItems = p('requestItems');
  if (requestItems !== undefined) {
    const items = parseJson(requestItems);
    if (items !== null && typeof items === 'object' && !Array.isArray(items)) put(out, 'requestItemsTables', Object.keys(items).sort());
  }
  const entries = p('entries');
  if (entries !== undefined) deriveEventBuses(entries, out);
  return out;
}
