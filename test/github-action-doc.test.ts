/**
 * docs/github-action.md's workflow, run as written (issue 20, F2): the YAML block is read from the
 * page and each `run:` step is executed with bash, in order, for every matrix entry, in a
 * temporary repository whose remote is a bare repository behind a GitHub URL; the
 * `uses: OWNER/iamtrim@...` step runs the composite steps of this repository's action.yml with the
 * step's inputs. What the workflow reaches outside is stood in for: `aws` (s3 sync from a folder
 * holding the demo account's CloudTrail files, get-account-authorization-details from its
 * iam.json), `npm ci` (the action's checkout is built already), `date` (the clock: 10 January, so
 * the 90-day window spans New Year; iamtrim runs with the same clock), and GitHub
 * (test/pr-github-stand-in.ts). Other `uses:` steps need nothing here. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { assertBuilt, ROOT_DIR } from './helpers/built-cli.js';
import { git } from './helpers/git-repo.js';
import { startGitHubStandIn, type GitHubStandIn } from './pr-github-stand-in.js';

const NOW = '2027-01-10T06:17:00Z';
const TOKEN = 'ghs_WORKFLOWTEST0123456789';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Workflow {
  jobs: Record<string, { strategy: { matrix: { include: Array<Record<string, string>> } }; steps: Step[] }>;
}

let dir: string;
let manifest: DemoManifest;
let github: GitHubStandIn;
let remote: string;
let workflow: Workflow;
let bin: string;
let actionPath: string;
let action: {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { steps: Array<Step & { shell?: string; id?: string; 'working-directory'?: string }> };
};

interface Context {
  matrix: Record<string, string>;
  runnerTemp: string;
  inputs?: Record<string, string>;
  actionPath?: string;
  /** step id -> its outputs */
  steps: Record<string, Record<string, string>>;
}

/** The `${{ }}` expressions the page and action.yml use; anything else fails the test loudly. */
function value(path: string, ctx: Context): string {
  const [head, ...rest] = path.split('.');
  const key = rest.join('.');
  if (head === 'matrix') return ctx.matrix[key] ?? '';
  if (head === 'inputs') return ctx.inputs?.[key] ?? '';
  if (path === 'runner.temp') return ctx.runnerTemp;
  if (path === 'secrets.GITHUB_TOKEN' || path === 'github.token') return TOKEN;
  if (path === 'github.event.repository.default_branch') return 'main';
  if (path === 'github.action_path') return ctx.actionPath ?? '';
  const step = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(path);
  if (step !== null) return ctx.steps[step[1] ?? '']?.[step[2] ?? ''] ?? '';
  throw new Error(`the test does not know the expression \${{ ${path} }}: extend value()`);
}

function expand(text: string, ctx: Context): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    const f = /^(\S+) && format\('([^']*)', (\S+)\) \|\| ''$/.exec(expression);
    if (f !== null) return value(f[1] ?? '', ctx) !== '' ? (f[2] ?? '').replace('{0}', value(f[3] ?? '', ctx)) : '';
    return value(expression, ctx);
  });
}

/** `key=value` lines a step appended to $GITHUB_OUTPUT. */
async function outputsOf(file: string): Promise<Record<string, string>> {
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Runs a step as GitHub's ubuntu runners do (bash -eo pipefail), without blocking the stand-in's event loop. */
async function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** The stand-in commands, written into a folder put first on PATH. */
async function writeStandIns(bucket: string, iamFile: string): Promise<void> {
  const node = process.execPath;
  const scripts: Record<string, string> = {
    // aws s3 sync SRC DEST [--exclude P | --include P]... ; aws iam get-account-authorization-details
    'aws.mjs': `
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
const [service, command, ...rest] = process.argv.slice(2);
if (service === 'iam' && command === 'get-account-authorization-details') {
  process.stdout.write(readFileSync(${JSON.stringify(iamFile)}, 'utf8'));
} else if (service === 's3' && command === 'sync') {
  const [src, dest, ...flags] = rest;
  const prefix = 's3://org-trail-bucket/';
  if (!src.startsWith(prefix)) { console.error('unknown bucket ' + src); process.exit(1); }
  const root = join(${JSON.stringify(bucket)}, src.slice(prefix.length));
  const filters = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '--exclude' || flags[i] === '--include') filters.push([flags[i] === '--include', flags[++i]]);
    else if (flags[i] !== '--only-show-errors') { console.error('unknown flag ' + flags[i]); process.exit(1); }
  }
  const re = (p) => new RegExp('^' + p.replace(/[.+^$()|[\\]\\\\{}]/g, '\\\\$&').replace(/\\*/g, '.*').replace(/\\?/g, '.') + '$');
  const walk = (d) => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  const compiled = filters.map(([include, p]) => [include, re(p)]);
  let copied = 0;
  for (const file of walk(root)) {
    const rel = relative(root, file);
    let keep = true;
    for (const [include, pattern] of compiled) if (pattern.test(rel)) keep = include;
    if (!keep) continue;
    mkdirSync(dirname(join(dest, rel)), { recursive: true });
    cpSync(file, join(dest, rel));
    copied++;
  }
  console.error('synced ' + copied + ' files');
} else { console.error('aws stand-in: unknown command ' + process.argv.slice(2).join(' ')); process.exit(1); }
`,
    // The built CLI with the test's clock: the action checkout's dist/bin.js.
    'iamtrim.mjs': `
const { processIo, installProcessHandlers } = await import(${JSON.stringify(join(ROOT_DIR, 'dist', 'cli', 'io.js'))});
installProcessHandlers();
const { main } = await import(${JSON.stringify(join(ROOT_DIR, 'dist', 'cli', 'main.js'))});
process.exitCode = await main(process.argv, { ...processIo(), now: () => new Date(${JSON.stringify(NOW)}) });
`,
    // The action's install step runs `npm ci` in its own checkout: that checkout (the stand-in action folder) is built already.
    'npm.mjs': `
const args = process.argv.slice(2);
if (args[0] !== 'ci') { console.error('npm stand-in: ' + args.join(' ')); process.exit(1); }
`,
  };
  for (const [name, text] of Object.entries(scripts)) await writeFile(join(bin, name), text);
  for (const name of ['aws', 'npm']) {
    await writeFile(join(bin, name), `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(join(bin, `${name}.mjs`))} "$@"\n`);
    await chmod(join(bin, name), 0o755);
  }
  // date -u +FMT ; date -u -d "N days ago" +FMT: the real date at the clock NOW. A shell script, not
  // Node: the workflow calls it once per day of the window (91 times per matrix entry).
  const realDate = ['/usr/bin/date', '/bin/date'].find((p) => existsSync(p));
  if (realDate === undefined) throw new Error('no date(1) in /usr/bin or /bin');
  await writeFile(
    join(bin, 'date'),
    [
      '#!/bin/sh',
      `t=${Date.parse(NOW) / 1000}`,
      "format='+%a %b %e %H:%M:%S UTC %Y'",
      'while [ $# -gt 0 ]; do',
      '  case "$1" in',
      '    -u) ;;',
      '    -d)',
      '      n=${2% days ago}; n=${n% day ago}',
      '      case "$n" in \'\'|*[!0-9]*) echo "date stand-in: -d $2" >&2; exit 1 ;; esac',
      '      t=$((t - n * 86400)); shift ;;',
      '    +*) format=$1 ;;',
      '    *) echo "date stand-in: $1" >&2; exit 1 ;;',
      '  esac',
      '  shift',
      'done',
      `exec ${realDate} -u -d "@$t" "$format"`,
      '',
    ].join('\n'),
  );
  await chmod(join(bin, 'date'), 0o755);
  // The action's checkout (github.action_path): dist/bin.js is the built CLI with the test's clock.
  await mkdir(join(actionPath, 'dist'), { recursive: true });
  await writeFile(join(actionPath, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(actionPath, 'dist', 'bin.js'), scripts['iamtrim.mjs'] ?? '');
}

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-action-'));
  const page = await readFile(join(ROOT_DIR, 'docs', 'github-action.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(page)?.[1];
  if (block === undefined) throw new Error('docs/github-action.md has no ```yaml block');
  workflow = parse(block) as Workflow;
  manifest = await generateDemo({ outDir: join(dir, 'bucket'), now: new Date(NOW), days: 95, events: 8_000, seed: 3 });
  bin = join(dir, 'bin');
  actionPath = join(dir, 'action');
  await mkdir(bin);
  action = parse(await readFile(join(ROOT_DIR, 'action.yml'), 'utf8')) as typeof action;
  await writeStandIns(join(dir, 'bucket', 'logs'), manifest.iamFile);
  github = await startGitHubStandIn('acme', 'infra');
  remote = join(dir, 'remote.git');
  const seed = join(dir, 'seed');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  git(dir, 'init', '--quiet', '--initial-branch=main', seed);
  await mkdir(join(seed, 'infra'));
  await mkdir(join(seed, 'policies'));
  await writeFile(
    join(seed, 'infra', 'iam.tf'),
    'data "aws_iam_policy_document" "app_api" {\n  statement {\n    actions   = ["s3:*"]\n    resources = ["*"]\n  }\n  statement {\n    actions   = ["dynamodb:*"]\n    resources = ["*"]\n  }\n}\n',
  );
  await writeFile(join(seed, 'policies', 'queue-worker.json'), await readFile(join(import.meta.dirname, 'pr-files', 'queue-worker.json'), 'utf8'));
  git(seed, 'add', '.');
  git(seed, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '--quiet', '-m', 'initial');
  git(seed, 'push', '--quiet', remote, 'main');
}, 180_000);

afterAll(async () => {
  await github?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('docs/github-action.md workflow', () => {
  it('runs as written for every matrix entry, across New Year, and opens one pull request per entry', async () => {
    const [job] = Object.values(workflow.jobs);
    if (job === undefined) throw new Error('no job in the workflow');
    const entries = job.strategy.matrix.include;
    expect(entries.length).toBe(2);
    for (const [i, matrix] of entries.entries()) {
      // actions/checkout: a fresh clone of the repository on the default branch.
      const workspace = join(dir, `workspace-${i}`);
      const runnerTemp = join(dir, `runner-temp-${i}`);
      await mkdir(runnerTemp);
      git(dir, 'clone', '--quiet', remote, workspace);
      git(workspace, 'remote', 'set-url', 'origin', 'https://github.com/acme/infra.git');
      git(workspace, 'config', `url.${remote}.insteadOf`, 'https://github.com/acme/infra.git');
      const env: Record<string, string> = {
        PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
        HOME: dir,
        RUNNER_TEMP: runnerTemp,
        GITHUB_API_URL: github.url,
        GIT_CONFIG_NOSYSTEM: '1',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const ctx: Context = { matrix, runnerTemp, steps: {} };
      let ran = 0;
      const run = async (script: string, cwd: string, stepEnv: Record<string, string>, what: string): Promise<Record<string, string>> => {
        const output = join(runnerTemp, `output-${ran}`);
        const r = await bash(script, cwd, { ...stepEnv, GITHUB_OUTPUT: output });
        expect(r.status, `${matrix['role'] ?? ''}: step "${what}" failed:\n${r.stderr}`).toBe(0);
        ran += 1;
        return outputsOf(output);
      };
      for (const step of job.steps) {
        const stepEnv = { ...env };
        for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = expand(String(v), ctx);
        if (step.run !== undefined) {
          await run(expand(step.run, ctx), workspace, stepEnv, step.name ?? step.run);
          continue;
        }
        if (!/\/iamtrim@/.test(step.uses ?? '')) continue; // checkout: the workspace; credentials: the aws stand-in
        // The composite action, from action.yml, with the step's inputs (defaults from action.yml).
        const inputs: Record<string, string> = {};
        for (const [k, v] of Object.entries(action.inputs)) inputs[k] = v.default !== undefined ? expand(String(v.default), ctx) : '';
        for (const [k, v] of Object.entries((step as { with?: Record<string, string> }).with ?? {})) inputs[k] = expand(String(v), ctx);
        const inner: Context = { ...ctx, inputs, actionPath, steps: {} };
        for (const s2 of action.runs.steps) {
          if (s2.run === undefined) continue; // setup-node: node is here
          const innerEnv = { ...stepEnv };
          for (const [k, v] of Object.entries(s2.env ?? {})) innerEnv[k] = expand(String(v), inner);
          const cwd = s2['working-directory'] !== undefined ? expand(s2['working-directory'], inner) : workspace;
          const outputs = await run(expand(s2.run, inner), cwd, innerEnv, `${step.name ?? ''} / ${s2.name ?? s2.run}`);
          if (s2.id !== undefined) inner.steps[s2.id] = outputs;
        }
        const id = (step as { id?: string }).id;
        if (id !== undefined) ctx.steps[id] = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, expand(v.value, inner)]));
      }
      expect(ran).toBe(4); // sync, the action's install and run, the echo
      expect(ctx.steps['iamtrim']?.['pr-url']).toMatch(/^https:\/\/github\.example\/acme\/infra\/pull\/\d+$/);
      // The window reaches back into the previous year, and those days were synced outside the checkout.
      const synced = join(runnerTemp, 'logs', 'AWSLogs', '123456789012', 'CloudTrail', 'eu-west-1');
      expect(existsSync(join(synced, '2026', '10', '12'))).toBe(true);
      expect(existsSync(join(synced, '2027', '01', '10'))).toBe(true);
      expect(existsSync(join(synced, '2026', '10', '08'))).toBe(false);
      expect(git(workspace, 'status', '--porcelain')).toBe('');
    }
    const heads = github.pulls.map((p) => p.head).sort();
    expect(heads).toEqual(['iamtrim/app-api-app-api-data-20270110', 'iamtrim/queue-worker-queue-worker-access-20270110']);
    const after = git(remote, 'show', 'iamtrim/app-api-app-api-data-20270110:infra/iam.tf');
    expect(after).not.toContain('"s3:*"');
    expect(after).toContain('dynamodb:');
  }, 300_000);
});
