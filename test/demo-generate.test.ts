import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const OPTIONS = { now: NOW, days: 30, events: 6_000, seed: 7 } as const;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await listFiles(dir)) {
    hash.update(relative(dir, file));
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}

interface ParsedRecord {
  [key: string]: unknown;
  eventID: string;
  eventTime: string;
  eventName: string;
  eventSource: string;
  errorCode?: string;
  userIdentity: { type?: string; arn?: string; sessionContext?: { sessionIssuer?: { arn?: string; userName?: string } } };
}

function isRecordList(value: unknown): value is { Records: ParsedRecord[] } {
  return typeof value === 'object' && value !== null && 'Records' in value && Array.isArray(value.Records);
}

describe('generateDemo', () => {
  let dirA = '';
  let dirB = '';
  let manifest: DemoManifest;
  const records: Array<{ file: string; record: ParsedRecord }> = [];

  beforeAll(async () => {
    dirA = await mkdtemp(join(tmpdir(), 'iamtrim-demo-a-'));
    dirB = await mkdtemp(join(tmpdir(), 'iamtrim-demo-b-'));
    manifest = await generateDemo({ ...OPTIONS, outDir: dirA });
    await generateDemo({ ...OPTIONS, outDir: dirB });
    for (const file of await listFiles(join(dirA, 'logs'))) {
      if (file.includes('CloudTrail-Digest')) continue;
      const parsed: unknown = JSON.parse(gunzipSync(await readFile(file)).toString('utf8'));
      if (!isRecordList(parsed)) throw new Error(`${file} is not a CloudTrail delivery file`);
      for (const record of parsed.Records) records.push({ file, record });
    }
  }, 30_000);

  afterAll(async () => {
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  });

  it('is byte-identical for the same options, apart from the output folder name', async () => {
    const a = await treeHash(join(dirA, 'logs'));
    const b = await treeHash(join(dirB, 'logs'));
    expect(a).toBe(b);
    expect(await readFile(join(dirA, 'iam.json'), 'utf8')).toBe(await readFile(join(dirB, 'iam.json'), 'utf8'));
  });

  it('writes about the requested number of events, with rare duplicates', () => {
    expect(Math.abs(manifest.events - OPTIONS.events) / OPTIONS.events).toBeLessThan(0.01);
    const ids = new Set(records.map((r) => r.record.eventID));
    expect(records.length - ids.size).toBe(manifest.duplicateRecords);
    expect(records.length).toBe(manifest.events + manifest.duplicateRecords);
    expect(manifest.duplicateRecords / manifest.events).toBeLessThan(0.001);
  });

  it('uses the S3 delivery layout and file names, and writes digests readers must skip', async () => {
    const files = await listFiles(join(dirA, 'logs'));
    const logs = files.filter((f) => f.includes('/CloudTrail/'));
    const digests = files.filter((f) => f.includes('/CloudTrail-Digest/'));
    expect(logs.length).toBe(manifest.files);
    expect(digests.length).toBe(manifest.digestFiles);
    expect(digests.length).toBeGreaterThan(0);
    const logPattern =
      /AWSLogs\/123456789012\/CloudTrail\/(us-east-1|eu-west-1)\/(\d{4})\/(\d{2})\/(\d{2})\/123456789012_CloudTrail_\1_(\d{4})(\d{2})(\d{2})T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/;
    for (const file of logs) {
      const match = logPattern.exec(file);
      expect(match, file).not.toBeNull();
      if (match === null) continue;
      expect(`${match[2]}${match[3]}${match[4]}`).toBe(`${match[5]}${match[6]}${match[7]}`);
    }
    for (const file of digests) {
      expect(file).toMatch(/CloudTrail-Digest\/(us-east-1|eu-west-1)\/\d{4}\/\d{2}\/\d{2}\/123456789012_CloudTrail-Digest_\1_.+_\d{8}T\d{4}Z\.json\.gz$/);
    }
  });

  // The per-record checks below collect what is wrong and assert once: an expect per field of
  // 6,000 records cost seconds of matcher overhead, and the list names every offending record.
  it('delivers files after the events they hold, sometimes in the next day folder', () => {
    let nextDay = 0;
    const early: string[] = [];
    for (const { file, record } of records) {
      const stamp = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/.exec(file);
      if (stamp === null) throw new Error(file);
      const delivered = Date.parse(`${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:${stamp[5]}:59Z`);
      if (!(Date.parse(record.eventTime) <= delivered)) early.push(`${record.eventID} at ${record.eventTime} in ${file}`);
      if (record.eventTime.slice(0, 10) !== `${stamp[1]}-${stamp[2]}-${stamp[3]}`) nextDay++;
    }
    expect(early).toEqual([]);
    expect(nextDay).toBeGreaterThan(0);
  });

  it('writes complete records inside the window', () => {
    const start = Date.parse(manifest.window.start);
    const end = Date.parse(manifest.window.end);
    const wrong: string[] = [];
    for (const { record } of records) {
      const id = String(record.eventID);
      for (const field of [
        'eventVersion',
        'userIdentity',
        'eventTime',
        'eventSource',
        'eventName',
        'awsRegion',
        'eventID',
        'eventType',
        'recipientAccountId',
        'eventCategory',
      ]) {
        if (record[field] === undefined) wrong.push(`${id}: no ${field}`);
      }
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(String(record.eventTime))) wrong.push(`${id}: eventTime ${record.eventTime}`);
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) wrong.push(`${id}: eventID is not a UUID v4`);
      const t = Date.parse(record.eventTime);
      if (!(t >= start && t < end)) wrong.push(`${id}: eventTime ${record.eventTime} outside the window`);
      if (record.userIdentity.type === 'AssumedRole') {
        for (const field of ['requestID', 'readOnly', 'managementEvent', 'tlsDetails', 'userAgent', 'sourceIPAddress']) {
          if (record[field] === undefined) wrong.push(`${id}: no ${field}`);
        }
        const issuer = record.userIdentity.sessionContext?.sessionIssuer;
        if (!/^arn:aws:iam::123456789012:role\//.test(String(issuer?.arn))) wrong.push(`${id}: session issuer ${issuer?.arn}`);
        const arn = `arn:aws:sts::123456789012:assumed-role/${issuer?.userName ?? ''}/${record.userIdentity.arn?.split('/')[2] ?? ''}`;
        if (record.userIdentity.arn !== arn) wrong.push(`${id}: userIdentity.arn ${record.userIdentity.arn}, not ${arn}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('records per role the actions its events used, and only those', () => {
    const byRole = new Map<string, ParsedRecord[]>();
    for (const { record } of records) {
      if (record.userIdentity.type !== 'AssumedRole') continue;
      const arn = record.userIdentity.sessionContext?.sessionIssuer?.arn ?? '';
      byRole.set(arn, [...(byRole.get(arn) ?? []), record]);
    }
    const app = manifest.roles.find((r) => r.name === 'app-api');
    expect(app?.arn).toBe('arn:aws:iam::123456789012:role/service/app-api');
    expect(app?.usedActions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 's3:GetObject', 's3:PutObject', 'kms:Decrypt', 'secretsmanager:GetSecretValue']),
    );
    expect(app?.usedActions).not.toContain('s3:DeleteObject');
    expect(app?.deniedActions).toEqual(['s3:DeleteObject']);
    expect(manifest.roles.find((r) => r.name === 'ci-deploy')?.usedActions).toContain('iam:PassRole');
    expect(manifest.roles.find((r) => r.name === 'queue-worker')?.deniedActions).toEqual(['ec2:DescribeInstances']);
    for (const role of manifest.roles) {
      const events = byRole.get(role.arn) ?? [];
      const unique = new Set(events.map((e) => e.eventID));
      expect(unique.size, role.name).toBe(role.events);
      const names = new Set(events.map((e) => `${e.eventSource.split('.')[0] ?? ''}:${e.eventName.replace(/20\d{6}v?\d*$/, '')}`));
      for (const action of role.usedActions.filter((a) => a !== 'iam:PassRole')) {
        const [service] = action.split(':');
        const fromService = [...names].filter((n) => n.startsWith(`${service === 'cloudwatch' ? 'monitoring' : (service ?? '')}:`));
        expect(fromService.length, `${role.name} ${action}`).toBeGreaterThan(0);
      }
      const errors = events.filter((e) => e.errorCode === 'AccessDenied' || e.errorCode === 'Client.UnauthorizedOperation');
      expect(errors.length > 0, role.name).toBe(role.deniedActions.length > 0);
    }
    expect(manifest.roles.find((r) => r.name === 'legacy-batch')?.events).toBe(0);
    expect(byRole.has('arn:aws:iam::123456789012:role/legacy-batch')).toBe(false);
  });

  it('writes iam.json in the authorization-details shape with a URL-encoded inline document', async () => {
    const iam: unknown = JSON.parse(await readFile(manifest.iamFile, 'utf8'));
    expect(iam).toMatchObject({
      UserDetailList: expect.any(Array),
      GroupDetailList: expect.any(Array),
      RoleDetailList: expect.any(Array),
      Policies: expect.any(Array),
    });
    const text = JSON.stringify(iam);
    for (const role of manifest.roles) expect(text).toContain(`"Arn":"${role.arn}"`);
    expect(text).toMatch(/"PolicyDocument":"%7B%22Version%22/);
    expect(text).toContain('"PermissionsBoundaryArn":"arn:aws:iam::123456789012:policy/service-boundary"');
    expect(text).toContain('"IsDefaultVersion":false');
    const lambda: unknown = JSON.parse(await readFile(manifest.lambdaFile, 'utf8'));
    const appApiFunctions = JSON.stringify(lambda).match(/"Role":"arn:aws:iam::123456789012:role\/service\/app-api"/g) ?? [];
    expect(appApiFunctions.length).toBe(2);
  });
});
