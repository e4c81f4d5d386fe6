/**
 * `iamtrim athena rollup` and `--athena-rollup`, against the local Athena stand-in: the CTAS and
 * INSERT INTO statements (partition clause, day predicates, no user text), the incremental run,
 * the rollup source giving the plan the raw-table Athena source gives for the same whole days,
 * and exit 4 when Athena fails a statement.
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
import type { CliIo } from '../src/cli/io.js';
import { main } from '../src/cli/main.js';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { readIamSnapshotFile } from '../src/iam/snapshot-file.js';
import { athenaSource } from '../src/ingest/athena/athena-source.js';
import { buildRollupCtas, buildRollupInsert, dayChunks, planRollup, ROLLUP_COLUMNS } from '../src/ingest/athena/rollup.js';
import { athenaRollupSource, buildRollupUsageQuery } from '../src/ingest/athena/rollup-source.js';
import { marker } from '../src/ingest/athena/trino-dialect.js';
import type { CloudTrailRecord } from '../src/ingest/reference.js';
import type { IamSnapshot } from '../src/model.js';
import { boundValues, expectedAthenaRows, unquote } from './athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv, type Cell, type StandIn, type StartRequest } from './athena-stand-in.js';

const ref = { database: 'cloudtrail', table: 'org_logs', rollup: 'usage_rollup' };

function io(now: string): CliIo & { stdout: string; stderr: string } {
  const self = {
    stdout: '',
    stderr: '',
    out: (t: string) => {
      self.stdout += t;
    },
    err: (t: string) => {
      self.stderr += t;
    },
    interactive: false,
    now: () => new Date(now),
    env: process.env,
  };
  return self;
}

async function withStandIn<T>(stand: StandIn, run: () => Promise<T>): Promise<T> {
  const restore = useStandInEnv(stand.url);
  try {
    return await run();
  } finally {
    restore();
    await stand.close();
  }
}

const rollupArgs = [
  'node',
  'iamtrim',
  'athena',
  'rollup',
  '--athena-database',
  'cloudtrail',
  '--athena-table',
  'org_logs',
  '--rollup-table',
  'usage_rollup',
  '--region',
  'eu-west-1',
];

describe('rollup SQL', () => {
  it('CTAS: Parquet partitioned by day, whole-day predicates, day last, only generated values', () => {
    const sql = buildRollupCtas({ ...ref, accounts: ['123456789012'] }, '2026-02-01', '2026-02-27');
    expect(sql).toMatch(
      /^CREATE TABLE "cloudtrail"\."usage_rollup"\nWITH \(format = 'PARQUET', write_compression = 'SNAPPY', partitioned_by = ARRAY\['day'\]\)\nAS SELECT /,
    );
    // Delivery-date partitions padded a day either side; the event-time window is the whole days.
    expect(sql).toContain("day BETWEEN '2026/01/31' AND '2026/02/28'");
    expect(sql).toContain("account IN ('123456789012')");
    expect(sql).toContain("from_iso8601_timestamp('2026-02-01T00:00:00Z')");
    expect(sql).toContain("from_iso8601_timestamp('2026-02-28T00:00:00Z')");
    expect(sql).toContain("eventtype IN ('AwsApiCall')");
    expect(sql).not.toContain('?');
    // The partition column is the last one selected.
    const select = sql.slice(sql.indexOf('AS SELECT'), sql.indexOf('\nFROM ('));
    expect(select.trim().endsWith(', day')).toBe(true);
    expect(select.split(',').map((c) => c.trim().split(' ').pop())).toEqual([...ROLLUP_COLUMNS]);
    expect(sql).toContain("WHERE grouping_set <> 'files' AND day IS NOT NULL");
    // Every quoted literal is an identifier-free generated value: days, timestamps, the account, SQL constants.
    const literals = [...sql.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
    for (const l of literals)
      expect(l).toMatch(
        /^(\d{4}[-/]\d{2}[-/]\d{2}(T00:00:00Z)?|\d{12}|PARQUET|SNAPPY|day|AwsApiCall|Role|Data|UTC|calls|coverage|files|%Y-%m-%dT%H:%i:%sZ|\$.*| |)$/,
      );
  });

  it('refuses names that are not plain identifiers', () => {
    expect(() => buildRollupCtas({ ...ref, rollup: 'x"; DROP TABLE y; --' }, '2026-02-01', '2026-02-02')).toThrow(/not a plain Athena name/);
    expect(() => buildRollupInsert({ ...ref, table: "a' OR 1=1" }, '2026-02-01', '2026-02-02')).toThrow(/not a plain Athena name/);
    expect(() => buildRollupCtas({ ...ref, accounts: ["1' OR '1"] }, '2026-02-01', '2026-02-02')).toThrow(/account ID/);
  });

  it('plans complete days only (today − 2), in statements of at most 100 partitions', () => {
    const now = new Date('2026-03-05T13:00:00Z');
    const fresh = planRollup(ref, { exists: false, maxDay: null }, now, 90);
    expect(fresh.statements.map((s) => [s.kind, s.from, s.to])).toEqual([['CTAS', '2025-12-04', '2026-03-03']]);
    const long = planRollup(ref, { exists: false, maxDay: null }, now, 150);
    expect(long.statements.map((s) => s.kind)).toEqual(['CTAS', 'INSERT']);
    expect(long.statements[1]?.to).toBe('2026-03-03');
    expect(dayChunks('2026-01-01', '2026-04-10')).toEqual([{ from: '2026-01-01', to: '2026-04-10' }]);
    expect(dayChunks('2026-01-01', '2026-04-11')).toEqual([
      { from: '2026-01-01', to: '2026-04-10' },
      { from: '2026-04-11', to: '2026-04-11' },
    ]);
    const next = planRollup(ref, { exists: true, maxDay: '2026-03-01' }, now, 90);
    expect(next.statements.map((s) => [s.kind, s.from, s.to])).toEqual([['INSERT', '2026-03-02', '2026-03-03']]);
    expect(planRollup(ref, { exists: true, maxDay: '2026-03-03' }, now, 90).statements).toEqual([]);
  });

  it('the rollup query binds days and roles as parameters in WHERE only, and refuses partial days', () => {
    const window = { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' };
    const arn = 'arn:aws:iam::123456789012:role/app-api';
    const { sql, parameters } = buildRollupUsageQuery(ref, { roles: { kind: 'roles', arns: [arn], names: [] }, window } as never);
    expect(sql).not.toContain('app-api');
    expect(sql).toContain('FROM "cloudtrail"."usage_rollup"');
    expect(parameters).toEqual(["'2026-02-01'", "'2026-03-01'", 'false', `'${arn}'`, "''"]);
    for (const m of sql.matchAll(/\?/g)) {
      const clause = [...sql.slice(0, m.index).matchAll(/\b(SELECT|WHERE|FROM|GROUP BY|HAVING)\b/g)].pop();
      expect(clause?.[1]).toBe('WHERE');
    }
    expect(() => buildRollupUsageQuery(ref, { roles: { kind: 'all' }, window: { ...window, end: '2026-03-01T10:00:00Z' } } as never)).toThrow(/whole UTC days/);
  });
});

describe('iamtrim athena rollup', () => {
  it('creates the table with a CTAS when it does not exist, and prints bytes scanned and cost', async () => {
    const stand = await startAthenaStandIn({ states: ['SUCCEEDED'], bytesScanned: 2 * 1024 ** 3, result: () => ({ columns: ['table_name'], rows: [] }) });
    const out = io('2026-03-01T08:00:00Z');
    const code = await withStandIn(stand, () => main([...rollupArgs, '--days', '5', '--athena-output', 's3://results/iamtrim/'], out));
    expect(out.stderr).toBe(out.stderr.replace(/\n\s+at /, ''));
    expect(code).toBe(0);
    expect(stand.starts).toHaveLength(2);
    const [lookup, ctas] = stand.starts;
    expect(lookup?.QueryString).toContain('information_schema.tables');
    expect(lookup?.ExecutionParameters).toEqual(["'cloudtrail'", "'usage_rollup'"]);
    expect(ctas?.QueryString).toMatch(/^CREATE TABLE "cloudtrail"\."usage_rollup"/);
    expect(ctas?.QueryString).toContain("partitioned_by = ARRAY['day']");
    expect(ctas?.QueryString).toContain("from_iso8601_timestamp('2026-02-23T00:00:00Z')");
    expect(ctas?.QueryString).toContain("from_iso8601_timestamp('2026-02-28T00:00:00Z')");
    expect(ctas?.ExecutionParameters).toBeUndefined();
    expect(ctas?.ResultConfiguration?.OutputLocation).toBe('s3://results/iamtrim/');
    expect(out.stdout).toContain('created cloudtrail.usage_rollup: days 2026-02-23 to 2026-02-27 from cloudtrail.org_logs (2');
    expect(out.stdout).toMatch(/estimated cost \$0\.0098/);
  }, 30_000);

  it('a later run inserts only the new complete days; an up-to-date table gets no statement', async () => {
    const answer = (start: StartRequest): { columns: string[]; rows: Cell[][] } =>
      start.QueryString.includes('information_schema')
        ? { columns: ['table_name'], rows: [['usage_rollup']] }
        : { columns: ['max_day'], rows: [['2026-02-27']] };
    const stand = await startAthenaStandIn({ states: ['SUCCEEDED'], bytesScanned: 5 * 1024 ** 2, result: answer });
    const out = io('2026-03-03T01:00:00Z');
    const code = await withStandIn(stand, () => main(rollupArgs, out));
    expect(code).toBe(0);
    expect(stand.starts.map((s) => s.QueryString.split('\n')[0])).toEqual([
      'SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
      'SELECT max(day) AS max_day FROM "cloudtrail"."usage_rollup"',
      'INSERT INTO "cloudtrail"."usage_rollup"',
    ]);
    const insert = stand.starts[2]?.QueryString ?? '';
    expect(insert).toContain("from_iso8601_timestamp('2026-02-28T00:00:00Z')");
    expect(insert).toContain("from_iso8601_timestamp('2026-03-02T00:00:00Z')");
    expect(insert).toContain("day BETWEEN '2026/02/27' AND '2026/03/02'");
    expect(out.stdout).toContain('inserted into cloudtrail.usage_rollup: days 2026-02-28 to 2026-03-01');

    const again = await startAthenaStandIn({ states: ['SUCCEEDED'], result: answer });
    const same = io('2026-03-01T23:00:00Z');
    expect(await withStandIn(again, () => main(rollupArgs, same))).toBe(0);
    expect(again.starts).toHaveLength(2);
    expect(same.stdout).toContain('is up to date');
  }, 30_000);

  it("exits 4 with Athena's reason when a statement FAILED", async () => {
    const stand = await startAthenaStandIn({ states: ['FAILED'], reason: 'HIVE_TOO_MANY_OPEN_PARTITIONS: too many partitions' });
    const out = io('2026-03-03T01:00:00Z');
    const code = await withStandIn(stand, () => main(rollupArgs, out));
    expect(code).toBe(4);
    expect(out.stderr).toContain('HIVE_TOO_MANY_OPEN_PARTITIONS');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('refuses a rollup table name that is not an identifier (exit 2), before calling Athena', async () => {
    const out = io('2026-03-03T01:00:00Z');
    const args = [...rollupArgs];
    args[args.indexOf('usage_rollup')] = "x'; DROP TABLE t; --";
    expect(await main(args, out)).toBe(2);
    expect(out.stderr).toContain('not a plain Athena name');
  });
});

describe('--athena-rollup = --athena for whole days', () => {
  let dir = '';
  let manifest: DemoManifest;
  let iam: IamSnapshot;
  const records: CloudTrailRecord[] = [];
  let standIn: StandIn;
  let restoreEnv: () => void = () => undefined;
  let data: Awaited<ReturnType<typeof loadReferenceData>>;
  const window = { start: '2026-02-15T00:00:00Z', end: '2026-03-01T00:00:00Z' };

  /**
   * The rollup query's answer: the raw-table rows for the same whole days (what summing the
   * per-day groups gives), without the per-file row, which the rollup does not keep.
   */
  function rollupRows(start: StartRequest): { columns: string[]; rows: Cell[][] } {
    const bound = boundValues(start);
    const names = ['start', 'end', 'allRoles', ...[...bound.keys()].filter((k) => k.startsWith('role'))];
    const values = new Map(bound);
    values.set('start', `'${unquote(bound.get('startDay') ?? '')}T00:00:00Z'`);
    values.set('end', `'${unquote(bound.get('endDay') ?? '')}T00:00:00Z'`);
    const raw = expectedAthenaRows(records, { QueryString: names.map(marker).join(' '), ExecutionParameters: names.map((n) => values.get(n) ?? '') });
    return { columns: raw.columns, rows: raw.rows.filter((r) => r[0] !== 'files') };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-athena-rollup-'));
    manifest = await generateDemo({ outDir: dir, now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 6_000, seed: 5 });
    iam = await readIamSnapshotFile(manifest.iamFile);
    data = await loadReferenceData();
    for (const e of await readdir(manifest.logsDir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || e.name.includes('Digest') || !e.name.endsWith('.json.gz')) continue;
      records.push(...(JSON.parse(gunzipSync(await readFile(join(e.parentPath, e.name))).toString('utf8')) as { Records: CloudTrailRecord[] }).Records);
    }
    standIn = await startAthenaStandIn({
      states: ['SUCCEEDED'],
      bytesScanned: 4_321,
      result: (start) => (start.QueryString.includes('"usage_rollup"') ? rollupRows(start) : expectedAthenaRows(records, start)),
    });
    restoreEnv = useStandInEnv(standIn.url);
  }, 60_000);

  afterAll(async () => {
    restoreEnv();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  const common = { workgroup: 'iamtrim', aws: awsClientConfig({ region: 'eu-west-1' }), sleep: async () => undefined, now: () => 0 };
  const comparable = (plan: MinimizePlan): unknown => {
    const { evidence, ...rest } = plan;
    return { rest, events: evidence.events, denied: evidence.denied, records: evidence.records, covered: evidence.covered, data: evidence.dataEventSources };
  };

  it('gives the plain Athena plan for app-api, from one query on the rollup', async () => {
    const input = {
      role: 'app-api',
      window,
      allowEmpty: false,
      proposal: { resources: 'generalize', dropUnobservable: false, policyType: 'managed' },
    } as const;
    const plain = await runMinimize({ ...data, iam, source: athenaSource({ ...common, database: 'cloudtrail', table: 'org_logs' }) }, input);
    const before = standIn.starts.length;
    const rolled = await runMinimize({ ...data, iam, source: athenaRollupSource({ ...common, database: 'cloudtrail', rollup: 'usage_rollup' }) }, input);
    expect(standIn.starts.length).toBe(before + 1);
    expect(plain.evidence.events).toBeGreaterThan(50);
    expect(comparable(rolled)).toEqual(comparable(plain));
    expect(rolled.evidence.source).toBe('athena rollup cloudtrail.usage_rollup');
    expect(rolled.evidence.bytes).toBe(4_321);
    const sql = standIn.starts[before]?.QueryString ?? '';
    expect(sql).not.toContain('app-api');
  }, 60_000);

  it('gives the same usage for many roles', async () => {
    const roles = manifest.roles.map((r) => r.name).slice(0, 8);
    const plain = await runUsage(
      { mapCall: data.mapCall, iam, source: athenaSource({ ...common, database: 'cloudtrail', table: 'org_logs' }) },
      { roles, window },
    );
    const rolled = await runUsage(
      { mapCall: data.mapCall, iam, source: athenaRollupSource({ ...common, database: 'cloudtrail', rollup: 'usage_rollup' }) },
      { roles, window },
    );
    expect(rolled.roles.length).toBeGreaterThan(3);
    expect(rolled.roles).toEqual(plain.roles);
  }, 60_000);

  it('runs from the CLI: `usage --athena-rollup` defaults --end to today 00:00 UTC and prints the cost', async () => {
    const out = io('2026-03-01T09:30:00Z');
    const code = await main(
      [
        'node',
        'iamtrim',
        'usage',
        '--role',
        'app-api',
        '--days',
        '14',
        '--iam',
        manifest.iamFile,
        '--athena-rollup',
        'usage_rollup',
        '--athena-database',
        'cloudtrail',
      ],
      out,
    );
    expect(out.stderr).toContain('athena: scanned');
    expect(code).toBe(0);
    const last = standIn.starts[standIn.starts.length - 1];
    expect(last?.ExecutionParameters?.slice(0, 2)).toEqual(["'2026-02-15'", "'2026-03-01'"]);
    const partial = io('2026-03-01T09:30:00Z');
    expect(
      await main(
        ['node', 'iamtrim', 'usage', '--role', 'app-api', '--end', '2026-03-01T09:00:00Z', '--iam', manifest.iamFile, '--athena-rollup', 'usage_rollup'],
        partial,
      ),
    ).toBe(2);
    expect(partial.stderr).toContain('answers whole UTC days');
    const both = io('2026-03-01T09:30:00Z');
    expect(await main(['node', 'iamtrim', 'usage', '--role', 'x', '--iam', manifest.iamFile, '--athena', '--athena-rollup', 'r'], both)).toBe(2);
    expect(both.stderr).toContain('--athena and --athena-rollup');
  }, 60_000);
});
