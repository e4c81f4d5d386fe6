/**
 * report.html in a real browser (Debian's `chromium`): the role rows and the trend chart render,
 * the script sorts from the URL hash, and a screenshot is saved. Skipped, saying so, without Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../src/cli/main.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import { ARTEFACTS, findChromium, manyRolesSnapshot, pngSize, pickCalls, writeCloudTrailFile, type FabricatedCall } from './drift-helpers.js';

const CHROMIUM = findChromium();
if (CHROMIUM === undefined) {
  console.warn('drift-html: SKIPPED, no Chromium found (install it with `apt-get install -y chromium`)');
}

const NOW = new Date('2026-06-01T00:00:00Z');
let dir: string;
let html: string;
/** The screenshot is kept here (git-ignored) for a human to look at. */
const SHOT = join(ARTEFACTS, 'drift-report-1280.png');

function chromium(args: string[]): string {
  const profile = join(dir, `profile-${Math.random().toString(16).slice(2)}`);
  const run = spawnSync(
    CHROMIUM ?? 'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error !== undefined) throw run.error;
  return run.stdout;
}

let sortedByUnused: string | undefined;
/**
 * The page sorted by `#sort=unused`: its DOM, and in the same browser run the screenshot (both
 * tests below use it; the first to ask starts the browser).
 */
function byUnusedWithScreenshot(): { dom: string; shot: string } {
  const shot = join(dir, 'report.png');
  sortedByUnused ??= chromium([
    '--dump-dom',
    `--screenshot=${shot}`,
    '--window-size=1280,2000',
    '--virtual-time-budget=5000',
    `${pathToFileURL(html).href}#sort=unused`,
  ]);
  return { dom: sortedByUnused, shot };
}

function rowAttr(dom: string, attr: string): string[] {
  return [...dom.matchAll(new RegExp(`<tr class="role"[^>]*?data-${attr}="([^"]*)"`, 'g'))].map((m) => m[1] ?? '');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-html-'));
  if (CHROMIUM === undefined) return;
  const catalog = await loadCatalog();
  const mapCall = createMapper(catalog);
  const raw = manyRolesSnapshot(24);
  await writeFile(join(dir, 'iam.json'), JSON.stringify(raw));
  const iam = parseAuthorizationDetails(raw, 'iam.json');
  const history = join(dir, 'h.duckdb');
  // Two runs, the second with more usage, so the trend has two points.
  for (const [run, extra] of [
    [0, 0],
    [1, 3],
  ] as const) {
    const calls: FabricatedCall[] = iam.roles.filter((_, i) => i % 3 !== 2).flatMap((role, i) => pickCalls(catalog, mapCall, role, 1 + (i % 5) + extra));
    await writeCloudTrailFile(join(dir, `logs${run}`, 'trail.json'), calls, NOW);
    const code = await main(
      [
        'node',
        'iamtrim',
        'drift',
        '--iam',
        join(dir, 'iam.json'),
        '--logs',
        join(dir, `logs${run}`),
        '--out',
        join(dir, 'out'),
        '--history',
        history,
        '--end',
        NOW.toISOString(),
      ],
      { out: () => undefined, err: () => undefined, interactive: false, now: () => new Date(NOW.getTime() + run * 86_400_000), env: {} },
    );
    expect(code).toBe(0);
  }
  html = join(dir, 'out', 'report.html');
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(CHROMIUM === undefined)('report.html in headless Chromium', () => {
  it('is self-contained: no external URL', async () => {
    const text = await readFile(html, 'utf8');
    expect(text).not.toMatch(/https?:\/\//);
    expect(text).not.toMatch(/<(link|img|iframe)\b/);
    expect(text).toContain('Content-Security-Policy');
  });

  it('renders the rows and the trend chart, and sorts by the URL hash', () => {
    const url = pathToFileURL(html).href;
    const plain = chromium(['--dump-dom', '--virtual-time-budget=5000', url]);
    expect(rowAttr(plain, 'name')).toHaveLength(24);
    const chart = /<svg id="trend-chart"[\s\S]*?<\/svg>/.exec(plain)?.[0] ?? '';
    expect(chart).toMatch(/<polyline class="line granted"[^>]*points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(chart).toMatch(/<polyline class="line used"[^>]*points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);

    const byUnused = byUnusedWithScreenshot().dom;
    expect(byUnused).toMatch(/<table id="roles" data-sorted="unused:desc"/);
    const unused = rowAttr(byUnused, 'unused').map(Number);
    expect(unused).toHaveLength(24);
    expect(unused).toEqual([...unused].sort((a, b) => b - a));
    // Each role's detail row moved with it: right after its role row, its command naming the same role.
    const pairs = [...byUnused.matchAll(/<tr class="role"[^>]*data-name="([^"]*)"[^>]*>[\s\S]*?<\/tr>\s*<tr class="role-detail"[^>]*>([\s\S]*?)<\/tr>/g)];
    expect(pairs).toHaveLength(24);
    for (const [, name, detail] of pairs) expect(detail).toMatch(new RegExp(`--role(-name)? ${name ?? '-'}\\b`));
    // The default order (by risk) differs from the unused order, so the script really moved rows.
    expect(rowAttr(plain, 'unused').map(Number)).not.toEqual(unused);

    const byName = chromium(['--dump-dom', '--virtual-time-budget=5000', `${url}#sort=name:asc`]);
    const names = rowAttr(byName, 'name');
    expect(names).toEqual([...names].sort());
  }, 240_000);

  it('takes a screenshot', async () => {
    const { shot } = byUnusedWithScreenshot();
    expect(existsSync(shot)).toBe(true);
    expect((await stat(shot)).size).toBeGreaterThan(20_000);
    expect(pngSize(await readFile(shot))).toEqual({ width: 1280, height: 2000 });
    await mkdir(ARTEFACTS, { recursive: true });
    await copyFile(shot, SHOT);
    console.info(`drift-html: screenshot saved to ${SHOT}`);
  }, 120_000);
});
