/**
 * Runs the built CLI (`node dist/bin.js`) as a user would: a child process with its own
 * environment, stdout and stderr as pipes, the exit code as the process's. Conventions that live
 * at the process boundary (global flags, environment variables, `--version`) are tested here, not
 * in-process. The environment is built from scratch so the host's AWS settings cannot leak in.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT_DIR = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT_DIR, 'dist', 'bin.js');

export interface BuiltRun {
  code: number;
  out: string;
  err: string;
}

/** A clean environment: no instance-metadata probe, no shared AWS config from the host; `extra` on top. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    ...extra,
  };
}

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` before these tests`);
}

export function runBuilt(args: readonly string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): BuiltRun {
  assertBuilt();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT_DIR,
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: 60_000,
    env: childEnv(options.env),
  });
  if (r.error !== undefined) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** As runBuilt, without blocking the event loop: for tests whose stand-in servers live in this process. */
export async function runBuiltAsync(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<BuiltRun> {
  assertBuilt();
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(options.env),
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}
