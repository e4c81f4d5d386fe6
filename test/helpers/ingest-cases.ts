/**
 * The runner of test/ingest-cases/*.json (see test/ingest-cases.test.ts for what the corpus
 * states): loads the cases and runs one case through one source.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../src/aws/client-config.js';
import { athenaSource } from '../../src/ingest/athena/athena-source.js';
import { updateUsageIndex } from '../../src/ingest/index/build-index.js';
import { scanUsageIndex } from '../../src/ingest/index/index-source.js';
import type { FileShape } from '../../src/ingest/local/discover.js';
import { nativeWalker } from '../../src/ingest/local/stream/record-index.js';
import { scanLocalLogsStream } from '../../src/ingest/local/stream/stream-source.js';
import type { CloudTrailRecord } from '../../src/ingest/reference.js';
import type { CallRow, RoleFilter, UsageQuery, UsageScan } from '../../src/model.js';
import { expectedAthenaRows } from '../athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv, type StandIn } from '../athena-stand-in.js';
import { runUsageSql } from './sql-harness.js';

export const SOURCES = ['native', 'reference', 'index', 'athena', 'sql'] as const;
export type Source = (typeof SOURCES)[number];

interface IngestCase {
  name: string;
  /** Where the expected answer comes from (a documentation page, a real record). */
  source: string;
  /** The records of one file, written as `{"Records":[...]}` unless `text` is given. */
  records?: unknown[];
  /** The file's raw text instead (layouts, malformed files). */
  text?: string;
  /** The file's name (default `records.json`; a delivery file name makes it a wrapped file). */
  file?: string;
  /** Default: all roles, the whole of 2026-02-01. */
  roles?: RoleFilter;
  window?: { start: string; end: string };
  expect: {
    rows: CallRow[];
    /** Evidence of the file (local sources and the SQL's `files` set). */
    records?: number;
    invalidRecords?: number;
    covered?: { first: string | null; last: string | null };
    dataEventSources?: string[];
    /** The file is refused: the reason starts with this. */
    bad?: string;
  };
  /** Sources that do not take this case, with why. */
  except?: Partial<Record<Source, string>>;
}

const DEFAULT_WINDOW = { start: '2026-02-01T00:00:00Z', end: '2026-02-02T00:00:00Z' };
const CASES_DIR = join(import.meta.dirname, '..', 'ingest-cases');

async function loadCases(): Promise<Array<{ file: string; cases: IngestCase[] }>> {
  const files = (await readdir(CASES_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({ file, cases: (JSON.parse(await readFile(join(CASES_DIR, file), 'utf8')) as { cases: IngestCase[] }).cases })),
  );
}

export const corpus = await loadCases();
const NATIVE = nativeWalker() !== null;
const WHOLE_DAY = /T00:00:00Z$/;

function queryOf(c: IngestCase): UsageQuery {
  return { roles: c.roles ?? { kind: 'all' }, window: c.window ?? DEFAULT_WINDOW };
}

function textOf(c: IngestCase): string {
  if (c.text !== undefined) return c.text;
  return JSON.stringify({ Records: c.records ?? [] });
}

/** The records a stand-in reads (Athena's table holds parsed records). */
function recordsOf(c: IngestCase): CloudTrailRecord[] {
  return (c.records ?? []) as CloudTrailRecord[];
}

function shapeOf(c: IngestCase): FileShape {
  const text = textOf(c).trimStart();
  return text.startsWith('[') ? 'array' : /^\{\s*"Records"/.test(text) ? 'wrapped' : 'lines';
}

let root = '';
let standIn: StandIn | undefined;
let restoreEnv: () => void = () => undefined;
let athenaRecords: CloudTrailRecord[] = [];
let serial = 0;

/** Writes the case's file into a folder of its own; returns the folder. */
async function logsOf(c: IngestCase): Promise<{ dir: string; path: string }> {
  const dir = join(root, `case-${serial++}`);
  await mkdir(dir);
  const path = join(dir, c.file ?? 'records.json');
  await writeFile(path, textOf(c));
  return { dir, path };
}

/** What a local scan says about the case's file, in the case's terms. */
function localAnswer(scan: UsageScan): Record<string, unknown> {
  const e = scan.evidence;
  return { rows: scan.rows, records: e.records, invalidRecords: e.invalidRecords, covered: e.covered, dataEventSources: e.dataEventSources };
}

function expectedLocal(c: IngestCase): Record<string, unknown> {
  const x = c.expect;
  return {
    rows: x.rows,
    records: x.records ?? 0,
    invalidRecords: x.invalidRecords ?? 0,
    covered: x.covered ?? { first: null, last: null },
    dataEventSources: x.dataEventSources ?? [],
  };
}

async function runLocal(c: IngestCase, reference: boolean): Promise<void> {
  const { dir } = await logsOf(c);
  const scan = await scanLocalLogsStream(queryOf(c), { logs: dir, skipBadFiles: true, threads: 1, reference });
  if (c.expect.bad !== undefined) {
    expect(scan.evidence.skippedFiles.map((f) => f.reason.slice(0, c.expect.bad?.length))).toEqual([c.expect.bad]);
    expect(scan.rows).toEqual([]);
    return;
  }
  expect(scan.evidence.skippedFiles).toEqual([]);
  expect(localAnswer(scan)).toEqual(expectedLocal(c));
}

const run: Record<Source, (c: IngestCase) => Promise<void>> = {
  native: (c) => runLocal(c, false),
  reference: (c) => runLocal(c, true),
  async index(c) {
    const { dir } = await logsOf(c);
    const index = join(dir, 'usage.duckdb');
    await updateUsageIndex({ logs: dir, index, skipBadFiles: true, now: new Date('2026-03-01T00:00:00Z') });
    const scan = await scanUsageIndex(index, queryOf(c));
    expect(scan.rows).toEqual(c.expect.rows);
    expect(scan.evidence.events).toBe(c.expect.rows.reduce((n, r) => n + r.count, 0));
  },
  async athena(c) {
    athenaRecords = recordsOf(c);
    const source = athenaSource({
      database: 'cloudtrail',
      table: 'logs',
      workgroup: 'primary',
      aws: awsClientConfig({ region: 'eu-west-1' }),
      sleep: async () => undefined,
      now: () => 0,
    });
    const scan = await source.scan(queryOf(c));
    expect(scan.rows).toEqual(c.expect.rows);
  },
  async sql(c) {
    const { path } = await logsOf(c);
    const result = await runUsageSql([{ path, shape: shapeOf(c) }], queryOf(c));
    const stats = result.files.get(path) ?? { records: 0, validRecords: 0, first: null, last: null };
    const x = expectedLocal(c);
    expect({
      rows: result.rows,
      records: stats.records,
      invalidRecords: stats.records - stats.validRecords,
      covered: { first: stats.first, last: stats.last },
      dataEventSources: result.dataSources,
    }).toEqual(x);
  },
};

/** Why a source does not take a case, or undefined when it does. */
function skipReason(c: IngestCase, source: Source): string | undefined {
  const except = c.except?.[source];
  if (except !== undefined) return except;
  if (source === 'native' && !NATIVE) return 'the native walker is not loaded (IAMTRIM_NATIVE=0 or not built)';
  if (source === 'index' && !(WHOLE_DAY.test(queryOf(c).window.start) && WHOLE_DAY.test(queryOf(c).window.end))) return 'the index answers whole UTC days only';
  if ((source === 'athena' || source === 'sql' || source === 'index') && c.expect.bad !== undefined) return "a refused file is the local scan's concern";
  if (source === 'athena' && c.records === undefined) return 'Athena reads records from its table, not file text';
  return undefined;
}

/** Declares the corpus's tests for `sources` (each case x source one test, a skip saying why). */
export function describeCorpus(sources: readonly Source[]): void {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'iamtrim-ingest-cases-'));
    if (sources.includes('athena')) {
      standIn = await startAthenaStandIn({ states: ['SUCCEEDED'], bytesScanned: 1, result: (start) => expectedAthenaRows(athenaRecords, start) });
      restoreEnv = useStandInEnv(standIn.url);
    }
  });
  afterAll(async () => {
    restoreEnv();
    await standIn?.close();
    await rm(root, { recursive: true, force: true });
  });
  for (const { file, cases } of corpus) {
    describe(file, () => {
      for (const c of cases) {
        describe(c.name, () => {
          for (const source of sources) {
            const why = skipReason(c, source);
            it.skipIf(why !== undefined)(why === undefined ? source : `${source} (skipped: ${why})`, () => run[source](c), 30_000);
          }
        });
      }
    });
  }
}
