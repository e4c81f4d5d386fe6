/**
 * The Athena lifecycle through the production AthenaClient against a local stand-in: polling,
 * FAILED / CANCELLED, throttling absorbed by retries, header-only-on-first-page pagination,
 * lost pages, and a SUCCEEDED query with no rows (a real "no events", still refused by the guard).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runMinimize } from '../src/app/minimize.js';
import { awsClientConfig } from '../src/aws/client-config.js';
import { loadReferenceData } from '../src/cli/context.js';
import { ExitCode, InputError, UpstreamError, type ToolError } from '../src/errors.js';
import { estimateCostUsd, type AthenaProgress } from '../src/ingest/athena/athena-client.js';
import { athenaSource } from '../src/ingest/athena/athena-source.js';
import type { IamSnapshot, UsageQuery } from '../src/model.js';
import { RESULT_COLUMNS } from './athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv, type Cell, type StandIn, type StandInScript } from './athena-stand-in.js';

const ROLE = 'arn:aws:iam::111122223333:role/service/app';
const QUERY: UsageQuery = {
  roles: { kind: 'roles', arns: [ROLE], names: [] },
  window: { start: '2026-01-01T00:00:00Z', end: '2026-01-31T00:00:00Z' },
};

let standIn: StandIn | undefined;
let restore: () => void = () => undefined;
afterEach(async () => {
  restore();
  await standIn?.close();
  standIn = undefined;
});

async function withStandIn(
  script: StandInScript,
): Promise<{ stand: StandIn; sleeps: number[]; progress: AthenaProgress[]; source: ReturnType<typeof athenaSource> }> {
  const stand = await startAthenaStandIn(script);
  standIn = stand;
  restore = useStandInEnv(stand.url);
  const sleeps: number[] = [];
  const progress: AthenaProgress[] = [];
  let clock = 0;
  const source = athenaSource({
    database: 'ct',
    table: 'logs',
    aws: awsClientConfig({ region: 'eu-west-1' }),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
    onProgress: (p) => progress.push(p),
  });
  return { stand, sleeps, progress, source };
}

function callRow(i: number): Cell[] {
  const values: Record<string, Cell> = {
    grouping_set: 'calls',
    c_role: ROLE,
    c_role_name: 'app',
    c_source: 's3.amazonaws.com',
    c_name: 'GetObject',
    c_region: 'eu-west-1',
    c_account: '111122223333',
    c_category: 'Data',
    p_bucketName: 'bucket',
    p_key: `k/${i}`,
    records: '2',
    valid_records: '2',
    first_seen: '2026-01-02T00:00:00Z',
    last_seen: `2026-01-03T00:00:${String(i % 60).padStart(2, '0')}Z`,
  };
  return RESULT_COLUMNS.map((c) => values[c] ?? null);
}

async function failure(promise: Promise<unknown>): Promise<ToolError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InputError || error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('athena query lifecycle', () => {
  it('polls with growing waits through QUEUED/RUNNING and reads 2,500 groups over 3 pages', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => callRow(i));
    const { stand, sleeps, progress, source } = await withStandIn({
      states: ['QUEUED', 'QUEUED', 'RUNNING', 'QUEUED', 'RUNNING', 'SUCCEEDED'],
      bytesScanned: 5 * 1024 ** 3,
      result: () => ({ columns: RESULT_COLUMNS, rows }),
    });
    const scan = await source.scan(QUERY);
    // 2,500 distinct object keys under k/ (> FOLD_LIMIT): every page read, folded to one group.
    expect(scan.rows).toHaveLength(1);
    expect(scan.rows[0]).toMatchObject({ params: { bucketName: 'bucket', key: 'k/*' }, foldedDepth: 1, count: 5000, lastSeen: '2026-01-03T00:00:59Z' });
    expect(scan.evidence.events).toBe(5000);
    expect(stand.pagesServed).toEqual([1000, 1000, 501]);
    expect(progress.map((p) => p.state)).toEqual(['QUEUED', 'QUEUED', 'RUNNING', 'QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(sleeps).toHaveLength(5);
    for (let i = 1; i < sleeps.length; i++) expect(sleeps[i] ?? 0).toBeGreaterThanOrEqual(sleeps[i - 1] ?? 0);
    expect(scan.evidence.bytes).toBe(5 * 1024 ** 3);
    expect(estimateCostUsd(5 * 1024 ** 3)).toBeCloseTo((5 / 1024) * 5, 6);
    expect(estimateCostUsd(0)).toBeCloseTo((10 / 1024 / 1024) * 5, 9);
    const results = stand.calls.filter((c) => c.op === 'GetQueryResults');
    expect(results.map((c) => c.body['MaxResults'])).toEqual([1000, 1000, 1000]);
    expect(results[0]?.body['NextToken']).toBeUndefined();
  });

  it("ends a FAILED query with Athena's reason as an UpstreamError", async () => {
    const { source } = await withStandIn({ states: ['RUNNING', 'FAILED'], reason: 'HIVE_BAD_DATA: Error parsing field value' });
    const error = await failure(source.scan(QUERY));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.exitCode).toBe(ExitCode.Upstream);
    expect(error.message).toContain('FAILED: HIVE_BAD_DATA: Error parsing field value');
  });

  it('ends a CANCELLED query as an error, never as "no usage"', async () => {
    const { source } = await withStandIn({ states: ['RUNNING', 'CANCELLED'], reason: 'Query cancelled: bytes scanned limit exceeded' });
    const error = await failure(source.scan(QUERY));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('CANCELLED');
    expect(error.hint).toContain('BytesScannedCutoffPerQuery');
  });

  it('absorbs throttling with the SDK retries', async () => {
    const { stand, source } = await withStandIn({
      states: ['SUCCEEDED'],
      throttle: { StartQueryExecution: 1, GetQueryExecution: 2 },
      result: () => ({ columns: RESULT_COLUMNS, rows: [callRow(1)] }),
    });
    const scan = await source.scan(QUERY);
    expect(scan.rows).toHaveLength(1);
    expect(stand.calls.filter((c) => c.op === 'StartQueryExecution')).toHaveLength(2);
    expect(stand.calls.filter((c) => c.op === 'GetQueryExecution')).toHaveLength(3);
    // Retries reuse the SDK's idempotency token, so Athena starts the query once.
    const tokens = stand.calls.filter((c) => c.op === 'StartQueryExecution').map((c) => c.body['ClientRequestToken']);
    expect(new Set(tokens).size).toBe(1);
  }, 30_000);

  it('fails when a result page cannot be read, rather than returning fewer rows', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => callRow(i));
    const { source } = await withStandIn({ states: ['SUCCEEDED'], brokenPage: 1, result: () => ({ columns: RESULT_COLUMNS, rows }) });
    const error = await failure(source.scan(QUERY));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.message).toContain('athena:GetQueryResults failed');
  }, 60_000);

  it('reads a SUCCEEDED query with no rows as no events, which the minimize guard refuses', async () => {
    const { source } = await withStandIn({ states: ['SUCCEEDED'], result: () => ({ columns: RESULT_COLUMNS, rows: [] }) });
    const scan = await source.scan(QUERY);
    expect(scan.rows).toEqual([]);
    const iam: IamSnapshot = {
      source: 'test',
      roles: [
        {
          arn: ROLE,
          name: 'app',
          path: '/service/',
          accountId: '111122223333',
          serviceLinked: false,
          policies: [
            { kind: 'inline', name: 'p', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } },
          ],
        },
      ],
    };
    const data = await loadReferenceData();
    const error = await failure(
      runMinimize(
        { ...data, iam, source },
        { role: 'app', window: QUERY.window, allowEmpty: false, proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' } },
      ),
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('no events by role app');
  });

  it('rejects identifiers that would have to be spliced into SQL', async () => {
    const source = athenaSource({ database: 'ct', table: 'logs; DROP TABLE x', aws: awsClientConfig({}) });
    const error = await source.scan(QUERY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as ToolError).exitCode).toBe(ExitCode.Usage);
  });
});
