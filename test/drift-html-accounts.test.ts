/**
 * report.html at organization scale, in real Chromium: a generated organization of 20 accounts and
 * 500 roles (one authorization-details file per account, long role names and paths), one drift run
 * over a small log set touching every account, then the page at 1,280 and 1,920 px: no horizontal
 * overflow and every section present. Screenshots go to `test-artifacts/` (git-ignored), never committed.
 * Skipped, saying so, only when no Chromium is found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../src/cli/main.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import { loadCatalog } from '../src/iam/catalog.js';
import { createMapper } from '../src/mapping/map-call.js';
import type { DriftReport } from '../src/drift/report.js';
import { renderDriftHtml } from '../src/render/drift-html.js';
import { ARTEFACTS, findChromium, manyRolesSnapshot, pickCalls, pngSize, writeCloudTrailFile, type FabricatedCall } from './drift-helpers.js';

const CHROMIUM = findChromium();
if (CHROMIUM === undefined) console.warn('drift-html-accounts: SKIPPED, no Chromium found (install it with `apt-get install -y chromium`)');

const NOW = new Date('2026-06-01T00:00:00Z');
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => String(100000000000 + i * 7919));
const ROLES_PER_ACCOUNT = 25;
let dir: string;
let html: string;
let report: DriftReport;

/** One account's snapshot: the helper's roles, renamed to long names (64 characters, IAM's limit) under a deep path. */
function accountSnapshot(account: string): unknown {
  const raw = manyRolesSnapshot(ROLES_PER_ACCOUNT, account) as { RoleDetailList: { RoleName: string; Arn: string; Path: string }[] };
  raw.RoleDetailList.forEach((r, i) => {
    const name = `${i % 2 === 0 ? 'platform-data-ingestion-pipeline-worker' : 'ci-deploy'}-${account.slice(-4)}-${String(i).padStart(3, '0')}`.padEnd(
      i % 3 === 0 ? 64 : 20,
      'x',
    );
    r.RoleName = name;
    r.Path = i % 4 === 0 ? '/application/team-platform/ingestion/' : '/';
    r.Arn = `arn:aws:iam::${account}:role${r.Path}${name}`;
  });
  return raw;
}

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
    { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 },
  );
  if (run.error !== undefined) throw run.error;
  return run.stdout;
}

/**
 * The page with a probe script appended: it opens every role's details, then writes the widths and
 * the sections found into the DOM, in a hidden element (the screenshot taken in the same run shows the page, not the probe).
 */
async function probePage(): Promise<string> {
  const text = await readFile(html, 'utf8');
  const probe =
    `<script>window.addEventListener('load',function(){Array.prototype.forEach.call(document.querySelectorAll('details'),function(d){d.open=true;});var ids=['regressions','cards','trend-chart','account-trends','changes-section','accounts','roles','service-linked'];` +
    `var p=document.createElement('pre');p.id='probe';p.hidden=true;p.textContent=JSON.stringify({scrollWidth:document.documentElement.scrollWidth,innerWidth:window.innerWidth,` +
    `present:ids.filter(function(i){return document.getElementById(i)!==null;}),groups:document.querySelectorAll('#roles tbody').length,rows:document.querySelectorAll('#roles tr.role').length,` +
    `wideCells:Array.prototype.filter.call(document.querySelectorAll('#roles td'),function(td){return td.scrollWidth>td.clientWidth+1;}).length});document.body.appendChild(p);});</script>`;
  const file = join(dir, 'probe.html');
  await writeFile(file, text.replace('</body>', `${probe}</body>`));
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-drift-accounts-'));
  const catalog = await loadCatalog();
  const mapCall = createMapper(catalog);
  await mkdir(join(dir, 'iam'));
  const calls: FabricatedCall[] = [];
  for (const account of ACCOUNTS) {
    const raw = accountSnapshot(account);
    await writeFile(join(dir, 'iam', `${account}.json`), JSON.stringify(raw));
    // Every third role of every account calls one or two of its granted read actions.
    const iam = parseAuthorizationDetails(raw, account);
    iam.roles.forEach((role, i) => {
      if (i % 3 === 0) calls.push(...pickCalls(catalog, mapCall, role, 1 + (i % 2)));
    });
  }
  await writeCloudTrailFile(join(dir, 'logs', 'trail.json'), calls, NOW);
  const out = join(dir, 'out');
  const code = await main(
    ['node', 'iamtrim', 'drift', '--iam', join(dir, 'iam'), '--logs', join(dir, 'logs'), '--out', out, '--no-history', '--end', NOW.toISOString()],
    { out: () => undefined, err: () => undefined, interactive: false, now: () => NOW, env: {} },
  );
  expect(code).toBe(0);
  html = join(out, 'report.html');
  report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as DriftReport;
  await mkdir(ARTEFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report.html for 20 accounts and 500 roles', () => {
  it('groups the 500 roles under their 20 accounts; renders in one self-contained page (render time and size are printed for docs/drift.md, not asserted)', async () => {
    expect(report.summary.roles).toBe(500);
    expect(report.accounts).toHaveLength(20);
    expect(report.accounts.every((a) => a.roles === ROLES_PER_ACCOUNT && a.logs === true)).toBe(true);
    const started = performance.now();
    const page = renderDriftHtml(report);
    const ms = performance.now() - started;
    const size = (await stat(html)).size;
    console.info(`drift-html-accounts: renderDriftHtml for 500 roles in ${ms.toFixed(0)} ms; report.html ${(size / 1024).toFixed(0)} KiB`);
    expect(page).toBe(await readFile(html, 'utf8'));
    expect(page).not.toMatch(/https?:\/\//);
    expect(page.match(/<tbody id="account-/g)).toHaveLength(20);
  });

  describe.skipIf(CHROMIUM === undefined)('in headless Chromium', () => {
    for (const width of [1280, 1920]) {
      it(`${width} px: no horizontal overflow, every section present`, async () => {
        const file = await probePage();
        // One browser run both measures (the probe's DOM) and takes the screenshot (every detail open).
        const shot = join(ARTEFACTS, `drift-accounts-${width}.png`);
        await rm(shot, { force: true });
        const dom = chromium(['--dump-dom', `--screenshot=${shot}`, `--window-size=${width},1600`, '--virtual-time-budget=10000', pathToFileURL(file).href]);
        const json = /<pre id="probe" hidden="">([^<]*)<\/pre>/.exec(dom)?.[1];
        expect(json, 'the probe script ran').toBeDefined();
        const probe = JSON.parse((json ?? '{}').replace(/&quot;/g, '"')) as {
          scrollWidth: number;
          innerWidth: number;
          present: string[];
          groups: number;
          rows: number;
          wideCells: number;
        };
        expect(probe.innerWidth).toBe(width);
        expect(probe.scrollWidth).toBeLessThanOrEqual(probe.innerWidth);
        expect(probe.present).toEqual(['regressions', 'cards', 'trend-chart', 'account-trends', 'changes-section', 'accounts', 'roles', 'service-linked']);
        expect(probe.groups).toBe(20);
        expect(probe.rows).toBe(500);
        expect(probe.wideCells).toBe(0);
        expect(existsSync(shot)).toBe(true);
        expect(pngSize(await readFile(shot))).toEqual({ width, height: 1600 });
        expect((await stat(shot)).size).toBeGreaterThan(20_000);
        console.info(`drift-html-accounts: screenshot ${shot}`);
      }, 300_000);
    }

    it('filters rows by a part of the ARN from the URL hash (#filter=…), hiding empty account groups', () => {
      const url = pathToFileURL(html).href;
      const byName = chromium(['--dump-dom', '--virtual-time-budget=10000', `${url}#filter=ci-deploy-`]);
      const rows = [...byName.matchAll(/<tr class="role"[^>]*>/g)].map((m) => m[0]);
      expect(rows).toHaveLength(500);
      const visible = rows.filter((r) => !/\shidden(=""|\s|>)/.test(r));
      expect(visible).toHaveLength(report.roles.filter((r) => r.name.startsWith('ci-deploy-')).length);
      expect(visible.length).toBeGreaterThan(0);
      expect(visible.every((r) => r.includes('data-name="ci-deploy-'))).toBe(true);
      // A hidden role's detail row is hidden with it.
      const details = [...byName.matchAll(/<tr class="role-detail"[^>]*>/g)].map((m) => m[0]);
      expect(details.filter((d) => !/\shidden(=""|\s|>)/.test(d))).toHaveLength(visible.length);
      const account = ACCOUNTS[3] ?? '';
      const byAccount = chromium(['--dump-dom', '--virtual-time-budget=10000', `${url}#filter=${account}`]);
      expect(byAccount).toContain('data-shown="25"');
      expect(byAccount.match(/<tbody id="account-\d+"[^>]*hidden/g)).toHaveLength(19);
    }, 300_000);
  });
});
