/**
 * Acceptance: every real CloudTrail event in ../shared/datasets/cloudtrail maps to catalogue
 * actions or is explicitly classified (permissionless, not an API call, denied, ratcheted).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/iam/catalog.js';
import { type CloudTrailRecord, attributeRecord, countsEventType, groupRecords } from '../src/ingest/reference.js';
import { extractRequestKeys } from '../src/mapping/request-keys.js';
import { createMapper } from '../src/mapping/map-call.js';
import { mappingTables } from '../src/mapping/tables.js';
import type { CallRow } from '../src/model.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets', 'cloudtrail');
const present = existsSync(root);
if (!present) console.log(`mapping-real-events: ${root} is absent; skipping the real-event acceptance test`);

function isRecord(value: unknown): value is CloudTrailRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function recordsOf(text: string): CloudTrailRecord[] {
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

function loadRecords(): { file: string; record: CloudTrailRecord }[] {
  const out: { file: string; record: CloudTrailRecord }[] = [];
  for (const dir of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(root, dir, name);
      if (!/\.(json|log|json\.gz)$/.test(name) || name === 'policy-to-guess.json') continue;
      const text = name.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('utf8') : readFileSync(path, 'utf8');
      for (const record of recordsOf(text)) if (typeof record.eventSource === 'string') out.push({ file: `${dir}/${name}`, record });
    }
  }
  return out;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function get(value: unknown, key: string): unknown {
  return isRecord(value) ? Reflect.get(value, key) : undefined;
}

/** attributeRecord for roles; other identities (IAMUser, Root, AWSService) built here the same way. */
function rowOf(record: CloudTrailRecord): CallRow {
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

describe.skipIf(!present)('real CloudTrail events', () => {
  it('every event maps to catalogue actions or is explicitly classified; 0 unexplained', async () => {
    const catalog = await loadCatalog();
    const mapper = createMapper(catalog);
    const ratchet = new Set(mappingTables().unmappedRatchet.map((r) => `${r.eventSource} ${r.eventName}`));
    const records = loadRecords();
    const counts = { events: 0, mapped: 0, denied: 0, permissionless: 0, notApiCall: 0, ratcheted: 0, unexplained: 0, unknownErrorCodes: 0 };
    const unexplained: string[] = [];
    const invalid: string[] = [];
    for (const { file, record } of records) {
      counts.events += 1;
      if (!countsEventType(record.eventType)) {
        counts.notApiCall += 1;
        continue;
      }
      const mapped = mapper(rowOf(record));
      if (mapped.diagnostics.some((d) => d.code === 'unknown-error-code')) counts.unknownErrorCodes += 1;
      if (mapped.kind === 'ignored') {
        if (mapped.reason.startsWith('permissionless')) counts.permissionless += 1;
        else counts.notApiCall += 1;
      } else if (mapped.kind === 'mapped') {
        if (mapped.outcome === 'denied') counts.denied += 1;
        else counts.mapped += 1;
        for (const p of mapped.permissions) {
          if (catalog.action(p.action)?.id !== p.action) invalid.push(`${file}: ${p.action}`);
          if (p.resources.length === 0) invalid.push(`${file}: ${p.action} has no resources`);
        }
      } else if (ratchet.has(`${str(record.eventSource)} ${str(record.eventName)}`)) {
        counts.ratcheted += 1;
      } else {
        counts.unexplained += 1;
        unexplained.push(`${file}: ${str(record.eventSource)} ${str(record.eventName)}`);
      }
    }
    console.log('real-event accounting', JSON.stringify(counts), 'files:', new Set(records.map((r) => r.file)).size);
    expect(counts.events).toBeGreaterThan(400);
    expect(invalid).toEqual([]);
    expect(unexplained).toEqual([]);
    expect(counts.unknownErrorCodes).toBe(0);
    expect(counts.mapped + counts.denied + counts.permissionless + counts.notApiCall + counts.ratcheted).toBe(counts.events);
  });

  it('role records grouped like the SQL map the same way as one by one', async () => {
    const mapper = createMapper(await loadCatalog());
    const records = loadRecords().map((r) => r.record);
    const rows = groupRecords(records, { kind: 'all' }, { start: '1970-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' });
    expect(rows.length).toBeGreaterThan(20);
    const unmapped = rows.filter((row) => mapper(row).kind === 'unmapped').map((r) => `${r.eventSource} ${r.eventName}`);
    expect(unmapped).toEqual([]);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBeGreaterThan(60);
  });
});
