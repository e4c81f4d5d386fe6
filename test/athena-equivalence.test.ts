/**
 * One query shape, two engines: the rows the Athena path receives (as GetQueryResults pages
 * from a local stand-in, through the production AthenaClient) give the same plan as the local
 * DuckDB path on the same logs.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMinimize } from '../src/app/minimize.js';
import type { MinimizePlan } from '../src/model.js';
import { runUsage } from '../src/app/usage.js';
import { awsClientConfig } from '../src/aws/client-config.js';
import { loadReferenceData } from '../src/cli/context.js';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { readIamSnapshotFile } from '../src/iam/snapshot-file.js';
import { athenaSource } from '../src/ingest/athena/athena-source.js';
import { streamLogsSource } from '../src/ingest/local/stream/stream-source.js';
import type { CloudTrailRecord } from '../src/ingest/reference.js';
import type { IamSnapshot } from '../src/model.js';
import { expectedAthenaRows } from './athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv, type StandIn } from './athena-stand-in.js';

let dir = '';
let manifest: DemoManifest;
let iam: IamSnapshot;
const records: CloudTrailRecord[] = [];
let standIn: StandIn;
let restoreEnv: () => void = () => undefined;
let data: Awaited<ReturnType<typeof loadReferenceData>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-athena-eq-'));
  manifest = await generateDemo({ outDir: dir, now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 8_000, seed: 5 });
  iam = await readIamSnapshotFile(manifest.iamFile);
  data = await loadReferenceData();
  const entries = await readdir(manifest.logsDir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || e.name.includes('CloudTrail-Digest') || !e.name.endsWith('.json.gz')) continue;
    const parsed = JSON.parse(gunzipSync(await readFile(join(e.parentPath, e.name))).toString('utf8')) as { Records: CloudTrailRecord[] };
    records.push(...parsed.Records);
  }
  standIn = await startAthenaStandIn({
    states: ['QUEUED', 'RUNNING', 'SUCCEEDED'],
    bytesScanned: 123_456_789,
    result: (start) => expectedAthenaRows(records, start),
  });
  restoreEnv = useStandInEnv(standIn.url);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
});

function athena(): ReturnType<typeof athenaSource> {
  return athenaSource({
    database: 'cloudtrail',
    table: 'org_logs',
    workgroup: 'iamtrim',
    outputLocation: 's3://results-bucket/iamtrim/',
    aws: awsClientConfig({ region: 'eu-west-1' }),
    sleep: async () => undefined,
    now: () => 0,
  });
}

/** The plan without the evidence block, which names the source and its byte counts. */
function comparable(plan: MinimizePlan): { rest: Omit<MinimizePlan, 'evidence'>; events: number; denied: number } {
  const { evidence, ...rest } = plan;
  return { rest, events: evidence.events, denied: evidence.denied };
}

describe('Athena path = local path', () => {
  it('gives the same plan for app-api from one parameterised query', async () => {
    const window = manifest.window;
    const input = {
      role: 'app-api',
      window,
      allowEmpty: false,
      proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
    } as const;
    const local = await runMinimize({ ...data, iam, source: streamLogsSource({ logs: manifest.logsDir, skipBadFiles: false }) }, input);
    const startsBefore = standIn.starts.length;
    const remote = await runMinimize({ ...data, iam, source: athena() }, input);

    expect(local.evidence.events).toBeGreaterThan(100);
    expect(comparable(remote)).toEqual(comparable(local));
    expect(remote.proposed).toEqual(local.proposed);
    expect(remote.evidence.dataEventSources).toEqual(local.evidence.dataEventSources);
    expect(remote.evidence.source).toBe('athena cloudtrail.org_logs');
    expect(remote.evidence.bytes).toBe(123_456_789);

    // Exactly one query, parameterised, with partition and time predicates, no role text.
    expect(standIn.starts.length).toBe(startsBefore + 1);
    const start = standIn.starts[standIn.starts.length - 1];
    if (start === undefined) throw new Error('no query');
    const sql = start.QueryString;
    const role = iam.roles.find((r) => r.name === 'app-api');
    expect(role).toBeDefined();
    expect(sql).not.toContain(role?.arn ?? '?');
    expect(sql).not.toContain('app-api');
    expect(sql).not.toContain(manifest.accountId);
    expect(sql).toMatch(/day BETWEEN \? \/\*p:dayFrom\*\/ AND \? \/\*p:dayTo\*\//);
    expect(sql).toMatch(/account IN \(\? \/\*p:account\.0\*\/\)/);
    expect(sql).toContain("eventtype IN ('AwsApiCall')");
    expect(sql).toMatch(/try\(from_iso8601_timestamp\(eventtime\)\) >= from_iso8601_timestamp\(\?/);
    expect(sql).toContain('GROUPING SETS');
    expect(sql).toContain('useridentity.sessioncontext.sessionissuer.arn');
    expect(sql).toContain('json_extract_scalar(rp, \'$["key"]\')');
    expect(sql).toContain('json_extract_scalar(rp, \'$["Key"]\')');
    const questionMarks = (sql.match(/\?/g) ?? []).length;
    expect(start.ExecutionParameters).toHaveLength(questionMarks);
    expect(start.ExecutionParameters).toContain(`'${role?.arn ?? ''}'`);
    expect(start.ExecutionParameters).toContain(`'${manifest.accountId}'`);
    // Padded a day either side of the window on the delivery-date partition.
    const dayFrom = new Date(Date.parse(window.start) - 86_400_000).toISOString().slice(0, 10).replace(/-/g, '/');
    expect(start.ExecutionParameters).toContain(`'${dayFrom}'`);
    // Athena binds `?` only in WHERE clauses: nothing but WHERE may open the clause around each one.
    for (const m of sql.matchAll(/\?/g)) {
      const before = sql.slice(0, m.index);
      const clause = [...before.matchAll(/\b(SELECT|WHERE|FROM|GROUP BY|HAVING)\b/g)].pop();
      expect(clause?.[1]).toBe('WHERE');
    }
    expect(start.QueryExecutionContext?.Database).toBe('cloudtrail');
    expect(start.WorkGroup).toBe('iamtrim');
    expect(start.ResultConfiguration?.OutputLocation).toBe('s3://results-bucket/iamtrim/');
  }, 60_000);

  it('serves many roles in one query and returns the same usage as the local path', async () => {
    const roles = manifest.roles.map((r) => r.name).slice(0, 12);
    expect(roles.length).toBeGreaterThan(3);
    const window = manifest.window;
    const local = await runUsage({ mapCall: data.mapCall, iam, source: streamLogsSource({ logs: manifest.logsDir, skipBadFiles: false }) }, { roles, window });
    const startsBefore = standIn.starts.length;
    const pagesBefore = standIn.pagesServed.length;
    const remote = await runUsage({ mapCall: data.mapCall, iam, source: athena() }, { roles, window });
    expect(standIn.starts.length).toBe(startsBefore + 1);
    expect(remote.roles).toEqual(local.roles);
    expect(remote.roles.length).toBeGreaterThan(3);
    const pages = standIn.pagesServed.slice(pagesBefore);
    const groups = pages.reduce((a, b) => a + b, 0) - 1;
    expect(groups).toBeGreaterThan(remote.roles.length);
    // Pagination: full pages of 1,000 until the last one.
    for (const size of pages.slice(0, -1)) expect(size).toBe(1000);
    expect(pages.length).toBeGreaterThan(1);
  }, 60_000);
});
