/**
 * The `unreadable-file` case of fixtures/bad/cases.json. Root reads a chmod-000 file, so as root
 * this test (1) injects the EACCES that `open` (and `openSync`) would raise, in-process, and (2) when `setpriv` and
 * a built CLI exist, runs `node dist/bin.js` as `nobody` against a real chmod-000 file. As a normal
 * user it uses a real chmod-000 file in-process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as fsPromises from 'node:fs/promises';
import type * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './bad-input-helpers.js';

const IS_ROOT = process.getuid?.() === 0;
const UNREADABLE = 'secret.json';

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const [path] = args;
      if (process.getuid?.() === 0 && String(path).endsWith(`/${UNREADABLE}`)) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: 'EACCES', errno: -13, syscall: 'open' });
      }
      return real.open(...args);
    },
  };
});

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const openSync = (...args: Parameters<typeof real.openSync>): number => {
    const [path] = args;
    if (process.getuid?.() === 0 && String(path).endsWith(`/${UNREADABLE}`)) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: 'EACCES', errno: -13, syscall: 'open' });
    }
    return real.openSync(...args);
  };
  return { ...real, openSync, default: { ...real, openSync } };
});

const ROOT_DIR = join(import.meta.dirname, '..');
const BASE = join(ROOT_DIR, 'fixtures', 'bad', '_base');
let dir = '';
let logs = '';
let iam = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-unreadable-'));
  logs = join(dir, 'logs');
  iam = join(dir, 'iam.json');
  await cp(join(BASE, 'logs'), logs, { recursive: true });
  await cp(join(BASE, 'iam.json'), iam);
  await writeFile(join(logs, UNREADABLE), JSON.stringify({ Records: [] }));
  await chmod(join(logs, UNREADABLE), 0o000);
  await chmod(dir, 0o755); // so `nobody` can reach the rest
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const args = (): string[] => ['minimize', '--role', 'app-api', '--end', '2026-03-01T00:00:00Z', '--days', '30', '--logs', logs, '--iam', iam];

describe(`unreadable log file (${IS_ROOT ? 'root: injected EACCES' : 'real chmod 000'})`, () => {
  it('fails by default, naming the file and the reason, printing no policy', async () => {
    const r = await runCli(args());
    expect(r.exit).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${join(logs, UNREADABLE)}: cannot read it (EACCES)`);
    expect(r.stderr).toContain('--skip-bad-files');
  });

  it('--skip-bad-files proposes and lists the file as skipped', async () => {
    const r = await runCli([...args(), '--skip-bad-files', '--format', 'json']);
    expect(r.exit).toBe(0);
    const out = JSON.parse(r.stdout) as { evidence: { files: number; skippedFiles: Array<{ file: string; reason: string }> } };
    expect(out.evidence.files).toBe(1);
    expect(out.evidence.skippedFiles).toEqual([{ file: join(logs, UNREADABLE), reason: 'cannot read it (EACCES)' }]);
  });
});

const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const bin = join(ROOT_DIR, 'dist', 'bin.js');
/** Whether `nobody` can read the built CLI: not when the checkout sits in a private (0700) folder. */
function nobodyReaches(): boolean {
  const probe = spawnSync(
    setpriv ?? '',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      process.execPath,
      '-e',
      `require('fs').accessSync(${JSON.stringify(bin)}, require('fs').constants.R_OK)`,
    ],
    {
      env: { PATH: process.env['PATH'] ?? '' },
      timeout: 30_000,
    },
  );
  return probe.status === 0;
}
const skipWhy = !IS_ROOT
  ? 'not root (the test above uses a real chmod-000 file)'
  : setpriv === undefined
    ? 'no setpriv on this machine'
    : !existsSync(bin)
      ? 'the CLI is not built (npm run build)'
      : !nobodyReaches()
        ? `nobody cannot reach ${bin} (the checkout is in a private folder); the injected-EACCES tests above cover the case`
        : '';
describe.skipIf(skipWhy !== '')(`unreadable log file, built CLI as nobody (real EACCES)${skipWhy !== '' ? `: SKIPPED, ${skipWhy}` : ''}`, () => {
  const asNobody = (extra: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(setpriv ?? '', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, bin, ...args(), ...extra], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', HOME: dir },
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('fails with exit 3 naming the file', () => {
    const r = asNobody([]);
    expect(r.stderr).toContain(`${UNREADABLE}: cannot read it (EACCES)`);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
  });

  it('--skip-bad-files: exit 0 and the file listed as skipped', () => {
    const r = asNobody(['--skip-bad-files', '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`"reason": "cannot read it (EACCES)"`);
  });
});
