/**
 * `iamtrim pr` end to end, through main(): the demo account as usage, a real git repository with a
 * bare remote (reached through an https GitHub URL rewritten by git's insteadOf, so the owner/repo
 * come from the remote URL as in production), and a local GitHub stand-in recording requests.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { startGitHubStandIn, type GitHubStandIn } from './pr-github-stand-in.js';
import { capturingIo, fileDiffSection, git, initWorkingCopy } from './helpers/git-repo.js';

const TOKEN = 'ghs_TESTSECRETTOKEN0123456789';
const NOW = new Date('2026-03-01T06:00:00Z');
const BRANCH = 'iamtrim/app-api-app-api-data-20260301';

let dir: string;
let manifest: DemoManifest;
let github: GitHubStandIn;
let remote: string;
let work: string;

function testIo(env: Record<string, string> = { GITHUB_TOKEN: TOKEN }): ReturnType<typeof capturingIo> {
  return capturingIo(NOW, env);
}

function prArgs(...extra: string[]): string[] {
  return [
    'node',
    'iamtrim',
    'pr',
    '--role',
    'app-api',
    '--days',
    '20',
    '--end',
    '2026-03-01T00:00:00Z',
    '--logs',
    manifest.logsDir,
    '--iam',
    manifest.iamFile,
    '--repo',
    work,
    '--file',
    'infra/iam.tf',
    '--resource',
    'data.aws_iam_policy_document.app',
    '--github-api-url',
    github.url,
    ...extra,
  ];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-pr-'));
  manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 6_000, seed: 7 });
  github = await startGitHubStandIn('acme', 'infra');
  remote = join(dir, 'remote.git');
  work = join(dir, 'work');
  initWorkingCopy(work, { origin: 'https://github.com/acme/infra.git', remote });
  await mkdir(join(work, 'infra'));
  await writeFile(join(work, 'infra', 'iam.tf'), await readFile(join(import.meta.dirname, 'pr-files', 'main.tf'), 'utf8'));
  await writeFile(join(work, 'README.md'), '# infra\n');
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
  git(work, 'push', '--quiet', 'origin', 'main');
}, 120_000);

afterAll(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

describe('iamtrim pr', () => {
  it('--dry-run prints title, body and file diff and changes nothing', async () => {
    const io = testIo({});
    expect(await main(prArgs('--dry-run'), io)).toBe(0);
    expect(io.stdout).toContain(`Branch: ${BRANCH}`);
    expect(io.stdout).toMatch(/Title: iamtrim: least privilege for app-api: app-api-data keeps \d+ of [\d,]+ actions \(\d+ used in 20 days\)/);
    expect(io.stdout).toContain('+++ b/infra/iam.tf');
    expect(github.requests).toHaveLength(0);
    expect(git(remote, 'branch', '--list')).toBe('* main');
  }, 60_000);

  it('writes only the share of the policy the file holds (D1): app-api-data keeps s3 and dynamodb, nothing from app-common', async () => {
    const io = testIo({});
    expect(await main(prArgs('--dry-run'), io)).toBe(0);
    const diff = fileDiffSection(io.stdout);
    const added = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
    const actions = added.flatMap((l) => [...l.matchAll(/"([a-z0-9-]+):[A-Za-z*]+"/g)].map((m) => m[1]));
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['s3', 'dynamodb']));
    for (const other of ['kms:Decrypt', 'secretsmanager:GetSecretValue', 'logs:']) expect(diff).not.toContain(other);
  }, 60_000);

  it("refuses a file whose policy is none of the role's (exit 3), naming the closest match and the role's policies", async () => {
    await mkdir(join(work, 'policies'), { recursive: true });
    await writeFile(join(work, 'policies', 'unrelated.json'), await readFile(join(import.meta.dirname, 'pr-files', 'unrelated.json'), 'utf8'));
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'unrelated policy');
    git(work, 'push', '--quiet', 'origin', 'main');
    const args = prArgs('--dry-run').map((a) => (a === 'infra/iam.tf' ? 'policies/unrelated.json' : a));
    args.splice(args.indexOf('--resource'), 2);
    const io = testIo({});
    expect(await main(args, io)).toBe(3);
    expect(io.stdout).toBe('');
    expect(io.stderr).toMatch(/--file policies\/unrelated\.json: its policy is not one of app-api's policies; closest: /);
    expect(io.stderr).toContain('app-api has app-api-data (inline), app-common (managed), AWSLambdaBasicExecutionRole (AWS managed)');
  }, 60_000);

  it('opens one PR whose branch changes only the policy block, without touching the working tree', async () => {
    const io = testIo();
    const code = await main(prArgs(), io);
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    expect(io.stdout).toContain('opened pull request #1: https://github.example/acme/infra/pull/1');
    const posts = github.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]?.authorization).toBe(`token ${TOKEN}`);
    expect(posts[0]?.body).toMatchObject({ head: BRANCH, base: 'main' });
    const body = String(posts[0]?.body?.['body']);
    for (const part of [
      '### Kept: used in the window',
      '### Removed from app-api-data: not used in the window',
      '**Verified:** all',
      '### Evidence',
      '### Rolling back',
      '```diff',
    ]) {
      expect(body).toContain(part);
    }
    // Truthful figures (D1): the policy rewritten, the ones that stay attached, every affected principal.
    expect(body).toMatch(/This change rewrites one policy, \*\*app-api-data\*\* \(inline\)/);
    expect(body).toContain('### Policies that stay attached, unchanged by this PR (2)');
    expect(body).toMatch(/\| `app-common` \(managed\) \| 135 \|/);
    expect(body).toContain('AWSLambdaBasicExecutionRole` (AWS managed)');
    expect(body).toContain('### Affected principals (1)');
    expect(body).toContain('- `arn:aws:iam::123456789012:role/service/app-api`');
    expect(body).not.toContain('logs:PutLogEvents');
    expect(body).not.toContain('Policy documents |');
    expect(git(remote, 'diff', '--name-only', 'main', BRANCH)).toBe('infra/iam.tf');
    const before = git(remote, 'show', 'main:infra/iam.tf');
    const after = git(remote, 'show', `${BRANCH}:infra/iam.tf`);
    const start = before.indexOf('data "aws_iam_policy_document" "app" {');
    const end = before.indexOf('resource "aws_iam_policy" "app"');
    expect(after.slice(0, start)).toBe(before.slice(0, start));
    expect(after.slice(after.indexOf('resource "aws_iam_policy" "app"'))).toBe(before.slice(end));
    expect(after.slice(start)).not.toContain('"s3:*"');
    expect(git(remote, 'log', '-1', '--format=%B', BRANCH)).toContain('Generated-by: iamtrim');
    expect(git(remote, 'rev-parse', `${BRANCH}^`)).toBe(git(remote, 'rev-parse', 'main'));
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(git(work, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(io.stdout + io.stderr).not.toContain(TOKEN);
  }, 60_000);

  it('a second run updates the same PR instead of opening another', async () => {
    const tip = git(remote, 'rev-parse', BRANCH);
    const io = testIo();
    expect(await main(prArgs('--resources', 'service'), io)).toBe(0);
    expect(io.stdout).toContain('updated pull request #1');
    expect(github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual(['/repos/acme/infra/pulls/1']);
    expect(github.pulls).toHaveLength(1);
    expect(git(remote, 'rev-parse', `${BRANCH}^`)).toBe(git(remote, 'rev-parse', 'main'));
    expect(git(remote, 'rev-list', '--count', `main..${BRANCH}`)).toBe('1');
    // --resources service changes the policy, so the branch moved; the old commit was iamtrim's
    expect(git(remote, 'rev-parse', BRANCH)).not.toBe(tip);
  }, 60_000);

  it('a run with nothing new pushes nothing and only refreshes the PR', async () => {
    const tip = git(remote, 'rev-parse', BRANCH);
    const patches = github.requests.filter((r) => r.method === 'PATCH').length;
    const io = testIo();
    expect(await main(prArgs('--resources', 'service'), io)).toBe(0);
    expect(io.stdout).toContain(`branch ${BRANCH} already up to date`);
    expect(git(remote, 'rev-parse', BRANCH)).toBe(tip);
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patches + 1);
  }, 60_000);

  it('opens a separate PR for another role whose policy is a JSON file', async () => {
    await mkdir(join(work, 'policies'), { recursive: true });
    await writeFile(join(work, 'policies', 'queue-worker.json'), await readFile(join(import.meta.dirname, 'pr-files', 'queue-worker.json'), 'utf8'));
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'queue-worker policy');
    git(work, 'push', '--quiet', 'origin', 'main');
    const args = prArgs().map((a) => (a === 'app-api' ? 'queue-worker' : a === 'infra/iam.tf' ? 'policies/queue-worker.json' : a));
    args.splice(args.indexOf('--resource'), 2);
    const io = testIo();
    expect(await main(args, io)).toBe(0);
    expect(io.stdout).toContain('opened pull request #2');
    const branch = 'iamtrim/queue-worker-queue-worker-access-20260301';
    expect(git(remote, 'diff', '--name-only', 'main', branch)).toBe('policies/queue-worker.json');
    const policy = JSON.parse(git(remote, 'show', `${branch}:policies/queue-worker.json`)) as { Statement: Array<{ Action: unknown }> };
    expect(policy.Statement.length).toBeGreaterThan(0);
    expect(policy.Statement.some((st) => st.Action === '*' || JSON.stringify(st.Action).includes(':*'))).toBe(false);
    expect(git(remote, 'show', `${branch}:policies/queue-worker.json`)).toMatch(/^\{\n {4}"Version"/);
    expect(github.pulls.map((p) => p.head)).toEqual([BRANCH, branch]);
  }, 60_000);

  it('refuses to overwrite a branch holding a commit iamtrim did not make', async () => {
    const other = join(dir, 'other');
    git(dir, 'clone', '--quiet', remote, other);
    git(other, 'checkout', '--quiet', BRANCH);
    await writeFile(join(other, 'README.md'), '# infra\nreviewer note\n');
    git(other, '-c', 'user.name=Rev', '-c', 'user.email=rev@example.com', 'commit', '--quiet', '-am', 'reviewer fix');
    git(other, 'push', '--quiet', 'origin', BRANCH);
    const tip = git(remote, 'rev-parse', BRANCH);
    const io = testIo();
    expect(await main(prArgs(), io)).toBe(3);
    expect(io.stderr).toMatch(/branch iamtrim\/app-api-app-api-data-20260301 has 1 commit\(s\) iamtrim did not make/);
    expect(git(remote, 'rev-parse', BRANCH)).toBe(tip);
  }, 60_000);

  it('a GitHub failure exits 4 before pushing anything, without printing the token', async () => {
    const refs = git(remote, 'for-each-ref');
    const io = testIo();
    const args = prArgs();
    args[args.indexOf('--github-api-url') + 1] = 'http://127.0.0.1:9';
    expect(await main(args, io)).toBe(4);
    expect(io.stderr).toMatch(/GitHub pulls\.list for acme\/infra failed/);
    expect(io.stdout + io.stderr).not.toContain(TOKEN);
    expect(git(remote, 'for-each-ref')).toBe(refs);
  }, 60_000);

  it('refuses a dirty working tree and a missing token, naming the cause', async () => {
    await writeFile(join(work, 'scratch.txt'), 'wip\n');
    const dirty = testIo();
    expect(await main(prArgs(), dirty)).toBe(2);
    expect(dirty.stderr).toContain('uncommitted changes');
    await rm(join(work, 'scratch.txt'));
    const noToken = testIo({});
    expect(await main(prArgs(), noToken)).toBe(2);
    expect(noToken.stderr).toContain('GITHUB_TOKEN is not set');
  });

  it('--plan writes exactly the reviewed plan, and refuses once the file changed since the plan was made', async () => {
    const planFile = join(dir, 'plan.json');
    const minimize = testIo({});
    const window = ['--days', '20', '--end', '2026-03-01T00:00:00Z', '--logs', manifest.logsDir, '--iam', manifest.iamFile];
    expect(
      await main(['node', 'iamtrim', 'minimize', '--role', 'app-api', ...window, '--resources', 'service', '--format', 'json', '--out', planFile], minimize),
    ).toBe(0);
    const fromPlanArgs = [
      'node',
      'iamtrim',
      'pr',
      '--plan',
      planFile,
      '--repo',
      work,
      '--file',
      'infra/iam.tf',
      '--resource',
      'data.aws_iam_policy_document.app',
      '--dry-run',
    ];
    const fromPlan = testIo({});
    expect(await main(fromPlanArgs, fromPlan)).toBe(0);
    const recomputed = testIo({});
    expect(await main(prArgs('--dry-run', '--resources', 'service'), recomputed)).toBe(0);
    expect(fileDiffSection(fromPlan.stdout)).toContain('+++ b/infra/iam.tf');
    expect(fileDiffSection(fromPlan.stdout)).toBe(fileDiffSection(recomputed.stdout));
    // A plan that disagrees with the flags is refused, not silently mixed.
    const mixed = testIo({});
    expect(await main([...fromPlanArgs, '--logs', manifest.logsDir], mixed)).toBe(2);
    expect(mixed.stderr).toContain('--plan writes the saved plan as it is');
    // The file changes on main after the plan: the plan no longer describes it.
    const tf = await readFile(join(work, 'infra', 'iam.tf'), 'utf8');
    await writeFile(join(work, 'infra', 'iam.tf'), tf.replace('actions   = ["s3:*"]', 'actions   = ["s3:*", "sqs:*"]'));
    git(work, 'commit', '--quiet', '-am', 'widen app');
    git(work, 'push', '--quiet', 'origin', 'main');
    const stale = testIo({});
    expect(await main(fromPlanArgs, stale)).toBe(3);
    expect(stale.stderr).toContain("its policy is not one of app-api's policies");
    expect(stale.stdout).toBe('');
    git(work, 'revert', '--no-edit', 'HEAD');
    git(work, 'push', '--quiet', 'origin', 'main');
  }, 60_000);

  it('--dry-run needs no GitHub remote and warns about a dirty tree the real run would refuse; an ignored folder is not a change (F5)', async () => {
    const args = prArgs('--dry-run', '--remote', 'no-such-remote');
    await writeFile(join(work, 'scratch.txt'), 'wip\n');
    const io = testIo({});
    expect(await main(args, io), io.stderr).toBe(0);
    expect(io.stdout).toContain('+++ b/infra/iam.tf');
    expect(io.stderr).toContain('warning: --repo');
    expect(io.stderr).toContain('the real run would refuse');
    await rm(join(work, 'scratch.txt'));
    // An untracked folder that .gitignore ignores (logs synced into the checkout) does not count.
    await writeFile(join(work, '.gitignore'), 'logs/\n');
    git(work, 'add', '.gitignore');
    git(work, 'commit', '--quiet', '-m', 'ignore logs');
    await mkdir(join(work, 'logs'), { recursive: true });
    await writeFile(join(work, 'logs', 'x.json.gz'), 'x');
    const clean = testIo({});
    expect(await main(args, clean)).toBe(0);
    expect(clean.stderr).not.toContain('uncommitted');
  }, 60_000);
});
