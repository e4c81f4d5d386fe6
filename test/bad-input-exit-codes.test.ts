/**
 * The exit-code contract (docs/errors.md), through `main()`: 0 success, 2 usage, 3 input, 70 bug
 * are produced by real runs; every ToolError class is also thrown from inside a running command
 * (through the CliIo clock, the one seam a command calls) to show the code is decided in one place.
 * 1 (findings) and 4 (AWS/GitHub) come from commands still being built; see the report.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, InputError, InternalError, UpstreamError, UsageError, type ToolError } from '../src/errors.js';
import { reportError, redactSecrets } from '../src/cli/report-error.js';
import { runCli } from './bad-input-helpers.js';

const BASE = join(import.meta.dirname, '..', 'fixtures', 'bad', '_base');
const MINIMIZE = ['minimize', '--role', 'app-api', '--end', '2026-03-01T00:00:00Z', '--logs', join(BASE, 'logs'), '--iam', join(BASE, 'iam.json')];

describe('exit codes through main()', () => {
  it('0: a successful run', async () => {
    const r = await runCli(MINIMIZE);
    expect(r.exit).toBe(ExitCode.Ok);
    expect(r.stdout).toContain('"Statement"');
  });

  it('0: --help and --version are not errors', async () => {
    expect((await runCli(['--help'])).exit).toBe(0);
    expect((await runCli(['--version'])).exit).toBe(0);
  });

  it('2: a usage error', async () => {
    const r = await runCli([...MINIMIZE, '--days', '0']);
    expect(r.exit).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('--days 0');
  });

  it('3: an input error', async () => {
    const r = await runCli(['minimize', '--role', 'nobody-here', '--logs', join(BASE, 'logs'), '--iam', join(BASE, 'iam.json')]);
    expect(r.exit).toBe(ExitCode.InvalidInput);
    expect(r.stderr).toMatch(/^iamtrim: --role nobody-here: no such role/);
  });

  it('70: an unexpected exception is a bug: stack trace and a request to report it', async () => {
    const r = await runCli(MINIMIZE, {
      io: {
        now: () => {
          throw new TypeError('cannot read properties of undefined');
        },
      },
    });
    expect(r.exit).toBe(ExitCode.Internal);
    expect(r.stderr).toContain('internal error: TypeError: cannot read properties of undefined');
    expect(r.stderr).toMatch(/\n\s+at /);
    expect(r.stderr).toContain('This is a bug in iamtrim');
    expect(r.stdout).toBe('');
  });

  const classes: Array<[string, () => ToolError, ExitCode]> = [
    ['UsageError', () => new UsageError('bad flag', { hint: 'fix the flag' }), ExitCode.Usage],
    ['InputError', () => new InputError('bad file', { hint: 'fix the file' }), ExitCode.InvalidInput],
    ['UpstreamError', () => new UpstreamError('Athena: ThrottlingException after 5 attempts', { hint: 'retry later' }), ExitCode.Upstream],
    ['InternalError', () => new InternalError('self-check failed', { hint: 'report it' }), ExitCode.Internal],
  ];
  for (const [name, make, code] of classes) {
    it(`${code}: ${name} thrown inside a command`, async () => {
      const error = make();
      const r = await runCli(MINIMIZE, {
        io: {
          now: () => {
            throw error;
          },
        },
      });
      expect(r.exit).toBe(code);
      expect(r.stderr).toContain(`iamtrim: ${error.message}\n  hint: ${error.hint ?? ''}\n`);
      expect(r.stderr.includes('This is a bug')).toBe(code === ExitCode.Internal);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('reportError scrubs secrets', () => {
  it('hides environment credentials and token shapes in any message', () => {
    const env = { GITHUB_TOKEN: 'not-a-real-token-value-123', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
    let err = '';
    const code = reportError(
      new UpstreamError(`GitHub said 401 for not-a-real-token-value-123; signing with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, {
        hint: 'token ghp_0123456789abcdefghijABCDEFGHIJ012345 key AKIAIOSFODNN7EXAMPLE',
      }),
      { out: () => undefined, err: (t) => (err += t), interactive: false, now: () => new Date(0), env },
    );
    expect(code).toBe(ExitCode.Upstream);
    for (const secret of [...Object.values(env), 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'AKIAIOSFODNN7EXAMPLE']) {
      expect(err).not.toContain(secret);
    }
    expect(err).toContain('<GITHUB_TOKEN>');
    expect(err).toContain('<redacted>');
  });

  it('leaves ordinary text alone', () => {
    const text = 'arn:aws:iam::111122223333:role/app-api used s3:GetObject 12 times';
    expect(redactSecrets(text, { GITHUB_TOKEN: 'abcdefgh12345' })).toBe(text);
  });
});

describe('the coverage guard does not refuse complete logs', () => {
  it('minimize on a generated demo account (30 days of logs) succeeds without partial-window warnings', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { generateDemo } = await import('../src/demo/generate.js');
    const dir = await mkdtemp(join(tmpdir(), 'iamtrim-demo-guard-'));
    try {
      const now = new Date('2026-03-01T00:00:00Z');
      const m = await generateDemo({ outDir: dir, now, days: 30, events: 3000, seed: 3 });
      const r = await runCli([
        'minimize',
        '--role',
        'app-api',
        '--days',
        '30',
        '--end',
        m.window.end,
        '--logs',
        m.logsDir,
        '--iam',
        m.iamFile,
        '--format',
        'json',
      ]);
      expect(r.exit, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('partial-window');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
