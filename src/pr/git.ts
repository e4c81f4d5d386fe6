/**
 * The git adapter: the few git operations `pr` needs, run with the real git binary. Commits are
 * built with plumbing (a temporary index, write-tree, commit-tree), so the user's working tree,
 * index and checked-out branch are never touched. Output and errors never contain a token.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UpstreamError } from '../errors.js';

/** The trailer that marks a commit as made by iamtrim: only such branches are ever force-updated. */
export const IAMTRIM_TRAILER = 'Generated-by: iamtrim';

export interface GitOptions {
  repo: string;
  remote: string;
  /** Extra environment (e.g. GIT_CONFIG_* carrying an auth header); never logged. */
  env?: Readonly<Record<string, string>>;
  /** Secrets to scrub from any message. */
  secrets?: readonly string[];
}

export class Git {
  constructor(private readonly options: GitOptions) {}

  private redact(text: string): string {
    let out = text.replace(/(https?:\/\/)[^/@\s]+@/g, '$1***@');
    for (const secret of this.options.secrets ?? []) if (secret !== '') out = out.split(secret).join('***');
    return out;
  }

  /** Runs git; `remote` failures are UpstreamError, others InputError (a repository problem). */
  async run(args: readonly string[], opts: { input?: string; env?: Record<string, string>; remote?: boolean } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...args],
        { cwd: this.options.repo, env: { ...process.env, ...this.options.env, ...opts.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error === null) return resolve(stdout);
          const message = this.redact(`git ${args[0] ?? ''} failed: ${stderr.trim().split('\n').slice(-2).join(' ') || error.message}`);
          reject(
            opts.remote === true
              ? new UpstreamError(message, { hint: `check that --repo ${this.options.repo} can reach its remote '${this.options.remote}'` })
              : new InputError(message),
          );
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  async tryRun(args: readonly string[]): Promise<string | undefined> {
    return this.run(args).catch(() => undefined);
  }

  /** The configured URL of the remote, without insteadOf rewriting (that is what names the GitHub repo). */
  async remoteUrl(): Promise<string> {
    const url = await this.tryRun(['config', '--get', `remote.${this.options.remote}.url`]);
    if (url === undefined || url.trim() === '')
      throw new InputError(`--repo ${this.options.repo}: has no remote '${this.options.remote}'`, { hint: 'pass --remote NAME' });
    return url.trim();
  }

  async isDirty(): Promise<boolean> {
    return (await this.run(['status', '--porcelain', '--untracked-files=normal'])).trim() !== '';
  }

  /** Fetches a branch into refs/remotes/<remote>/<branch>; undefined when the remote has no such branch. */
  async fetchBranch(branch: string): Promise<string | undefined> {
    const remoteRef = `refs/remotes/${this.options.remote}/${branch}`;
    const listed = await this.run(['ls-remote', '--heads', this.options.remote, `refs/heads/${branch}`], { remote: true });
    if (listed.trim() === '') return undefined;
    await this.run(['fetch', '--no-tags', '--quiet', this.options.remote, `+refs/heads/${branch}:${remoteRef}`], { remote: true });
    return (await this.run(['rev-parse', remoteRef])).trim();
  }

  /** The local view of a branch on the remote (for --dry-run: no network). */
  async localBaseRef(branch: string): Promise<string> {
    for (const ref of [`refs/remotes/${this.options.remote}/${branch}`, `refs/heads/${branch}`]) {
      const sha = await this.tryRun(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
      if (sha !== undefined && sha.trim() !== '') return sha.trim();
    }
    throw new InputError(`--base ${branch}: no such branch in ${this.options.repo}`, { hint: 'pass --base with the branch pull requests merge into' });
  }

  /** A file at a commit, or undefined when it does not exist there. */
  async readFile(commit: string, path: string): Promise<string | undefined> {
    return this.tryRun(['show', `${commit}:${path}`]);
  }

  /** Commits between base and tip (tip excluded from nothing): [sha, full message]. */
  async commitsBetween(base: string, tip: string): Promise<Array<{ sha: string; message: string }>> {
    const out = await this.run(['log', '--format=%H%x00%B%x1e', `${base}..${tip}`]);
    return out
      .split('\x1e')
      .map((r) => r.trim())
      .filter((r) => r !== '')
      .map((r) => ({ sha: r.slice(0, r.indexOf('\0')), message: r.slice(r.indexOf('\0') + 1) }));
  }

  async treeOf(commit: string): Promise<string> {
    return (await this.run(['rev-parse', `${commit}^{tree}`])).trim();
  }

  async parentsOf(commit: string): Promise<string[]> {
    return (await this.run(['rev-list', '--parents', '-n', '1', commit])).trim().split(' ').slice(1);
  }

  /** A commit on top of `parent` whose tree differs only in `path`; nothing in the work tree changes. */
  async commitFile(parent: string, path: string, content: string, message: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'iamtrim-index-'));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      const listing = (await this.run(['ls-tree', parent, '--', path])).trim();
      const mode = listing === '' ? '100644' : (listing.split(/\s/)[0] ?? '100644');
      const blob = (await this.run(['hash-object', '-w', '--stdin'], { input: content })).trim();
      await this.run(['read-tree', parent], { env });
      await this.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
      const tree = (await this.run(['write-tree'], { env })).trim();
      const identity = await this.identityEnv();
      return (await this.run(['commit-tree', tree, '-p', parent, '-F', '-'], { input: message, env: identity })).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Uses the configured identity; falls back to an iamtrim identity (CI runners often have none). */
  private async identityEnv(): Promise<Record<string, string>> {
    const email = await this.tryRun(['config', 'user.email']);
    if (email !== undefined && email.trim() !== '') return {};
    return {
      GIT_AUTHOR_NAME: 'iamtrim',
      GIT_AUTHOR_EMAIL: 'iamtrim@users.noreply.github.com',
      GIT_COMMITTER_NAME: 'iamtrim',
      GIT_COMMITTER_EMAIL: 'iamtrim@users.noreply.github.com',
    };
  }

  /**
   * Pushes `commit` to `branch`, only if the remote branch is still at `expected` (undefined: it
   * must not exist). The lease makes a concurrent push by someone else fail instead of being lost.
   */
  async push(commit: string, branch: string, expected: string | undefined): Promise<void> {
    const ref = `refs/heads/${branch}`;
    await this.run(['push', '--quiet', `--force-with-lease=${ref}:${expected ?? ''}`, this.options.remote, `${commit}:${ref}`], { remote: true });
  }
}
