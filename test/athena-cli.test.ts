/**
 * `iamtrim minimize --athena ...` end to end through `main`, against the local Athena stand-in:
 * the same proposal as `--logs` on the same logs, the cost line on stderr, and exit 4 with
 * Athena's reason when the query fails.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import type { CloudTrailRecord } from '../src/ingest/reference.js';
import { expectedAthenaRows } from './athena-expected-rows.js';
import { startAthenaStandIn, useStandInEnv, type StandIn } from './athena-stand-in.js';

let dir = '';
let manifest: DemoManifest;
const records: CloudTrailRecord[] = [];

function io(): CliIo & { stdout: string; stderr: string } {
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
    now: () => new Date(manifest.window.end),
    env: process.env,
  };
  return self;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-athena-cli-'));
  manifest = await generateDemo({ outDir: dir, now: new Date('2026-03-01T00:00:00Z'), days: 10, events: 4_000, seed: 9 });
  for (const e of await readdir(manifest.logsDir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name.includes('Digest') || !e.name.endsWith('.json.gz')) continue;
    records.push(...(JSON.parse(gunzipSync(await readFile(join(e.parentPath, e.name))).toString('utf8')) as { Records: CloudTrailRecord[] }).Records);
  }
}, 60_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function withStandIn<T>(stand: StandIn, run: () => Promise<T>): Promise<T> {
  const restore = useStandInEnv(stand.url);
  try {
    return await run();
  } finally {
    restore();
    await stand.close();
  }
}

describe('iamtrim minimize --athena', () => {
  it('proposes the policy --logs proposes, from one query, and prints the cost', async () => {
    const common = ['minimize', '--role', 'app-api', '--days', '10', '--end', manifest.window.end, '--iam', manifest.iamFile, '--format', 'json'];
    const local = io();
    expect(await main(['node', 'iamtrim', ...common, '--logs', manifest.logsDir], local)).toBe(0);
    const stand = await startAthenaStandIn({ states: ['RUNNING', 'SUCCEEDED'], bytesScanned: 3 * 1024 ** 3, result: (s) => expectedAthenaRows(records, s) });
    const remote = io();
    const code = await withStandIn(stand, () =>
      main(
        [
          'node',
          'iamtrim',
          ...common,
          '--athena',
          '--athena-database',
          'trail',
          '--athena-table',
          'cloudtrail_org',
          '--athena-output',
          's3://results/iamtrim/',
          '--region',
          'eu-west-1',
        ],
        remote,
      ),
    );
    expect(remote.stderr).toContain('athena: scanned 3');
    expect(remote.stderr).toMatch(/athena query q-1: RUNNING .*\n.*athena query q-1: SUCCEEDED/s);
    expect(remote.stderr).toMatch(/estimated cost \$0\.0146/);
    expect(code).toBe(0);
    expect(stand.starts).toHaveLength(1);
    const a = JSON.parse(local.stdout) as { proposed: unknown; evidence: { events: number } };
    const b = JSON.parse(remote.stdout) as { proposed: unknown; evidence: { events: number } };
    expect(b.proposed).toEqual(a.proposed);
    expect(b.evidence.events).toBe(a.evidence.events);
  }, 90_000);

  it("exits 4 with Athena's reason when the query fails, and writes no policy", async () => {
    const stand = await startAthenaStandIn({ states: ['FAILED'], reason: 'TABLE_NOT_FOUND: line 3:8: Table awsdatacatalog.trail.nope does not exist' });
    const out = io();
    const code = await withStandIn(stand, () =>
      main(
        [
          'node',
          'iamtrim',
          'minimize',
          '--role',
          'app-api',
          '--days',
          '10',
          '--end',
          manifest.window.end,
          '--iam',
          manifest.iamFile,
          '--athena',
          '--athena-table',
          'nope',
        ],
        out,
      ),
    );
    expect(code).toBe(4);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain('TABLE_NOT_FOUND');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('refuses two sources at once (exit 2)', async () => {
    const out = io();
    const code = await main(['node', 'iamtrim', 'minimize', '--role', 'x', '--iam', manifest.iamFile, '--athena', '--logs', manifest.logsDir], out);
    expect(code).toBe(2);
    expect(out.stderr).toContain('--logs and --athena');
    const both = io();
    expect(await main(['node', 'iamtrim', 'minimize', '--role', 'x', '--iam', manifest.iamFile, '--index', 'i.json', '--lookup-events'], both)).toBe(2);
    expect(both.stderr).toContain('--index and --lookup-events');
  });
});
