/** Runs the real CLI in-process with captured output and a fixed clock. */
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: readonly string[], options: { now?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    interactive: false,
    now: () => new Date(options.now ?? '2026-11-01T00:00:00Z'),
    env: options.env ?? {},
  };
  const code = await main(['node', 'iamtrim', ...args], io);
  return { code, out, err };
}
