/**
 * The command-line conventions AWS users type without thinking (issue 22 item 3), each through
 * the built CLI: global output levels, the version, the environment variables, the hints.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, ROOT_DIR, runBuilt } from './helpers/built-cli.js';

const FIXTURE = join(ROOT_DIR, 'fixtures', 'lambda-s3-dynamodb');
const MINIMIZE = ['minimize', '--role', 'orders-api', '--end', '2026-10-22T00:00:00Z', '--logs', join(FIXTURE, 'logs'), '--iam', join(FIXTURE, 'iam.json')];
let dir = '';

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-conventions-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--quiet, --verbose, --debug', () => {
  it('by default a notice ("wrote FILE") goes to stderr; --quiet, before or after the command, silences it', async () => {
    const out = join(dir, 'default.txt');
    const plain = runBuilt([...MINIMIZE, '--out', out]);
    expect(plain.code).toBe(0);
    expect(plain.err).toBe(`wrote ${out}\n`);
    for (const args of [['--quiet', ...MINIMIZE], [...MINIMIZE, '-q']]) {
      const quietOut = join(dir, `quiet-${args[0]}.txt`);
      const quiet = runBuilt([...args, '--out', quietOut]);
      expect(quiet.code).toBe(0);
      expect(quiet.err).toBe('');
      expect(await readFile(quietOut, 'utf8')).toBe(await readFile(out, 'utf8'));
    }
  });

  it('--quiet never silences an error', () => {
    const r = runBuilt(['--quiet', 'minimize', '--role', 'orders-api', '--logs', join(FIXTURE, 'logs'), '--iam', join(dir, 'missing.json')]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^iamtrim: --iam .*missing\.json: cannot read it \(ENOENT\)\n {2}hint: /);
  });

  it('--verbose adds detail lines on stderr and leaves stdout byte for byte as without it', () => {
    const plain = runBuilt(MINIMIZE);
    const verbose = runBuilt([...MINIMIZE, '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.out).toBe(plain.out);
    expect(plain.err).not.toContain('verbose:');
    expect(verbose.err).toMatch(/^verbose: iamtrim \d+\.\d+\.\d+ minimize on Node \d+/m);
  });

  it('--debug prints the cause of an error the user can fix; without it, no stack trace', () => {
    const args = ['minimize', '--role', 'orders-api', '--logs', join(FIXTURE, 'logs'), '--iam', join(dir, 'missing.json')];
    const plain = runBuilt(args);
    const debug = runBuilt(['--debug', ...args]);
    expect(debug.code).toBe(plain.code);
    expect(plain.err).not.toMatch(/\n\s+at /);
    expect(debug.err).toContain('cause (--debug): Error: ENOENT');
    expect(debug.err).toMatch(/\n\s+at /);
  });
});
