/**
 * Parsing only, per service: DynamoDB transaction and batch items and their PartiQL statements,
 * Bedrock model ids, Secrets Manager ARNs, the SES sender, EventBridge buses and rules, EC2 ids by
 * prefix, ECS clusters, services and task definitions. `deriveParams` (derive-params.ts) calls
 * these; the JSON list helpers here are shared with it. No mapping decisions are made here.
 */
import { isArn } from './arn-format.js';
import type { ParamValues } from './derive-params.js';

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The strings of a JSON list parameter; none when the parameter is absent or not a list. */
export function jsonStrings(text: string | undefined): string[] {
  return text === undefined ? [] : stringList(parseJson(text));
}

export function put(out: ParamValues, name: string, values: string[]): void {
  if (values.length > 0) out[name] = values;
}

function member(value: unknown, ...keys: string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const key of keys) if (key in value) return Reflect.get(value, key);
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** DynamoDB transaction item kinds: CloudTrail writes `operation: "Put"`, the SDK shape nests `{Put: {TableName}}`. */
const TRANSACT_KINDS: Record<string, string> = { put: 'Put', update: 'Update', delete: 'Delete', conditioncheck: 'ConditionCheck', get: 'Get' };

/**
 * A DynamoDB `requestItems` list (TransactWriteItems/TransactGetItems: one item per entry;
 * BatchExecuteStatement: one `statement` per entry): the tables per item kind
 * (`transactPutTables`, ...), every table (`requestItemsTables`), and the PartiQL statements.
 */
export function deriveItemList(items: unknown[], out: ParamValues): string[] {
  const byKind = new Map<string, Set<string>>();
  const tables = new Set<string>();
  const statements: string[] = [];
  for (const item of items) {
    const statement = text(member(item, 'statement', 'Statement'));
    if (statement !== undefined) {
      statements.push(statement);
      continue;
    }
    let kind = text(member(item, 'operation', 'Operation'));
    let body: unknown = item;
    if (kind === undefined && item !== null && typeof item === 'object') {
      const nested = Object.keys(item).find((k) => TRANSACT_KINDS[k.toLowerCase()] !== undefined);
      if (nested !== undefined) {
        kind = nested;
        body = Reflect.get(item, nested);
      }
    }
    const table = text(member(body, 'tableName', 'TableName'));
    if (table === undefined) continue;
    tables.add(table);
    const normal = kind === undefined ? undefined : TRANSACT_KINDS[kind.toLowerCase()];
    if (normal !== undefined) byKind.set(normal, (byKind.get(normal) ?? new Set()).add(table));
  }
  put(out, 'requestItemsTables', [...tables].sort());
  for (const [kind, set] of byKind) put(out, `transact${kind}Tables`, [...set].sort());
  return statements;
}

const PARTIQL_NAME = String.raw`(?:"((?:[^"]|"")+)"|([A-Za-z0-9_-]+))`;
const PARTIQL_TARGET = String.raw`${PARTIQL_NAME}(?:\s*\.\s*${PARTIQL_NAME})?`;
const PARTIQL_VERBS: [string, RegExp][] = [
  ['Select', new RegExp(String.raw`^\s*(?:EXISTS\s*\(\s*)?SELECT\b[\s\S]*?\bFROM\s+${PARTIQL_TARGET}`, 'i')],
  ['Insert', new RegExp(String.raw`^\s*INSERT\s+INTO\s+${PARTIQL_TARGET}`, 'i')],
  ['Update', new RegExp(String.raw`^\s*UPDATE\s+${PARTIQL_TARGET}`, 'i')],
  ['Delete', new RegExp(String.raw`^\s*DELETE\s+FROM\s+${PARTIQL_TARGET}`, 'i')],
];

/**
 * PartiQL statements -> `partiql<Verb>Tables` and `partiql<Verb>IndexNames` (`"Table"."Index"`).
 * A statement whose verb or table cannot be read adds nothing (the call then maps to no permission
 * and is reported as unmapped, never guessed).
 */
export function derivePartiQl(statements: readonly string[], out: ParamValues): void {
  const found = new Map<string, Set<string>>();
  const add = (name: string, value: string): void => void found.set(name, (found.get(name) ?? new Set()).add(value));
  for (const statement of statements) {
    for (const [verb, regex] of PARTIQL_VERBS) {
      const m = regex.exec(statement);
      if (m === null) continue;
      const table = (m[1] ?? m[2] ?? '').replaceAll('""', '"');
      const index = (m[3] ?? m[4])?.replaceAll('""', '"');
      if (table !== '') add(`partiql${verb}Tables`, table);
      if (index !== undefined && index !== '') add(`partiql${verb}IndexNames`, index);
      break;
    }
  }
  for (const [name, set] of found) put(out, name, [...set].sort());
}

/** Cross-Region inference profile ids are a geography prefix plus the model id (`us.anthropic.claude-…`). */
const BEDROCK_PROFILE = /^(?:us|eu|apac|us-gov|global|jp|au|ca|ap)\.(.+)$/;

/**
 * Bedrock `modelId`: an ARN is used as is (by the `${modelId}` builders); a cross-Region inference
 * profile id gives the profile and its model; any other id is a foundation model.
 */
export function deriveModelId(modelId: string, out: ParamValues): void {
  if (isArn(modelId)) return;
  const profile = BEDROCK_PROFILE.exec(modelId);
  if (profile !== null) {
    put(out, 'bedrockProfileId', [modelId]);
    put(out, 'bedrockProfileModelId', [profile[1] ?? '']);
  } else {
    put(out, 'bedrockFoundationModelId', [modelId]);
  }
}

/**
 * A Secrets Manager ARN as the caller wrote it. AWS matches policies against the full ARN, whose
 * name ends with `-` and six random characters. An ARN without that ending is partial; one with it
 * may still be a partial ARN of a secret whose own name ends that way, so both candidates are kept.
 */
export function deriveSecretArn(arn: string, out: ParamValues): void {
  const m = /^(arn:[^:]+:secretsmanager:[^:]*:\d{12}:secret:)(.+)$/.exec(arn);
  if (m === null) return;
  const full = /-[A-Za-z0-9]{6}$/.test(m[2] ?? '');
  put(out, 'secretArnCandidates', [...(out['secretArnCandidates'] ?? []), ...(full ? [arn, `${arn}-??????`] : [`${arn}-??????`])]);
}

/** SES sender: `a@example.com` or `"Name" <a@example.com>`; the identity is the address or its domain. */
export function deriveSesSource(value: string, out: ParamValues): void {
  const address = /<([^>]+)>\s*$/.exec(value)?.[1] ?? value.trim();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return;
  put(out, 'sesIdentities', [address, address.slice(at + 1)]);
}

function busOf(entry: unknown, key: string): string | undefined {
  if (entry === null || typeof entry !== 'object' || !(key in entry)) return undefined;
  const value: unknown = Reflect.get(entry, key);
  return typeof value === 'string' ? value : undefined;
}

export function deriveEventBuses(entriesJson: string, out: ParamValues): void {
  const entries = parseJson(entriesJson);
  if (!Array.isArray(entries)) return;
  const buses = entries.map((entry: unknown) => {
    const bus = busOf(entry, 'eventBusName') ?? busOf(entry, 'EventBusName');
    return bus !== undefined && bus !== '' ? bus : 'default';
  });
  put(out, 'entriesEventBusNames', [...new Set(buses)].sort());
}

function stringMember(entry: unknown, key: string): string | undefined {
  return busOf(entry, key);
}

/** The string values of `key` in the items of a JSON list (EventBridge targets' `roleArn`). */
export function listMembers(json: string, key: string): string[] {
  const list = parseJson(json);
  if (!Array.isArray(list)) return [];
  return [...new Set(list.map((item: unknown) => stringMember(item, key)).filter((v): v is string => v !== undefined && v !== ''))].sort();
}

/** The `items` of an EC2 set (`{"items":[{...}]}` logged as the list itself), or the list itself. */
function items(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  const value = parseJson(text);
  return Array.isArray(value) ? value : [];
}

/** The last `/`- or `:`-separated part of an ARN (a name given as an ARN), else the value. */
export function nameOf(value: string): string {
  if (!isArn(value)) return value;
  const resource = value.split(':').slice(5).join(':');
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/** EC2 resource IDs by their documented prefix (`i-`, `ami-`, `sg-`, `subnet-`, `vol-`). */
const EC2_ID_KINDS: readonly [string, string][] = [
  ['i-', 'ec2InstanceIds'],
  ['ami-', 'ec2ImageIds'],
  ['sg-', 'ec2SecurityGroupIds'],
  ['subnet-', 'ec2SubnetIds'],
  ['vol-', 'ec2VolumeIds'],
  ['snap-', 'ec2SnapshotIds'],
  ['fl-', 'ec2FlowLogIds'],
];

export function deriveEc2Ids(p: (name: string) => string | undefined, out: ParamValues): void {
  const ids: string[] = [];
  for (const name of ['instanceId', 'subnetId', 'volumeId', 'groupId', 'imageId', 'snapshotId', 'flowLogId']) {
    const v = p(name);
    if (v !== undefined) ids.push(v);
  }
  const target = p('target');
  if (target !== undefined) ids.push(target);
  const defined = (v: string | undefined): v is string => v !== undefined;
  const instancesSet = items(p('instancesSet'));
  for (const item of instancesSet) ids.push(...[stringMember(item, 'instanceId'), stringMember(item, 'imageId')].filter(defined));
  for (const item of items(p('resourcesSet'))) ids.push(...[stringMember(item, 'resourceId')].filter(defined));
  for (const item of items(p('groupSet'))) ids.push(...[stringMember(item, 'groupId')].filter(defined));
  const instanceIds = p('instanceIds');
  if (instanceIds !== undefined) ids.push(...stringList(parseJson(instanceIds)));
  if (ids.length > 0) for (const [prefix, name] of EC2_ID_KINDS) put(out, name, [...new Set(ids.filter((id) => id.startsWith(prefix)))].sort());
  const launches = instancesSet.filter((item) => stringMember(item, 'imageId') !== undefined);
  put(out, 'ec2KeyNames', [...new Set(launches.map((item) => stringMember(item, 'keyName')).filter(defined))].sort());
  // A launch creates its volumes: RunInstances is authorized on volume/* (EC2 User Guide, RunInstances policies).
  if (launches.length > 0) put(out, 'ec2LaunchedVolumes', ['*']);
  // Tag-on-create: the resource types the tag specifications tag; `*` for one that names none.
  const tagged = items(p('tagSpecificationSet')).map((item) => stringMember(item, 'resourceType') ?? '*');
  put(out, 'ec2TaggedResourceTypes', [...new Set(tagged)].sort());
}

/** ECS: the cluster name (`default` when the request names none), services and task definitions. */
export function deriveEcs(p: (name: string) => string | undefined, out: ParamValues): void {
  const cluster = p('cluster');
  const clusterName = cluster === undefined ? 'default' : nameOf(cluster);
  const service = p('service');
  const services = [...(service !== undefined ? [service] : []), ...jsonStrings(p('services'))];
  put(out, 'ecsServiceClusters', services.filter((x) => !isArn(x)).length > 0 ? [clusterName] : []);
  put(
    out,
    'ecsServiceNames',
    services.filter((x) => !isArn(x)),
  );
  put(out, 'ecsServiceArns', services.filter(isArn));
  const td = p('taskDefinition');
  if (td !== undefined) put(out, isArn(td) ? 'ecsTaskDefinitionArn' : 'ecsTaskDefinition', [isArn(td) ? td : td.includes(':') ? td : `${td}:*`]);
  const family = p('family');
  if (family !== undefined) put(out, 'ecsTaskDefinition', [`${family}:*`]);
}

/** EventBridge: the rule name and its bus (`default` unless a bus is named). */
export function deriveEventRules(p: (name: string) => string | undefined, out: ParamValues): void {
  const rule = p('rule') ?? (p('name') !== undefined && !isArn(p('name') ?? '') ? p('name') : undefined);
  const bus = p('eventBusName');
  const busName = bus === undefined ? 'default' : nameOf(bus);
  if (rule !== undefined) {
    if (busName === 'default') put(out, 'eventsDefaultBusRule', [rule]);
    else {
      put(out, 'eventsCustomBus', [busName]);
      put(out, 'eventsCustomBusRule', [rule]);
    }
  }
}
