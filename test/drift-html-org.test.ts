/**
 * report.html at organisation scale (issue 22 item 1): 500 roles over 20 accounts (one
 * authorization-details file per account, `--iam DIR`), rendered by the built CLI, measured in
 * headless Chromium at 1,280 and 1,920 px: no horizontal overflow (scrollWidth <= innerWidth), the
 * sections present, every role's detail row. Screenshots at both widths are kept in
 * `test-artifacts/` (git-ignored), checked to be PNGs of the window's size.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuilt } from './helpers/built-cli.js';
import { ARTEFACTS, pngSize } from './drift-helpers.js';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome']
  .map((name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim())
  .find((path) => path !== '');
if (CHROMIUM === undefined) console.warn('drift-html-org: SKIPPED, no Chromium found (install it with `apt-get install -y chromium`)');

const ACCOUNTS = 20;
const ROLES_PER_ACCOUNT = 25;
const SERVICES = ['s3', 'dynamodb', 'sqs', 'sns', 'lambda', 'ec2', 'kms', 'logs', 'cloudwatch', 'ssm', 'secretsmanager', 'iam'];

let dir = '';
let html = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-org-'));
  await mkdir(join(dir, 'iam'));
  await mkdir(join(dir, 'logs'));
  const records: unknown[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const account = String(200_000_000_000 + a);
    const roles = [];
    for (let i = 0; i < ROLES_PER_ACCOUNT; i++) {
      const name = `team${String(a).padStart(2, '0')}-service-with-a-long-name-${String(i).padStart(3, '0')}`;
      const arn = `arn:aws:iam::${account}:role/${name}`;
      const granted = i % 12 === 0 ? ['*'] : [0, 1, 2].map((k) => `${SERVICES[(i + k * 5) % SERVICES.length] ?? 's3'}:*`);
      roles.push({
        Path: '/',
        RoleName: name,
        RoleId: `AROA${String(a).padStart(2, '0')}${String(i).padStart(15, '0')}`,
        Arn: arn,
        CreateDate: '2025-01-01T00:00:00Z',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        InstanceProfileList: [],
        RolePolicyList: [{ PolicyName: 'main', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: granted, Resource: '*' }] } }],
        AttachedManagedPolicies: [],
        Tags: [],
      });
      if (i % 3 === 0) {
        for (let k = 0; k < 3; k++) {
          records.push({
            eventVersion: '1.09',
            userIdentity: {
              type: 'AssumedRole',
              arn: `arn:aws:sts::${account}:assumed-role/${name}/s`,
              accountId: account,
              sessionContext: { sessionIssuer: { type: 'Role', arn, accountId: account, userName: name } },
            },
            eventTime: `2026-11-${String(10 + k).padStart(2, '0')}T01:00:00Z`,
            eventSource: 'logs.amazonaws.com',
            eventName: 'DescribeLogGroups',
            awsRegion: 'us-east-1',
            requestParameters: null,
            responseElements: null,
            eventID: `e-${a}-${i}-${k}`,
            eventType: 'AwsApiCall',
            managementEvent: true,
            recipientAccountId: account,
            eventCategory: 'Management',
          });
        }
      }
    }
    await writeFile(join(dir, 'iam', `${account}.json`), JSON.stringify({ RoleDetailList: roles, Policies: [], UserDetailList: [], GroupDetailList: [] }));
  }
  await writeFile(join(dir, 'logs', 'all.json'), JSON.stringify({ Records: records }));
  const started = Date.now();
  const r = runBuilt([
    'drift',
    '--iam',
    join(dir, 'iam'),
    '--logs',
    join(dir, 'logs'),
    '--days',
    '30',
    '--end',
    '2026-11-20T00:00:00Z',
    '--no-history',
    '--out',
    join(dir, 'out'),
  ]);
  expect(r.code, r.err).toBe(0);
  html = await readFile(join(dir, 'out', 'report.html'), 'utf8');
  console.info(
    `drift-html-org: ${ACCOUNTS * ROLES_PER_ACCOUNT} roles, ${ACCOUNTS} accounts: drift ${Date.now() - started} ms, report.html ${(await stat(join(dir, 'out', 'report.html'))).size} bytes`,
  );
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(CHROMIUM === undefined)('report.html, 500 roles over 20 accounts, in Chromium', () => {
  it.each([1280, 1920])(
    '%i px: no horizontal overflow, every role row and section present (screenshot kept)',
    async (width) => {
      // A probe appended to a copy (the page's own CSP allows inline scripts): every role's details opened, then measured;
      // the measures go into a hidden element, so the screenshot taken in the same run shows the page alone.
      const sections = ['regressions', 'cards', 'trend-chart', 'account-trends', 'changes-section', 'accounts', 'roles', 'service-linked'];
      const probe =
        '<script>document.addEventListener("DOMContentLoaded",function(){document.querySelectorAll("#roles details").forEach(function(d){d.open=true;});' +
        'var p=document.createElement("pre");p.id="measure";p.hidden=true;p.textContent=JSON.stringify({sw:document.documentElement.scrollWidth,iw:window.innerWidth,rows:document.querySelectorAll("#roles tr.role").length,' +
        `details:Array.prototype.filter.call(document.querySelectorAll("#roles tr.role-detail"),function(d){return d.getBoundingClientRect().height>0;}).length,present:${JSON.stringify(sections)}.filter(function(i){return document.getElementById(i)!==null;})});document.body.appendChild(p);});</script>`;
      const copy = join(dir, `measure-${width}.html`);
      await writeFile(copy, html.replace('</body>', `${probe}</body>`));
      const flags = [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        `--window-size=${width},1000`,
        '--virtual-time-budget=5000',
      ];
      // One browser run both measures (the probe's DOM) and takes the screenshot (every detail open).
      await mkdir(ARTEFACTS, { recursive: true });
      const shot = join(ARTEFACTS, `drift-org-${width}.png`);
      await rm(shot, { force: true });
      const dom = spawnSync(
        CHROMIUM ?? 'chromium',
        [...flags, `--user-data-dir=${join(dir, `profile-${width}`)}`, '--dump-dom', `--screenshot=${shot}`, pathToFileURL(copy).href],
        { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      );
      const measured = /<pre id="measure" hidden="">([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
      expect(measured, dom.stderr.slice(0, 500)).toBeDefined();
      const m = JSON.parse((measured ?? '{}').replace(/&quot;/g, '"')) as { sw: number; iw: number; rows: number; details: number; present: string[] };
      expect(m.iw).toBe(width);
      expect(m.sw).toBeLessThanOrEqual(m.iw);
      expect(m.rows).toBe(ACCOUNTS * ROLES_PER_ACCOUNT);
      expect(m.details).toBe(ACCOUNTS * ROLES_PER_ACCOUNT);
      expect(m.present).toEqual(sections);
      expect(pngSize(await readFile(shot))).toEqual({ width, height: 1000 });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
    },
    180_000,
  );
});
