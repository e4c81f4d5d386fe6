/**
 * Credentials never reach output: a GitHub token and AWS keys are planted in the environment and
 * in log records (`userIdentity.accessKeyId`, `requestParameters`, a corrupt file), then every
 * command that exists runs and every byte it prints or writes is scanned. CloudTrail's
 * `accessKeyId` is not a secret, but iamtrim has no use for it and never prints it either.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './bad-input-helpers.js';

const BASE = join(import.meta.dirname, '..', 'fixtures', 'bad', '_base');
const GITHUB_TOKEN = `ghp_${'Z9y8X7w6'.repeat(4)}Q1w2`;
const AWS_SECRET = 'pLaNtEd/SeCrEt+KeY/0123456789abcdefABCDEF';
const AWS_KEY_ID = 'AKIAPLANTEDKEY123456';
const SESSION_KEY_ID = 'ASIAPLANTEDSESSION01';
const SECRETS = [GITHUB_TOKEN, AWS_SECRET, AWS_KEY_ID, SESSION_KEY_ID, 'ASIAEXAMPLEEXAMPLE01'];
const ENV = { GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_ACCESS_KEY_ID: AWS_KEY_ID, AWS_SESSION_TOKEN: `${AWS_SECRET}session` };

let dir = '';
let logs = '';
let badLogs = '';
let repo = '';
const iam = join(BASE, 'iam.json');

function plantedRecord(): Record<string, unknown> {
  return {
    userIdentity: {
      type: 'AssumedRole',
      accessKeyId: SESSION_KEY_ID,
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app-api', userName: 'app-api' } },
    },
    eventTime: '2026-02-15T00:00:00Z',
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'GetItem',
    awsRegion: 'us-east-1',
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    requestParameters: {
      tableName: 'orders',
      clientToken: GITHUB_TOKEN,
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=${AWS_KEY_ID}` },
      secret: AWS_SECRET,
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-secrets-'));
  logs = join(dir, 'logs');
  await cp(join(BASE, 'logs'), logs, { recursive: true });
  await writeFile(join(logs, 'planted.json'), JSON.stringify({ Records: [plantedRecord()] }));
  badLogs = join(dir, 'bad-logs');
  await cp(join(BASE, 'logs'), badLogs, { recursive: true });
  // A corrupt file whose broken bytes sit right next to the secrets: error messages may quote it.
  await writeFile(join(badLogs, 'corrupt.json'), `{"Records": [{"token": "${GITHUB_TOKEN}", "key": "${AWS_KEY_ID}" ,,, "${AWS_SECRET}"`);
  repo = join(dir, 'repo');
  await mkdir(repo);
  const document = (
    JSON.parse(await readFile(iam, 'utf8')) as { RoleDetailList: Array<{ RoleName: string; RolePolicyList: Array<{ PolicyDocument: unknown }> }> }
  ).RoleDetailList.find((r) => r.RoleName === 'app-api')?.RolePolicyList[0]?.PolicyDocument;
  await writeFile(join(repo, 'policy.json'), `${JSON.stringify(document, null, 2)}\n`);
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, stdio: 'ignore' });
  };
  git('init', '-q', '-b', 'main');
  git('add', 'policy.json');
  git('commit', '-q', '-m', 'policy');
  git('remote', 'add', 'origin', 'https://github.com/example/infra.git');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function filesUnder(path: string): Promise<string[]> {
  const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function expectNoSecrets(run: CliRun, outputs: string[] = []): Promise<void> {
  const texts: Array<[string, string]> = [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ];
  for (const out of outputs) for (const file of await filesUnder(out)) texts.push([file, await readFile(file, 'utf8')]);
  for (const [where, text] of texts) for (const secret of SECRETS) expect(text.includes(secret), `${secret} in ${where}`).toBe(false);
}

const window = ['--end', '2026-03-01T00:00:00Z', '--days', '30'];
const minimize = (): string[] => ['minimize', '--role', 'app-api', ...window, '--logs', logs, '--iam', iam];

describe('no credential in any output', () => {
  const cases: Array<[string, () => string[], number]> = [
    ['minimize text', () => minimize(), 0],
    ['minimize json', () => [...minimize(), '--format', 'json'], 0],
    ['minimize --diff', () => [...minimize(), '--diff'], 0],
    ['minimize json --diff', () => [...minimize(), '--format', 'json', '--diff'], 0],
    ['usage --role', () => ['usage', '--role', 'app-api', ...window, '--logs', logs], 0],
    ['usage --all-roles', () => ['usage', '--all-roles', ...window, '--logs', logs, '--iam', iam], 0],
    ['minimize on a corrupt file quoting the secrets', () => ['minimize', '--role', 'app-api', ...window, '--logs', badLogs, '--iam', iam], 3],
    [
      'minimize --skip-bad-files on it',
      () => ['minimize', '--role', 'app-api', ...window, '--logs', badLogs, '--iam', iam, '--skip-bad-files', '--format', 'json'],
      0,
    ],
  ];
  for (const [name, args, exit] of cases) {
    it(name, async () => {
      const r = await runCli(args(), { env: ENV });
      expect(r.exit, r.stderr).toBe(exit);
      if (exit === 0) expect(r.stdout.length).toBeGreaterThan(100);
      await expectNoSecrets(r);
    });
  }

  it('the planted record is really read (so the scan above means something)', async () => {
    const r = await runCli(['usage', '--role', 'app-api', ...window, '--logs', logs], { env: ENV });
    expect(r.stdout).toContain('"events": 22');
  });

  it('drift: report.md, report.json, report.html (and --fail-on any-unused exits 1)', async () => {
    const out = join(dir, 'drift');
    const r = await runCli(['drift', ...window, '--logs', logs, '--iam', iam, '--out', out, '--no-history', '--fail-on', 'any-unused'], { env: ENV });
    expect(r.exit, r.stderr).toBe(1);
    expect((await filesUnder(out)).length).toBeGreaterThanOrEqual(3);
    await expectNoSecrets(r, [out]);
  });

  it('pr --dry-run: title, body and diff', async () => {
    const r = await runCli(
      [
        'pr',
        '--role',
        'app-api',
        ...window,
        '--logs',
        logs,
        '--iam',
        iam,
        '--repo',
        repo,
        '--file',
        'policy.json',
        '--github-repo',
        'example/infra',
        '--dry-run',
      ],
      { env: ENV },
    );
    expect(r.exit, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(100);
    await expectNoSecrets(r, [repo]);
  });
});
