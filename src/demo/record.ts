/**
 * Assembles complete CloudTrail records (field order and shapes as AWS writes them) from a
 * catalogue call and a role session. Sessions rotate hourly, as real temporary credentials do.
 */
import { GLOBAL_REGION } from './call-builders.js';
import type { CallSpec, JsonObject, PrincipalKind, RoleSpec } from './call-spec.js';
import { Prng, hashSeed } from './prng.js';

/** A role as the generator sees it: its spec plus the stable ids IAM gave it. */
export interface DemoRoleIdentity {
  spec: RoleSpec;
  arn: string;
  roleId: string;
}

/** One set of temporary credentials of a role. */
export interface Session {
  userIdentity: JsonObject;
  sourceIPAddress: string;
  kind: PrincipalKind;
}

const OIDC_PROVIDER = 'token.actions.githubusercontent.com';
const TLS_CIPHER = 'TLS_AES_128_GCM_SHA256';

/** `2026-01-31T12:34:56Z` from epoch seconds. */
export function isoSeconds(epochSeconds: number): string {
  // Called once or twice per record: Date#toISOString showed in profiles, so the day prefix is
  // cached and the time of day formatted by arithmetic.
  const day = Math.floor(epochSeconds / 86400);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  const s = epochSeconds - day * 86400;
  return `${cachedDayPrefix}${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}Z`;
}
let cachedDay = Number.NaN;
let cachedDayPrefix = '';
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

function sessionNameFor(role: DemoRoleIdentity, index: number, rng: Prng, hour: number): string {
  const names = role.spec.sessionNames;
  switch (role.spec.kind) {
    case 'lambda':
      return names[index % Math.max(1, names.length)] ?? role.spec.name;
    case 'ecs':
      return rng.hex(32);
    case 'github-oidc':
      return `GitHubActions-${10_000_000_000 + hour * 7 + index}`;
    case 'ec2':
      return `i-0${(hashSeed(role.spec.name, Math.floor(hour / 24), index) >>> 0).toString(16).padStart(8, '0')}${rng.hex(8)}`;
    case 'service-linked':
      return names[0] ?? 'ecs-service-scheduler';
  }
}

function sourceIpFor(kind: PrincipalKind, rng: Prng): string {
  switch (kind) {
    case 'lambda':
      return rng.pick(['34.250.17.200', '52.17.99.14']);
    case 'ecs':
      return '54.76.3.21';
    case 'github-oidc':
      return `20.${rng.int(26, 120)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    case 'ec2':
      return `172.31.${rng.int(0, 47)}.${rng.int(1, 254)}`;
    case 'service-linked':
      return 'ecs.amazonaws.com';
  }
}

/** The SDK user agent of a caller, per service, so that user agents vary the way real ones do. */
export function userAgentFor(kind: PrincipalKind, service: string): string {
  switch (kind) {
    case 'lambda':
      return `aws-sdk-js/3.658.1 ua/2.1 os/linux#5.10.226-235.879.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/${service}#3.658.1 exec-env/AWS_Lambda_nodejs20.x`;
    case 'ecs':
      return 'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.225-213.878.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#legacy Botocore/1.34.144';
    case 'github-oidc':
      return `aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#${service}`;
    case 'ec2':
      return 'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#6.1.97-104.177.amzn2023.x86_64 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144';
    case 'service-linked':
      return 'ecs.amazonaws.com';
  }
}

/** Hands out the sessions of each role for a given hour, building them once per role and hour. */
export class SessionPool {
  private readonly cache = new Map<string, { hour: number; sessions: Session[] }>();

  constructor(
    private readonly seed: number,
    private readonly account: string,
  ) {}

  pick(role: DemoRoleIdentity, hourStart: number, rng: Prng): Session {
    const hour = Math.floor(hourStart / 3600);
    let entry = this.cache.get(role.spec.name);
    if (entry === undefined || entry.hour !== hour) {
      entry = { hour, sessions: this.build(role, hour) };
      this.cache.set(role.spec.name, entry);
    }
    return rng.pick(entry.sessions);
  }

  private build(role: DemoRoleIdentity, hour: number): Session[] {
    const rng = new Prng(hashSeed(this.seed, 'session', role.spec.name, hour));
    const { kind, name } = role.spec;
    const count = kind === 'lambda' ? Math.max(1, role.spec.sessionNames.length) : kind === 'ecs' ? 3 : 1;
    const sessions: Session[] = [];
    for (let i = 0; i < count; i++) {
      const sessionName = sessionNameFor(role, i, rng, hour);
      const created = hour * 3600 - rng.int(0, 900);
      const sessionContext: JsonObject = {
        sessionIssuer: { type: 'Role', principalId: role.roleId, arn: role.arn, accountId: this.account, userName: name },
      };
      if (kind === 'github-oidc') {
        sessionContext['webIdFederationData'] = {
          federatedProvider: `arn:aws:iam::${this.account}:oidc-provider/${OIDC_PROVIDER}`,
          attributes: {},
        };
      }
      sessionContext['attributes'] = { creationDate: isoSeconds(created), mfaAuthenticated: 'false' };
      if (kind === 'ec2') sessionContext['ec2RoleDelivery'] = '2.0';
      const userIdentity: JsonObject = {
        type: 'AssumedRole',
        principalId: `${role.roleId}:${sessionName}`,
        arn: `arn:aws:sts::${this.account}:assumed-role/${name}/${sessionName}`,
        accountId: this.account,
        accessKeyId: `ASIA${rng.upperAlnum(16)}`,
        sessionContext,
      };
      if (kind === 'service-linked') userIdentity['invokedBy'] = 'ecs.amazonaws.com';
      sessions.push({ userIdentity, sourceIPAddress: sourceIpFor(kind, rng), kind });
    }
    return sessions;
  }
}

/** The outcome of one call: the record as JSON text, and whether it was a denial. */
export interface BuiltRecord {
  json: string;
  region: string;
  denied: boolean;
}

/**
 * Serialised `userIdentity` per session object: built once per session and hour, reused by
 * thousands of records. String assembly instead of one JSON.stringify of a record object was
 * the largest main-thread cost at volume (together with the garbage it made).
 */
const identityJson = new WeakMap<Session, string>();

function identityOf(session: Session): string {
  let json = identityJson.get(session);
  if (json === undefined) identityJson.set(session, (json = JSON.stringify(session.userIdentity)));
  return json;
}

const q = (value: string): string => JSON.stringify(value);

/**
 * Builds one CloudTrail record for `spec` made by `session` at `time` (epoch seconds), as the JSON
 * text AWS writes (same field order as a `JSON.stringify` of the record object would give).
 */
export function buildCallRecord(spec: CallSpec, session: Session, homeRegion: string, time: number, rng: Prng, account: string): BuiltRecord {
  const region = spec.region ?? (spec.global === true ? GLOBAL_REGION : homeRegion);
  const eventTime = isoSeconds(time);
  const out = spec.build({ rng, account, region, day: eventTime.slice(0, 10) });
  const service = spec.eventSource.slice(0, spec.eventSource.indexOf('.'));
  const isS3 = service === 's3';
  const ua = userAgentFor(session.kind, service);
  const parts: string[] = [
    `{"eventVersion":"${spec.category === 'Data' ? '1.10' : '1.09'}","userIdentity":${identityOf(session)}`,
    `,"eventTime":"${eventTime}","eventSource":${q(spec.eventSource)},"eventName":${q(spec.eventName)}`,
    `,"awsRegion":"${region}","sourceIPAddress":${q(session.sourceIPAddress)},"userAgent":${q(isS3 ? `[${ua}]` : ua)}`,
  ];
  const failure = spec.denied ?? (spec.failure !== undefined && rng.chance(spec.failure.rate) ? spec.failure : undefined);
  if (failure !== undefined) parts.push(`,"errorCode":${q(failure.code)},"errorMessage":${q(failure.message)}`);
  parts.push(`,"requestParameters":${JSON.stringify(out.requestParameters)}`);
  parts.push(`,"responseElements":${failure === undefined ? JSON.stringify(out.responseElements ?? null) : 'null'}`);
  if (out.additionalEventData !== undefined) parts.push(`,"additionalEventData":${JSON.stringify(out.additionalEventData)}`);
  parts.push(`,"requestID":"${isS3 ? rng.upperAlnum(16) : rng.uuid()}","eventID":"${rng.uuid()}","readOnly":${spec.readOnly}`);
  if (out.resources !== undefined) parts.push(`,"resources":${JSON.stringify(out.resources)}`);
  parts.push(`,"eventType":"AwsApiCall"`);
  if (spec.apiVersion !== undefined) parts.push(`,"apiVersion":${q(spec.apiVersion)}`);
  const host = out.host ?? (spec.global === true ? `${service}.amazonaws.com` : `${service}.${region}.amazonaws.com`);
  parts.push(
    `,"managementEvent":${spec.category === 'Management'},"recipientAccountId":${q(account)},"eventCategory":"${spec.category}"`,
    `,"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"${TLS_CIPHER}","clientProvidedHostHeader":${q(host)}}}`,
  );
  return { json: parts.join(''), region, denied: spec.denied !== undefined };
}
