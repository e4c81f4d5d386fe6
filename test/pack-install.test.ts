/**
 * Delivered to every user: the package as `npm pack` makes it, installed into a fresh folder on a
 * machine with no C compiler (PATH holds node alone: no cc, gcc, clang, make or python), runs
 * `iamtrim usage` on the native walker, from the prebuilt binary the tarball ships
 * (prebuilds/<platform>-<arch>/), and prints what the checkout prints.
 *
 * The tarball is packed with --ignore-scripts from the build already in the checkout (the suite
 * needs `npm run build` first), so packing never rewrites dist/ under other test files. npm puts
 * a tarball's files under node_modules/iamtrim and runs no build script for it (no `install`
 * script, no binding.gyp at its root); the test does the same, and links the dependencies from the
 * checkout's node_modules instead of downloading them (no network here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prebuildTag } from '../src/ingest/local/stream/record-index.js';

const CHECKOUT = resolve(import.meta.dirname, '..');
const NPM_CLI = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const PREBUILT = join(CHECKOUT, 'prebuilds', prebuildTag(), 'iamtrim_scan.node');
const off = process.env['IAMTRIM_NATIVE'] === '0';

let dir = '';
let installed = '';
let bin = '';

beforeAll(async () => {
  if (off) return;
  expect(existsSync(join(CHECKOUT, 'dist', 'bin.js')) && existsSync(PREBUILT), `run npm run build first (it writes dist/ and ${PREBUILT})`).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-pack-'));
  const npm = existsSync(NPM_CLI) ? [process.execPath, NPM_CLI] : ['npm'];
  const out = execFileSync(npm[0] ?? 'npm', [...npm.slice(1), 'pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: CHECKOUT,
    encoding: 'utf8',
  });
  const filename = (JSON.parse(out) as Array<{ filename: string }>)[0]?.filename ?? '';
  installed = join(dir, 'app', 'node_modules', 'iamtrim');
  await mkdir(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(dir, filename), '--strip-components=1', '-C', installed]);
  for (const name of readdirSync(join(CHECKOUT, 'node_modules'))) {
    if (name === '.bin' || name === 'iamtrim' || name.startsWith('.')) continue;
    await symlink(join(CHECKOUT, 'node_modules', name), join(dir, 'app', 'node_modules', name));
  }
  // A PATH with node alone.
  bin = join(dir, 'bin');
  await mkdir(bin);
  await symlink(process.execPath, join(bin, 'node'));
}, 120_000);
afterAll(() => (dir === '' ? undefined : rm(dir, { recursive: true, force: true })));

describe.skipIf(off)('npm pack, installed without a C toolchain (skipped with IAMTRIM_NATIVE=0, which turns the native walker off)', () => {
  it('ships the prebuilt binary and no compiled build folder', () => {
    expect(existsSync(join(installed, 'prebuilds', prebuildTag(), 'iamtrim_scan.node'))).toBe(true);
    expect(existsSync(join(installed, 'native', 'build'))).toBe(false);
    for (const tool of ['cc', 'gcc', 'clang', 'make', 'python3']) {
      // `command -v` fails when the tool is not on PATH (and succeeds for node, which is).
      expect(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: { PATH: bin } }).status, tool).not.toBe(0);
    }
    expect(spawnSync('/bin/sh', ['-c', 'command -v node'], { env: { PATH: bin } }).status).toBe(0);
  });

  it('runs iamtrim usage on the native walker from prebuilds/ and prints what the checkout prints', () => {
    const args = [
      'usage',
      '--all-roles',
      '--logs',
      join(CHECKOUT, 'fixtures', 'lambda-s3-dynamodb', 'logs'),
      '--days',
      '30',
      '--end',
      '2026-10-22T00:00:00Z',
      '--verbose',
    ];
    const env = { PATH: bin, HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' };
    const run = spawnSync(join(bin, 'node'), [join(installed, 'dist', 'bin.js'), ...args], { cwd: dir, env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`read by the native walker (${join(installed, 'prebuilds', prebuildTag(), 'iamtrim_scan.node')})`);
    const checkout = spawnSync(process.execPath, [join(CHECKOUT, 'dist', 'bin.js'), ...args], {
      cwd: dir,
      env: { ...env, PATH: process.env['PATH'] ?? '' },
      encoding: 'utf8',
    });
    expect(run.stdout).toBe(checkout.stdout);
    expect(JSON.parse(run.stdout).evidence.events).toBeGreaterThan(0);
  });
});
