/**
 * The composite action (action.yml at the repository root): its steps' own `run:` scripts, executed
 * by bash as the runner would, with the inputs as environment variables and GITHUB_OUTPUT a file.
 * `npm ci` is replaced by a stub that records its arguments (it needs the npm registry, which tests
 * never reach); everything else runs for real against the built CLI and the demo account.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../src/demo/generate.js';
import { assertBuilt, BIN, ROOT_DIR, childEnv } from './helpers/built-cli.js';

interface Step {
  uses?: string;
  name?: string;
  id?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Action {
  runs: { using: string; steps: Step[] };
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
}

let action: Action;
let dir = '';

beforeAll(async () => {
  assertBuilt();
  action = parse(await readFile(join(ROOT_DIR, 'action.yml'), 'utf8')) as Action;
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-action-'));
  // The demo account `iamtrim demo --events 3000` writes (its defaults: 30 days to now, seed 1),
  // generated in-process: the steps below run the built CLI on it.
  await generateDemo({ outDir: join(dir, 'demo'), now: new Date(), days: 30, seed: 1, events: 3000 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function step(id: string): Step {
  const found = action.runs.steps.find((s) => s.id === id || s.name === id);
  if (found?.run === undefined) throw new Error(`action.yml has no run step ${id}`);
  return found;
}

/** Runs a step's script with bash; returns the exit code, output and the GITHUB_OUTPUT lines. */
async function runStep(
  s: Step,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; out: string; err: string; outputs: Record<string, string> }> {
  const outputFile = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  await writeFile(outputFile, '');
  const r = spawnSync('bash', ['-e', '-c', s.run ?? ''], { cwd, encoding: 'utf8', env: childEnv({ GITHUB_OUTPUT: outputFile, ...env }) });
  const outputs = Object.fromEntries(
    (await readFile(outputFile, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, outputs };
}

describe('action.yml', () => {
  it('is a composite action: Node set up, iamtrim installed from the action checkout, outputs from the run step', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps[0]?.uses).toMatch(/^actions\/setup-node@v\d+$/);
    expect(action.outputs['report-path']?.value).toBe('${{ steps.run.outputs.report-path }}');
    expect(action.outputs['pr-url']?.value).toBe('${{ steps.run.outputs.pr-url }}');
    const all = action.runs.steps.map((s) => `${s.uses ?? ''} ${s.run ?? ''}`).join('\n');
    expect(all).not.toMatch(/npx|npm (install|i) iamtrim/); // never from a registry name
  });

  it('the install step runs `npm ci` in the action path (stubbed) and the built CLI answers --version', async () => {
    const stubs = join(dir, 'stubs');
    await mkdir(stubs, { recursive: true });
    const log = join(dir, 'npm-calls');
    await writeFile(join(stubs, 'npm'), `#!/bin/sh\necho "$PWD $*" >> '${log}'\n`);
    await chmod(join(stubs, 'npm'), 0o755);
    const r = await runStep(step("Install iamtrim from the action's checkout"), { PATH: `${stubs}:${process.env['PATH'] ?? ''}` }, ROOT_DIR);
    expect(r.code).toBe(0);
    expect(await readFile(log, 'utf8')).toBe(`${ROOT_DIR} ci --no-audit --no-fund\n`);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('drift: writes the report and sets report-path; --fail-on findings exit 1 and still set it', async () => {
    const demo = join(dir, 'demo');
    const env = { IAMTRIM_COMMAND: 'drift', IAMTRIM_REPORT_DIR: 'out', IAMTRIM_BIN: BIN, GITHUB_TOKEN: '' };
    const ok = await runStep(step('run'), { ...env, IAMTRIM_ARGS: `--days 30 --logs ${join(demo, 'logs')} --iam ${join(demo, 'iam.json')} --no-history` }, dir);
    expect(ok.code).toBe(0);
    expect(ok.outputs['report-path']).toBe('out/report.html');
    expect(existsSync(join(dir, 'out', 'report.html'))).toBe(true);
    const findings = await runStep(
      step('run'),
      {
        ...env,
        IAMTRIM_REPORT_DIR: 'out2',
        IAMTRIM_ARGS: `--days 30 --logs ${join(demo, 'logs')} --iam ${join(demo, 'iam.json')} --no-history --fail-on any-unused`,
      },
      dir,
    );
    expect(findings.code).toBe(1);
    expect(findings.outputs['report-path']).toBe('out2/report.html');
  });

  it('pr: the URL the CLI prints becomes pr-url; a dry run leaves it empty; another command is refused', async () => {
    const fake = join(dir, 'fake-pr.js');
    await writeFile(fake, "process.stdout.write('opened pull request #7: https://github.com/acme/infra/pull/7\\nbranch iamtrim/app-api-20261207\\n');\n");
    const opened = await runStep(
      step('run'),
      { IAMTRIM_COMMAND: 'pr', IAMTRIM_ARGS: '--role app-api', IAMTRIM_REPORT_DIR: '', IAMTRIM_BIN: fake, GITHUB_TOKEN: 't' },
      dir,
    );
    expect(opened.code).toBe(0);
    expect(opened.outputs['pr-url']).toBe('https://github.com/acme/infra/pull/7');
    const silent = join(dir, 'fake-dry.js');
    await writeFile(silent, "process.stdout.write('title: ...\\n');\n");
    const dry = await runStep(
      step('run'),
      { IAMTRIM_COMMAND: 'pr', IAMTRIM_ARGS: '--dry-run', IAMTRIM_REPORT_DIR: '', IAMTRIM_BIN: silent, GITHUB_TOKEN: '' },
      dir,
    );
    expect(dry.code).toBe(0);
    expect(dry.outputs['pr-url']).toBe('');
    const other = await runStep(
      step('run'),
      { IAMTRIM_COMMAND: 'minimize', IAMTRIM_ARGS: '', IAMTRIM_REPORT_DIR: '', IAMTRIM_BIN: BIN, GITHUB_TOKEN: '' },
      dir,
    );
    expect(other.code).toBe(2);
    expect(other.err).toContain("command must be drift or pr, not 'minimize'");
  });
});
