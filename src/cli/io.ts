/** The process boundary: the only place that touches stdout, stderr, the clock and the environment. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { ExitCode, InputError } from '../errors.js';
import { errorCode } from '../util/error-code.js';
import { removePendingTemps, tempPathFor, trackTemp } from '../util/atomic-file.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress is drawn in place. */
  interactive: boolean;
  now(): Date;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * How much iamtrim says on stderr besides its output and its errors, set by the global flags:
 * `--quiet` (errors and warnings only), the default (plus progress and notices such as "wrote
 * FILE"), `--verbose` (plus what each stage chose: which walker read the logs, which calls went
 * to AWS), `--debug` (plus the cause and stack of an error the user can fix).
 */
export type OutputLevel = 'quiet' | 'normal' | 'verbose' | 'debug';

/**
 * The process boundary with stderr split into channels by how much the user asked to hear.
 * `err` is never silenced (errors and warnings); `notice` is progress and status (off under
 * `--quiet`); `verbose` is detail for a user debugging a run (on under `--verbose`/`--debug`).
 * Every channel writes to stderr, so stdout stays the output alone.
 */
export interface RunIo extends CliIo {
  readonly level: OutputLevel;
  notice(text: string): void;
  verbose(text: string): void;
}

/** The channels over a process boundary; `level` is read on every call, so flags parsed later apply. */
export function runIo(io: CliIo, level: () => OutputLevel): RunIo {
  const line = (text: string): string => (text.endsWith('\n') || text.endsWith('\r') ? text : `${text}\n`);
  return {
    out: (text) => io.out(text),
    err: (text) => io.err(text),
    get interactive() {
      return io.interactive && level() !== 'quiet';
    },
    now: () => io.now(),
    env: io.env,
    get level() {
      return level();
    },
    notice: (text) => {
      if (level() !== 'quiet') io.err(text);
    },
    verbose: (text) => {
      const current = level();
      if (current === 'verbose' || current === 'debug') io.err(line(`verbose: ${text}`));
    },
  };
}

/** True when `io` already carries channels (a command that runs the CLI again, as `demo` does). */
export function isRunIo(io: CliIo): io is RunIo {
  return 'level' in io && 'verbose' in io;
}

/**
 * How the process ends when it is told to stop or loses its output; the exit codes are in
 * `src/errors.ts` and docs/errors.md. Each way out removes the temporary files the run was writing,
 * so the previous `--out` file, drift report, usage index or history stays byte for byte:
 * - SIGINT (Ctrl-C) exits 130 and SIGTERM 143 (128 + the signal's number, as a shell reports a
 *   process the signal killed);
 * - stdout closed by its reader (`iamtrim usage ... | head`) is EPIPE: exit 141 (128 + SIGPIPE,
 *   what `set -o pipefail` sees from any tool cut off by `head`), quietly, no stack trace;
 * - stderr closed: messages are dropped, the run goes on.
 */
export function installProcessHandlers(): void {
  process.on('exit', removePendingTemps);
  process.on('SIGINT', () => process.exit(ExitCode.Interrupted));
  process.on('SIGTERM', () => process.exit(ExitCode.Terminated));
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(ExitCode.BrokenPipe);
    process.stderr.write(`iamtrim: cannot write to stdout (${errorCode(error)})\n`);
    process.exit(ExitCode.InvalidInput);
  });
  process.stderr.on('error', () => undefined);
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

/** The file-system calls `writeFileAtomic` makes; tests pass a failing one to simulate a crash. */
export interface AtomicWriteFs {
  writeFile(path: string, content: string, options: { encoding: 'utf8'; mode: number; flag: 'wx' }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

/**
 * Synchronous under the promises: a signal that arrives while the temporary file is created is
 * handled once it exists and is tracked, so the exit handler never races its creation.
 */
const NODE_FS: AtomicWriteFs = {
  writeFile: async (path, content, options) => writeFileSync(path, content, options),
  rename: async (from, to) => renameSync(from, to),
  rm: async (path, options) => rmSync(path, options),
};

/**
 * Writes a file atomically: a temporary file beside it (same folder, so the rename stays on one
 * file system), then a rename, so an interrupted run leaves either the old file or the new one,
 * never half of one. On failure the temporary file is removed and the error names the path; a
 * path that cannot be written is the user's to fix (exit 3), not a bug.
 */
export async function writeFileAtomic(path: string, content: string, fs: AtomicWriteFs = NODE_FS): Promise<void> {
  const temp = tempPathFor(path);
  const untrack = trackTemp(temp);
  try {
    // `wx`: never follow or clobber something already at the temporary name.
    await fs.writeFile(temp, content, { encoding: 'utf8', mode: 0o644, flag: 'wx' });
    await fs.rename(temp, path);
  } catch (cause) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new InputError(`--out ${path}: cannot write it (${errorCode(cause)})`, {
      hint: 'point --out at a file in a folder you can write; the previous file, if any, is unchanged',
      cause,
    });
  } finally {
    untrack();
  }
}
