/**
 * Real git repositories for the `pr` tests: the `git` they run, a working copy with a committer
 * and no signing (optionally with a local bare repository standing in for its GitHub origin), and
 * the in-process CLI's output captured.
 */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import type { CliIo } from '../../src/cli/io.js';

/** `git ARGS` in `cwd`, the system config ignored; its output, trimmed. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } }).trim();
}

/**
 * `git init` of `work` on branch main, committing as Dev with no signing. With `origin`, it is the
 * working copy's origin; with `remote` too, a bare repository is created there and fetches and
 * pushes to `origin` go to it instead (`url.<remote>.insteadOf`).
 */
export function initWorkingCopy(work: string, options: { origin?: string; remote?: string } = {}): void {
  if (options.remote !== undefined) git(dirname(options.remote), 'init', '--quiet', '--bare', '--initial-branch=main', options.remote);
  git(dirname(work), 'init', '--quiet', '--initial-branch=main', work);
  git(work, 'config', 'user.name', 'Dev');
  git(work, 'config', 'user.email', 'dev@example.com');
  git(work, 'config', 'commit.gpgsign', 'false');
  if (options.origin === undefined) return;
  if (options.remote !== undefined) git(work, 'config', `url.${options.remote}.insteadOf`, options.origin);
  git(work, 'remote', 'add', 'origin', options.origin);
}

/** An in-process CLI io that keeps what it printed, at a fixed time, with `env` as its environment. */
export function capturingIo(now: Date, env: Record<string, string>): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    interactive: false,
    now: () => now,
    env,
  };
  return io;
}

const FILE_DIFF = '--- file diff ---';

/** What `pr --dry-run` printed from its file diff header on. */
export function fileDiffSection(out: string): string {
  return out.slice(out.indexOf(FILE_DIFF));
}

/** The unified diff `pr --dry-run` printed under its file diff header (for `applyPatch`). */
export function dryRunPatch(out: string): string {
  return out.slice(out.indexOf(FILE_DIFF) + FILE_DIFF.length + 1);
}
