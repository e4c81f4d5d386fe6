/**
 * The real CloudTrail records of ../shared/datasets/cloudtrail (see its README), for the acceptance
 * tests: every file of every source folder, in a stable order, and the call row each record gives.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type CloudTrailRecord, attributeRecord } from '../../src/ingest/reference.js';
import { extractRequestKeys } from '../../src/mapping/request-keys.js';
import type { CallRow } from '../../src/model.js';

export const REAL_CLOUDTRAIL_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'datasets', 'cloudtrail');
export const realCloudTrailPresent = existsSync(REAL_CLOUDTRAIL_ROOT);

export function isRecord(value: unknown): value is CloudTrailRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function recordsOf(text: string): CloudTrailRecord[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed)) return parsed.filter(isRecord);
    if (isRecord(parsed) && 'Records' in parsed && Array.isArray(parsed.Records)) return parsed.Records.filter(isRecord);
    if (isRecord(parsed)) return [parsed];
  } catch {
    // JSON lines
  }
  return trimmed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line): unknown => JSON.parse(line))
    .filter(isRecord);
}

export function loadRecords(): { file: string; record: CloudTrailRecord }[] {
  const out: { file: string; record: CloudTrailRecord }[] = [];
  for (const dir of readdirSync(REAL_CLOUDTRAIL_ROOT).sort()) {
    for (const name of readdirSync(join(REAL_CLOUDTRAIL_ROOT, dir)).sort()) {
      const path = join(REAL_CLOUDTRAIL_ROOT, dir, name);
      if (!/\.(json|log|json\.gz)$/.test(name) || name === 'policy-to-guess.json') continue;
      const text = name.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('utf8') : readFileSync(path, 'utf8');
      for (const record of recordsOf(text)) if (typeof record.eventSource === 'string') out.push({ file: `${dir}/${name}`, record });
    }
  }
  return out;
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function get(value: unknown, key: string): unknown {
  return isRecord(value) ? Reflect.get(value, key) : undefined;
}

/** attributeRecord for roles; other identities (IAMUser, Root, AWSService) built here the same way. */
export function rowOf(record: CloudTrailRecord): CallRow {
  const base = { count: 1, firstSeen: '', lastSeen: '' };
  const attributed = attributeRecord(record);
  if (attributed !== undefined) return { ...attributed.row, ...base };
  const identity = record.userIdentity;
  const account = str(record.recipientAccountId) || str(get(identity, 'accountId'));
  const resources = Array.isArray(record.resources) ? record.resources : [];
  return {
    roleArn: str(get(identity, 'arn')) || `arn:aws:iam::${account}:root`,
    eventSource: str(record.eventSource),
    eventName: str(record.eventName),
    awsRegion: str(record.awsRegion),
    recipientAccountId: account,
    eventCategory: str(record.eventCategory),
    errorCode: str(record.errorCode) || null,
    invokedBy: str(get(identity, 'invokedBy')) || null,
    params: extractRequestKeys(record.requestParameters),
    resourceArns: [...new Set(resources.map((r) => str(get(r, 'ARN'))).filter((a) => a !== ''))].sort(),
    ...base,
  };
}
