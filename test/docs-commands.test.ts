/**
 * Every `iamtrim` command in a fenced shell block of README.md and docs/*.md (issue 22 item 4).
 * Each one's flags must exist in that command's --help. A block preceded by `<!-- needs-aws -->` or
 * `<!-- needs-github -->` is checked for its flags only (it needs a real account or repository);
 * every other command is run, through the built CLI, in a folder holding the demo account as the
 * docs name it (`./logs`, `iam.json`, `lambda-functions.json`), and must exit 0 (or 1, drift's
 * "findings"). The --help texts and the demo account come from the CLI in-process
 * (helpers/run-cli.ts: the same `main`). Lines running other tools (npm, aws, git) are not iamtrim's to check here: CI runs
 * the npm ones (`.ci/run`), and the aws ones need AWS.
 */
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR, runBuilt, type BuiltRun } from './helpers/built-cli.js';
import { runCli } from './helpers/run-cli.js';

interface DocCommand {
  file: string;
  line: number;
  text: string;
  offline: boolean;
}

const SHELL_BLOCK = /^(sh|bash|shell|console|)$/;

/** Splits a shell line into words: single and double quotes, no expansion. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** A trailing `# comment` outside quotes is not part of the command. */
function withoutComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) return text.slice(0, i).trimEnd();
  }
  return text;
}

export function docCommands(file: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (fence === null) continue;
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const offline = !/^<!-- needs-(aws|github) -->$/.test(lines[i - 1] ?? '');
    if (SHELL_BLOCK.test(fence[1] ?? '')) {
      for (let j = i + 1; j < close; j++) {
        let text = (lines[j] ?? '').replace(/^\$ /, '');
        const start = j;
        while (text.endsWith('\\') && j + 1 < close) text = `${text.slice(0, -1)} ${(lines[++j] ?? '').trim()}`;
        text = withoutComment(text.trim());
        if (/^iamtrim(\s|$)/.test(text)) out.push({ file, line: start + 1, text, offline });
      }
    }
    i = close;
  }
  return out;
}

const helpCache = new Map<string, string>();
async function helpOf(path: readonly string[]): Promise<string> {
  const key = path.join(' ');
  const cached = helpCache.get(key);
  if (cached !== undefined) return cached;
  const r = await runCli([...path, '--help']);
  expect(r.code, `iamtrim ${key} --help`).toBe(0);
  helpCache.set(key, r.out);
  return r.out;
}

/** The command path (`minimize`, `athena setup`) and the flags a documented command uses. */
async function parseCommand(text: string): Promise<{ path: string[]; flags: string[]; args: string[] }> {
  const all = words(text).slice(1);
  const path: string[] = [];
  for (const w of all) {
    if (w.startsWith('-')) break;
    path.push(w);
    if (!(await helpOf(path)).includes('Commands:')) break;
  }
  const flags = all
    .map((w) => w.replace(/^\[/, '').replace(/\]$/, ''))
    .filter((w) => /^--?[a-zA-Z]/.test(w))
    .map((w) => w.split('=')[0] ?? w);
  return { path, flags, args: all };
}

const FILES = ['README.md', ...(await readdir(join(ROOT_DIR, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const COMMANDS = (await Promise.all(FILES.map(async (f) => docCommands(f, await readFile(join(ROOT_DIR, f), 'utf8'))))).flat();

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'iamtrim-docs-'));
  const demo = await runCli(['--quiet', 'demo', '--dir', join(work, '.demo'), '--events', '4000'], { now: new Date().toISOString() });
  expect(demo.code).toBe(0);
  await symlink(join(work, '.demo', 'logs'), join(work, 'logs'));
  await symlink(join(work, '.demo', 'iam.json'), join(work, 'iam.json'));
  await symlink(join(work, '.demo', 'lambda-functions.json'), join(work, 'lambda-functions.json'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('commands in README.md and docs/', () => {
  it('finds the documented commands, offline and needing AWS', () => {
    expect(COMMANDS.filter((c) => c.offline).length).toBeGreaterThanOrEqual(6);
    expect(COMMANDS.filter((c) => !c.offline).length).toBeGreaterThanOrEqual(6);
    expect(COMMANDS.some((c) => /npx/.test(c.text))).toBe(false);
  });

  it.each(COMMANDS.map((c) => [`${c.file}:${c.line} ${c.text.slice(0, 70)}`, c] as const))('%s: every flag exists', async (_name, c) => {
    const { path, flags } = await parseCommand(c.text);
    const help = `${await helpOf(path)}\n${await helpOf([])}`;
    for (const flag of flags)
      expect(help, `${c.file}:${c.line} ${flag} in iamtrim ${path.join(' ')} --help`).toMatch(
        new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}[\\s,<\\[]`, 'm'),
      );
  });

  // A command documented twice word for word (README.md shows the same minimize twice) runs once:
  // the same arguments in the same folder, the same outcome.
  const runs = new Map<string, Promise<BuiltRun>>();
  it.each(COMMANDS.filter((c) => c.offline).map((c) => [`${c.file}:${c.line} ${c.text.slice(0, 70)}`, c] as const))(
    '%s: runs against the demo account',
    async (_name, c) => {
      let run = runs.get(c.text);
      if (run === undefined) {
        run = parseCommand(c.text).then(({ args }) => runBuilt(args, { cwd: work }));
        runs.set(c.text, run);
      }
      const r = await run;
      expect([0, 1], `${c.text}\n${r.err}`).toContain(r.code);
    },
  );
});
