/**
 * Runs the CLI in-process for the bad-input, secrets and exit-code tests: a capturing CliIo with a
 * fixed clock, so each test sees exactly what a user would see on stdout and stderr.
 */
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';

export const NOW = new Date('2026-03-01T00:00:00Z');

export interface CliRun {
  exit: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: readonly string[], options: { env?: Record<string, string | undefined>; io?: Partial<CliIo> } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    interactive: false,
    now: () => NOW,
    env: options.env ?? {},
    ...options.io,
  };
  const exit = await main(['node', 'iamtrim', ...args], io);
  return { exit, stdout, stderr };
}
