/**
 * A customer-managed policy shared by two roles (issue 20 item 3): `pr` for one role minimizes it
 * against the usage of both (one scan), the PR body lists both, and after the change iam-simulate
 * allows every observed call of both roles that was allowed before. A file that holds neither
 * role's policy is refused. The demo account, with `shared-data` (s3:*, sqs:*) attached to
 * app-api and queue-worker, is the fixture.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { generateDemo, type DemoManifest } from '../src/demo/generate.js';
import { parseAuthorizationDetails } from '../src/iam/authorization-details.js';
import type { PolicyDocument, RoleUsage } from '../src/model.js';
import { startGitHubStandIn, type GitHubStandIn } from './pr-github-stand-in.js';
import { capturingIo, git, initWorkingCopy } from './helpers/git-repo.js';

const TOKEN = 'ghs_SHAREDTEST0123456789';
const ACCOUNT = '123456789012';
const SHARED_ARN = `arn:aws:iam::${ACCOUNT}:policy/shared-data`;
const SHARED: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 's3:*', Resource: '*' },
    { Effect: 'Allow', Action: ['sqs:*', 'sns:*'], Resource: '*' },
  ],
};

let dir: string;
let manifest: DemoManifest;
let iamFile: string;
let github: GitHubStandIn;
let remote: string;
let work: string;

function testIo(env: Record<string, string> = { GITHUB_TOKEN: TOKEN }): ReturnType<typeof capturingIo> {
  return capturingIo(new Date('2026-03-01T06:00:00Z'), env);
}

const WINDOW = ['--days', '20', '--end', '2026-03-01T00:00:00Z'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-pr-shared-'));
  manifest = await generateDemo({ outDir: join(dir, 'demo'), now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 6_000, seed: 11 });
  // shared-data is attached to both roles, as `get-account-authorization-details` would list it.
  const details = JSON.parse(await readFile(manifest.iamFile, 'utf8')) as {
    RoleDetailList: Array<Record<string, unknown>>;
    Policies: Array<Record<string, unknown>>;
  };
  for (const role of details.RoleDetailList) {
    if (role['RoleName'] === 'app-api' || role['RoleName'] === 'queue-worker') {
      (role['AttachedManagedPolicies'] as Array<Record<string, string>>).push({ PolicyName: 'shared-data', PolicyArn: SHARED_ARN });
    }
    // queue-worker's messaging then comes from shared-data alone: trimming it for app-api only would break queue-worker.
    if (role['RoleName'] === 'queue-worker') role['RolePolicyList'] = [];
  }
  details.Policies.push({
    PolicyName: 'shared-data',
    Arn: SHARED_ARN,
    Path: '/',
    DefaultVersionId: 'v1',
    AttachmentCount: 2,
    IsAttachable: true,
    CreateDate: '2024-01-01T00:00:00+00:00',
    UpdateDate: '2024-01-01T00:00:00+00:00',
    PolicyVersionList: [{ Document: SHARED, VersionId: 'v1', IsDefaultVersion: true, CreateDate: '2024-01-01T00:00:00+00:00' }],
  });
  iamFile = join(dir, 'iam-shared.json');
  await writeFile(iamFile, JSON.stringify(details));
  github = await startGitHubStandIn('acme', 'infra');
  remote = join(dir, 'remote.git');
  work = join(dir, 'work');
  initWorkingCopy(work, { origin: 'https://github.com/acme/infra.git', remote });
  await mkdir(join(work, 'policies'));
  await writeFile(join(work, 'policies', 'shared-data.json'), `${JSON.stringify(SHARED, null, 2)}\n`);
  await writeFile(join(work, 'policies', 'queue-worker.json'), await readFile(join(import.meta.dirname, 'pr-files', 'queue-worker.json'), 'utf8'));
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'initial');
  git(work, 'push', '--quiet', 'origin', 'main');
}, 120_000);

afterAll(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

async function usageOf(role: string): Promise<RoleUsage> {
  const io = testIo({});
  expect(await main(['node', 'iamtrim', 'usage', '--role', role, ...WINDOW, '--logs', manifest.logsDir, '--iam', iamFile], io)).toBe(0);
  const report = JSON.parse(io.stdout) as { roles: RoleUsage[] };
  const usage = report.roles[0];
  if (usage === undefined) throw new Error(`no usage for ${role}`);
  return usage;
}

async function simulate(
  policies: readonly PolicyDocument[],
  boundary: PolicyDocument | undefined,
  role: string,
  action: string,
  resource: string,
): Promise<string> {
  const simulation: Simulation = {
    request: { principal: role, action, resource: { resource, accountId: ACCOUNT }, contextVariables: { 'aws:RequestedRegion': 'eu-west-1' } },
    identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(boundary !== undefined ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: boundary }] } : {}),
  };
  const result = await runSimulation(simulation, {});
  return result.resultType === 'error' ? `error: ${JSON.stringify(result.errors).slice(0, 200)}` : result.overallResult;
}

describe('pr on a customer-managed policy shared by two roles', () => {
  it("minimizes it against both roles' usage; iam-simulate allows every observed call of both afterwards", async () => {
    const io = testIo();
    const code = await main(
      [
        'node',
        'iamtrim',
        'pr',
        '--role',
        'app-api',
        ...WINDOW,
        '--logs',
        manifest.logsDir,
        '--iam',
        iamFile,
        '--repo',
        work,
        '--file',
        'policies/shared-data.json',
        '--github-api-url',
        github.url,
      ],
      io,
    );
    expect(code, io.stderr).toBe(0);
    const branch = 'iamtrim/app-api-shared-data-20260301';
    const after = JSON.parse(git(remote, 'show', `${branch}:policies/shared-data.json`)) as PolicyDocument;
    expect(JSON.stringify(after)).not.toContain('s3:*');
    // queue-worker's sqs/sns use is in it although the PR was made for app-api.
    expect(JSON.stringify(after)).toMatch(/"(sqs|sns):/);
    const body = String(github.requests.find((r) => r.method === 'POST')?.body?.['body']);
    expect(body).toContain('### Affected principals (2)');
    expect(body).toContain(`role/service/app-api\``);
    expect(body).toMatch(/role\/[a-z/]*queue-worker`/);

    const snapshot = parseAuthorizationDetails(JSON.parse(await readFile(iamFile, 'utf8')), iamFile);
    const checked = new Map<string, number>();
    for (const name of ['app-api', 'queue-worker']) {
      const grant = snapshot.roles.find((r) => r.name === name);
      if (grant === undefined) throw new Error(`no role ${name}`);
      const before = grant.policies.map((p) => p.document);
      const changed = grant.policies.map((p) => (p.arn === SHARED_ARN ? after : p.document));
      for (const used of (await usageOf(name)).used) {
        for (const resource of used.resources) {
          const concrete = resource.replace(/\*/g, 'x');
          if ((await simulate(before, grant.boundary?.document, grant.arn, used.action, concrete)) !== 'Allowed') continue;
          expect(await simulate(changed, grant.boundary?.document, grant.arn, used.action, concrete), `${name} ${used.action} ${concrete}`).toBe('Allowed');
          checked.set(name, (checked.get(name) ?? 0) + 1);
        }
      }
    }
    expect(checked.get('app-api')).toBeGreaterThan(5);
    expect(checked.get('queue-worker')).toBeGreaterThan(2);
  }, 120_000);

  it("refuses a file that holds another role's policy (exit 3), writing nothing", async () => {
    const refs = git(remote, 'for-each-ref');
    const io = testIo();
    const code = await main(
      [
        'node',
        'iamtrim',
        'pr',
        '--role',
        'app-api',
        ...WINDOW,
        '--logs',
        manifest.logsDir,
        '--iam',
        iamFile,
        '--repo',
        work,
        '--file',
        'policies/queue-worker.json',
        '--github-api-url',
        github.url,
      ],
      io,
    );
    expect(code).toBe(3);
    expect(io.stderr).toContain("its policy is not one of app-api's policies");
    expect(io.stderr).toContain('shared-data (managed)');
    expect(git(remote, 'for-each-ref')).toBe(refs);
  }, 120_000);

  it('keeps a policy of a role younger than --grace-days as it is, with the reason; --grace-days 0 trims it', async () => {
    const details = JSON.parse(await readFile(iamFile, 'utf8')) as { RoleDetailList: Array<Record<string, unknown>> };
    for (const role of details.RoleDetailList) if (role['RoleName'] === 'app-api') role['CreateDate'] = '2026-02-20T00:00:00+00:00';
    const young = join(dir, 'iam-young.json');
    await writeFile(young, JSON.stringify(details));
    const args = [
      'node',
      'iamtrim',
      'pr',
      '--role',
      'app-api',
      ...WINDOW,
      '--logs',
      manifest.logsDir,
      '--iam',
      young,
      '--repo',
      work,
      '--file',
      'policies/shared-data.json',
      '--dry-run',
    ];
    const kept = testIo({});
    expect(await main(args, kept)).toBe(0);
    expect(kept.stdout).toBe('');
    expect(kept.stderr).toContain(
      'shared-data is kept as it is for app-api: the role was created on 2026-02-20, less than 14 days before 2026-03-01 (--grace-days)',
    );
    const trimmed = testIo({});
    expect(await main([...args, '--grace-days', '0'], trimmed)).toBe(0);
    expect(trimmed.stdout).toContain('+++ b/policies/shared-data.json');
  }, 120_000);
});
