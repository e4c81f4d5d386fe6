/**
 * Acceptance: every real CloudTrail event in ../shared/datasets/cloudtrail maps to catalogue
 * actions or is explicitly classified (permissionless, not an API call, denied, ratcheted).
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/iam/catalog.js';
import { countsEventType, groupRecords } from '../src/ingest/reference.js';
import { createMapper } from '../src/mapping/map-call.js';
import { mappingTables } from '../src/mapping/tables.js';
import { REAL_CLOUDTRAIL_ROOT as root, realCloudTrailPresent as present, loadRecords, rowOf, str } from './helpers/real-cloudtrail.js';

if (!present) console.log(`mapping-real-events: ${root} is absent; skipping the real-event acceptance test`);

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
