/**
 * The GitHub adapter: find, open and update iamtrim's pull request through the REST API
 * (@octokit/rest; `baseUrl` reaches GitHub Enterprise or a test stand-in). Failures become
 * UpstreamError naming the call and status, never the token.
 */
import { Octokit } from '@octokit/rest';
import { UpstreamError, UsageError } from '../errors.js';

export interface GitHubRepo {
  owner: string;
  name: string;
}

export interface PullRequest {
  number: number;
  url: string;
  branch: string;
}

/** `https://github.com/o/r.git`, `git@github.com:o/r.git`, `ssh://git@host:22/o/r` -> o/r. */
export function parseGitHubRemote(url: string): GitHubRepo | undefined {
  const m =
    /^(?:https?|ssh|git):\/\/(?:[^@/]+@)?[^/]+\/(.+?)\/([^/]+?)(?:\.git)?\/?$/.exec(url) ?? /^(?:[^@/]+@)?[^:/]+:(?!\/)(.+?)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  return { owner: m[1], name: m[2] };
}

export function parseRepoFlag(value: string): GitHubRepo {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (m === null || m[1] === undefined || m[2] === undefined) throw new UsageError(`--github-repo ${value}: expected OWNER/NAME`);
  return { owner: m[1], name: m[2] };
}

export class GitHub {
  private readonly octokit: Octokit;

  constructor(
    private readonly repo: GitHubRepo,
    options: { token: string; baseUrl: string; userAgent: string },
  ) {
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: options.baseUrl,
      userAgent: options.userAgent,
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const status = (error as { status?: number }).status;
      const message = (error as { message?: string }).message ?? String(error);
      throw new UpstreamError(
        `GitHub ${what} for ${this.repo.owner}/${this.repo.name} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${message.split('\n')[0] ?? ''}`,
        {
          hint:
            status === 401 || status === 403 || status === 404
              ? 'GITHUB_TOKEN needs contents:write and pull-requests:write on this repository'
              : 'check --github-api-url and the network, then re-run: iamtrim picks up its own branch and PR',
        },
      );
    }
  }

  /** The newest open PR from this repository whose head branch starts with `prefix`. */
  async findOpenPullRequest(prefix: string, base: string): Promise<PullRequest | undefined> {
    const pulls = await this.call('pulls.list', () =>
      this.octokit.paginate(this.octokit.rest.pulls.list, { owner: this.repo.owner, repo: this.repo.name, state: 'open', base, per_page: 100 }),
    );
    const full = `${this.repo.owner}/${this.repo.name}`.toLowerCase();
    const mine = pulls
      .filter((p) => p.head.ref.startsWith(prefix) && (p.head.repo?.full_name ?? '').toLowerCase() === full)
      .sort((a, b) => b.number - a.number)[0];
    return mine === undefined ? undefined : { number: mine.number, url: mine.html_url, branch: mine.head.ref };
  }

  async createPullRequest(input: { branch: string; base: string; title: string; body: string }): Promise<PullRequest> {
    const { data } = await this.call('pulls.create', () =>
      this.octokit.rest.pulls.create({
        owner: this.repo.owner,
        repo: this.repo.name,
        head: input.branch,
        base: input.base,
        title: input.title,
        body: input.body,
      }),
    );
    return { number: data.number, url: data.html_url, branch: data.head.ref };
  }

  async updatePullRequest(number: number, input: { title: string; body: string }): Promise<PullRequest> {
    const { data } = await this.call('pulls.update', () =>
      this.octokit.rest.pulls.update({ owner: this.repo.owner, repo: this.repo.name, pull_number: number, title: input.title, body: input.body }),
    );
    return { number: data.number, url: data.html_url, branch: data.head.ref };
  }
}
