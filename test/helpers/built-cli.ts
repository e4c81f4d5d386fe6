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
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: options.env?.['HOME'] ?? '/nonexistent',
      // No instance-metadata probe and no shared config from the host.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      ...options.env,
    },
  });
  if (r.error !== undefined) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
