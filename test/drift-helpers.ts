/**
 * Test helpers for drift: fabricate CloudTrail records in which chosen roles call some of their
 * granted actions, and a snapshot of many roles. The event for an action is `<service>.amazonaws.com`
 * / `<ActionName>`, kept only when iamtrim's mapper maps it back to that action (so the helper never
 * relies on a guess the mapping disagrees with).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IamCatalog } from '../src/iam/catalog.js';
import { grantedActions } from '../src/iam/expand.js';
import type { CallRow, RoleGrant } from '../src/model.js';
import type { CallMapper } from '../src/usage/reduce.js';

/** `../shared/datasets` relative to the repository. */
export const DATASETS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets');
export const CLOUDSPLAINING = resolve(DATASETS, 'iam', 'cloudsplaining', 'example.json');
export const HAVE_DATASETS = existsSync(DATASETS);

export interface FabricatedCall {
  role: RoleGrant;
  action: string;
  eventSource: string;
  eventName: string;
}

/** The event that maps to `action` by the mapper, or undefined when the simple name does not. */
export function eventFor(mapCall: CallMapper, role: RoleGrant, action: string): FabricatedCall | undefined {
  const [service, name] = action.split(':');
  if (service === undefined || name === undefined) return undefined;
  const row: CallRow = {
    roleArn: role.arn,
    eventSource: `${service}.amazonaws.com`,
    eventName: name,
    awsRegion: 'us-east-1',
    recipientAccountId: role.accountId,
    eventCategory: 'Management',
    errorCode: null,
    invokedBy: null,
    params: {},
    resourceArns: [],
    count: 1,
    firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: '2026-01-01T00:00:00Z',
  };
  const mapped = mapCall(row);
  if (mapped.kind !== 'mapped' || mapped.outcome !== 'authorized') return undefined;
  if (mapped.permissions.length !== 1 || mapped.permissions[0]?.action.toLowerCase() !== action.toLowerCase()) return undefined;
  return { role, action, eventSource: row.eventSource, eventName: name };
}

/**
 * Picks up to `count` granted List/Read actions of the role whose events map back to them,
 * starting at `offset` in the sorted grant (so a later run can pick other ones).
 */
export function pickCalls(catalog: IamCatalog, mapCall: CallMapper, role: RoleGrant, count: number, offset = 0): FabricatedCall[] {
  const candidates = [...grantedActions(catalog, role)].sort().filter((a) => ['List', 'Read'].includes(catalog.action(a)?.accessLevel ?? ''));
  const picked: FabricatedCall[] = [];
  for (const action of candidates) {
    const call = eventFor(mapCall, role, action);
    if (call === undefined) continue;
    if (offset > 0) {
      offset--;
      continue;
    }
    picked.push(call);
    if (picked.length === count) break;
  }
  return picked;
}

function record(call: FabricatedCall, time: string, index: number): Record<string, unknown> {
  const session = `drift-test-${index % 7}`;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAFAKE${index}:${session}`,
      arn: `arn:aws:sts::${call.role.accountId}:assumed-role/${call.role.name}/${session}`,
      accountId: call.role.accountId,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAFAKE', arn: call.role.arn, accountId: call.role.accountId, userName: call.role.name },
        attributes: { creationDate: time, mfaAuthenticated: 'false' },
      },
    },
    eventTime: time,
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'drift-test',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${index}`,
    eventID: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: call.role.accountId,
    eventCategory: 'Management',
  };
}

/** Writes the calls (each `repeat` times, spread over the hours before `end`) as one CloudTrail file. */
export async function writeCloudTrailFile(file: string, calls: readonly FabricatedCall[], end: Date, repeat = 2): Promise<number> {
  const records: Record<string, unknown>[] = [];
  let i = 0;
  for (const call of calls) {
    for (let r = 0; r < repeat; r++) {
      const time = new Date(end.getTime() - (1 + ((i * 37) % 600)) * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      records.push(record(call, time, i++));
    }
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ Records: records }));
  return records.length;
}

/** An authorization-details document with `count` roles, each granted a few services (some `*`). */
export function manyRolesSnapshot(count: number, accountId = '111122223333'): unknown {
  const services = ['s3', 'dynamodb', 'sqs', 'sns', 'lambda', 'ec2', 'kms', 'logs', 'cloudwatch', 'ssm', 'secretsmanager', 'iam'];
  const roles = Array.from({ length: count }, (_, i) => {
    const name = `svc-${String(i).padStart(4, '0')}`;
    const granted = i % 100 === 0 ? ['*'] : [0, 1, 2].map((k) => `${services[(i + k * 5) % services.length] ?? 's3'}:*`);
    return {
      Path: '/',
      RoleName: name,
      RoleId: `AROA${String(i).padStart(17, '0')}`,
      Arn: `arn:aws:iam::${accountId}:role/${name}`,
      CreateDate: '2025-01-01T00:00:00Z',
      AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] },
      InstanceProfileList: [],
      RolePolicyList: [{ PolicyName: 'main', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: granted, Resource: '*' }] } }],
      AttachedManagedPolicies: [],
      Tags: [],
      RoleLastUsed: {},
    };
  });
  return { UserDetailList: [], GroupDetailList: [], RoleDetailList: roles, Policies: [] };
}

/** The Chromium (or Chrome) on the PATH, for the report.html browser tests; undefined when none. */
export function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  }
  return undefined;
}

/** Where the browser tests keep their screenshots for a human to look at: `test-artifacts/` in the checkout (git-ignored). */
export const ARTEFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

/** Width and height of a PNG file's image, from its IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG file');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
