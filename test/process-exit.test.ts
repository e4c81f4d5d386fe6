/**
 * How the built CLI ends when its reader goes away or it is told to stop (docs/errors.md, "Exit
 * codes"): `| head` ends quietly with 141, SIGTERM with 143, and an interrupted `index`, `drift
 * --history` or `--out` leaves the previous file byte for byte, with no temporary file behind.
 * Runs `node dist/bin.js` (npm run build) as a user would, and kills it at points of the run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { runCli } from './helpers/run-cli.js';

const BIN = join(import.meta.dirname, '..', 'dist', 'bin.js');
const ENV = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

let dir = '';
let demo: DemoManifest;
let extra: DemoManifest;
beforeAll(async () => {
  expect(existsSync(BIN), 'run npm run build first: these tests run the built CLI').toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-exit-'));
  demo = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-03-01T00:00:00Z'), days: 10, events: 12_000, seed: 3 });
  // Same account and layout, other days: new files for an index update to read.
  extra = await generateDemo({ outDir: join(dir, 'extra'), now: new Date('2026-02-19T00:00:00Z'), days: 8, events: 6_000, seed: 4 });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WINDOW = ['--end', '2026-03-01T00:00:00Z', '--days', '10'];

interface Ended {
  code: number | null;
  signal: string | null;
  stderr: string;
}

/**
 * Runs the CLI and sends SIGTERM once `when` says so (polled every 10 ms, given the elapsed ms),
 * or never when it never does.
 */
function runAndKill(args: string[], when: (elapsedMs: number) => boolean): Promise<Ended & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const started = Date.now();
    const timer = setInterval(() => {
      if (!killed && when(Date.now() - started)) {
        killed = true;
        child.kill('SIGTERM');
      }
    }, 10);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, killed });
    });
  });
}

function tempFilesIn(folder: string): Promise<string[]> {
  return readdir(folder).then((names) => names.filter((n) => n.endsWith('.tmp') || n.endsWith('.tmp.wal')));
}

/**
 * True once a temporary file or folder (`.<name>.<random>.tmp`) for `name` has existed in `folder`
 * for `afterMs`: the run is then updating its working copy.
 */
function tempExists(folder: string, name: string, afterMs = 0): () => boolean {
  let seenAt: number | undefined;
  return () => {
    const names = readdirSync(folder);
    if (seenAt === undefined && names.some((n) => n.startsWith(`.${name}.`) && n.endsWith('.tmp'))) seenAt = Date.now();
    return seenAt !== undefined && Date.now() - seenAt >= afterMs;
  };
}

describe('a closed stdout (| head)', () => {
  for (const [name, args] of [
    ['usage --all-roles', ['usage', '--all-roles', '--logs', '{logs}', ...WINDOW]],
    ['minimize --format json', ['minimize', '--role', 'ci-deploy', '--logs', '{logs}', '--iam', '{iam}', '--format', 'json', ...WINDOW]],
  ] as const) {
    it(`${name} | head -c 10: exit 141, no stack trace, nothing on stderr`, async () => {
      const argv = args.map((a) => a.replace('{logs}', demo.logsDir).replace('{iam}', demo.iamFile));
      const command = [process.execPath, BIN, ...argv].map((a) => `'${a}'`).join(' ');
      // The output must be larger than a pipe's buffer (64 KiB), or the write never fails. Its size
      // is the same in-process (the same main, the same arguments): no second child process for it.
      const full = await runCli(argv);
      expect(full.code).toBe(0);
      expect(Buffer.byteLength(full.out)).toBeGreaterThan(65_536);
      const cut = spawnSync('bash', ['-c', `${command} | head -c 10 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], { encoding: 'utf8', env: ENV });
      expect(cut.stdout.trim()).toBe('status=141');
      expect(cut.stderr).not.toMatch(STACK_LINE);
      expect(cut.stderr).not.toContain('EPIPE');
      expect(cut.stderr).toBe('');
    });
  }
});

describe('SIGTERM leaves the previous file intact', () => {
  it('index: killed during an update, the index keeps its bytes, no temporary file remains, and the next run completes', async () => {
    const work = join(dir, 'index-run');
    const logs = join(work, 'logs');
    await cp(demo.logsDir, logs, { recursive: true });
    const index = join(work, 'usage-index.duckdb');
    const first = spawnSync(process.execPath, [BIN, 'index', '--logs', logs, '--index', index], { encoding: 'utf8', env: ENV });
    expect(first.status, first.stderr).toBe(0);
    const before = await readFile(index);
    await cp(extra.logsDir, logs, { recursive: true, force: false, errorOnExist: false });

    // 300 ms into the update: the new files are being read and stored into the working copy.
    const ended = await runAndKill(['index', '--logs', logs, '--index', index], tempExists(work, 'usage-index.duckdb', 300));
    expect(ended.killed, 'the update ended before its working copy appeared').toBe(true);
    expect(ended.code).toBe(143);
    expect(ended.stderr).not.toMatch(STACK_LINE);
    expect((await readFile(index)).equals(before)).toBe(true);
    expect(await tempFilesIn(work)).toEqual([]);

    const again = spawnSync(process.execPath, [BIN, 'index', '--logs', logs, '--index', index], { encoding: 'utf8', env: ENV });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/read [1-9][\d,]* new/);
    expect(await tempFilesIn(work)).toEqual([]);
  }, 120_000);

  it('drift --history: killed after the history was opened, the history and the reports keep their bytes', async () => {
    const work = join(dir, 'drift-run');
    const out = join(work, 'out');
    const history = join(work, 'history.duckdb');
    const args = ['drift', '--logs', demo.logsDir, '--iam', demo.iamFile, '--out', out, '--history', history, ...WINDOW];
    const first = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: ENV });
    expect(first.status, first.stderr).toBe(0);
    const before = await readFile(history);
    const report = await readFile(join(out, 'report.json'));

    const ended = await runAndKill(args, tempExists(work, 'history.duckdb'));
    expect(ended.killed).toBe(true);
    expect(ended.code).toBe(143);
    expect((await readFile(history)).equals(before)).toBe(true);
    expect((await readFile(join(out, 'report.json'))).equals(report)).toBe(true);
    expect(await tempFilesIn(work)).toEqual([]);
    expect(await tempFilesIn(out)).toEqual([]);
  }, 120_000);

  it('--out: killed at points across the run, the file is the old one or the whole new one, never a part', async () => {
    const work = join(dir, 'out-run');
    await cp(demo.logsDir, join(work, 'logs'), { recursive: true });
    const out = join(work, 'policy.json');
    const args = ['minimize', '--role', 'app-api', '--logs', join(work, 'logs'), '--iam', demo.iamFile, '--format', 'json', '--out', out, ...WINDOW];
    // The complete run also gives the run's length, at which the kills below are placed.
    const started = Date.now();
    const full = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: ENV });
    const duration = Date.now() - started;
    expect(full.status, full.stderr).toBe(0);
    const complete = await readFile(out, 'utf8');
    JSON.parse(complete);
    const old = '{"old": true}\n';
    const outcomes = new Set<string>();
    for (const fraction of [0.5, 0.7, 0.85, 0.95, 1.05]) {
      await writeFile(out, old);
      const ended = await runAndKill(args, (ms) => ms >= duration * fraction);
      const now = await readFile(out, 'utf8');
      expect([old, complete]).toContain(now);
      expect(await tempFilesIn(work)).toEqual([]);
      // Killed before the handler is installed, Node dies of the signal itself: a shell sees 143 either way.
      if (ended.killed && ended.code !== 0) expect(ended.code ?? (ended.signal === 'SIGTERM' ? 143 : ended.signal)).toBe(143);
      outcomes.add(now === old ? 'old' : 'new');
    }
    expect(outcomes.has('old'), 'no kill landed before the rename').toBe(true);
  }, 180_000);
});
