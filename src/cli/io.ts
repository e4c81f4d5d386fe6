/** The process boundary: the only place that touches stdout, stderr, the clock and the environment. */
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress is drawn in place. */
  interactive: boolean;
  now(): Date;
  env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: process.stderr.isTTY === true,
    now: () => new Date(),
    env: process.env,
  };
}

/**
 * Writes a file atomically: a temporary file beside it, then a rename, so an interrupted run
 * leaves either the old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temp, content, 'utf8');
  await rename(temp, path);
}
