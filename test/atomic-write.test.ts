/**
 * Atomic output: a run interrupted between writing and renaming leaves the old file intact and no
 * temporary file behind; an unwritable --out is a user error (exit 3), not a crash.
 */
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, type AtomicWriteFs } from '../src/cli/io.js';
import { ExitCode, InputError } from '../src/errors.js';
import { runCli } from './bad-input-helpers.js';

const BASE = join(import.meta.dirname, '..', 'fixtures', 'bad', '_base');
let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const realFs: AtomicWriteFs = { writeFile, rename, rm };

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file', async () => {
    const path = join(dir, 'policy.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['policy.json']);
  });

  it('a crash between write and rename: old content intact, temporary file removed', async () => {
    const path = join(dir, 'policy.json');
    await writeFile(path, 'old');
    let tempSeen = '';
    const crashing: AtomicWriteFs = {
      ...realFs,
      rename: async (from) => {
        tempSeen = from;
        expect(await readFile(from, 'utf8')).toBe('new'); // the new content was fully written first
        throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      },
    };
    const error = await writeFileAtomic(path, 'new', crashing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(`--out ${path}: cannot write it (EIO)`);
    expect(tempSeen).toMatch(/\.policy\.json\.[0-9a-f]{12}\.tmp$/);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['policy.json']);
  });

  it('a crash half-way through writing: old content intact, partial temporary file removed', async () => {
    const path = join(dir, 'policy.json');
    await writeFile(path, 'old');
    const diskFull: AtomicWriteFs = {
      ...realFs,
      writeFile: async (temp, content, options) => {
        await writeFile(temp, content.slice(0, 1), options);
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    await expect(writeFileAtomic(path, 'new content', diskFull)).rejects.toThrow(/ENOSPC/);
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['policy.json']);
  });

  it('a folder where the file should be: InputError, nothing left behind', async () => {
    await expect(writeFileAtomic(dir, 'x')).rejects.toBeInstanceOf(InputError);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('--out through main()', () => {
  const args = (out: string, logs = join(BASE, 'logs')): string[] => [
    'minimize',
    '--role',
    'app-api',
    '--end',
    '2026-03-01T00:00:00Z',
    '--logs',
    logs,
    '--iam',
    join(BASE, 'iam.json'),
    '--format',
    'json',
    '--out',
    out,
  ];

  it('writes the output file and says so on stderr', async () => {
    const out = join(dir, 'plan.json');
    const r = await runCli(args(out));
    expect(r.exit).toBe(ExitCode.Ok);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${out}`);
    expect(JSON.parse(await readFile(out, 'utf8'))).toHaveProperty('proposed');
  });

  it('a failing run leaves the previous output untouched', async () => {
    const out = join(dir, 'plan.json');
    await writeFile(out, 'previous plan');
    const r = await runCli(args(out, join(dir, 'missing-logs')));
    expect(r.exit).toBe(ExitCode.InvalidInput);
    expect(await readFile(out, 'utf8')).toBe('previous plan');
    expect(await readdir(dir)).toEqual(['plan.json']);
  });
});
