/**
 * The command-line conventions AWS users type without thinking (issue 22 item 3): global output
 * levels, the version, the environment variables, the hints. What lives at the process boundary
 * (the SDK's credential chain reading the environment, files written relative to the working
 * folder, runs that must make no AWS call, the built CLI's version) runs dist/bin.js; what `main`
 * decides from its arguments and its io (output levels, formats, role names, completion scripts,
 * colour from the environment it is given) runs in-process (helpers/run-cli.ts), without a child
 * process per case.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAthenaStandIn } from './athena-stand-in.js';
import { assertBuilt, ROOT_DIR, runBuilt, runBuiltAsync } from './helpers/built-cli.js';
import { runCli } from './helpers/run-cli.js';

const FIXTURE = join(ROOT_DIR, 'fixtures', 'lambda-s3-dynamodb');
const MINIMIZE = ['minimize', '--role', 'orders-api', '--end', '2026-10-22T00:00:00Z', '--logs', join(FIXTURE, 'logs'), '--iam', join(FIXTURE, 'iam.json')];
let dir = '';

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'iamtrim-conventions-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--quiet, --verbose, --debug', async () => {
  it('by default a notice ("wrote FILE") goes to stderr; --quiet, before or after the command, silences it', async () => {
    const out = join(dir, 'default.txt');
    const plain = await runCli([...MINIMIZE, '--out', out]);
    expect(plain.code).toBe(0);
    expect(plain.err).toBe(`wrote ${out}\n`);
    for (const args of [
      ['--quiet', ...MINIMIZE],
      [...MINIMIZE, '-q'],
    ]) {
      const quietOut = join(dir, `quiet-${args[0]}.txt`);
      const quiet = await runCli([...args, '--out', quietOut]);
      expect(quiet.code).toBe(0);
      expect(quiet.err).toBe('');
      expect(await readFile(quietOut, 'utf8')).toBe(await readFile(out, 'utf8'));
    }
  });

  it('--quiet never silences an error', async () => {
    const r = await runCli(['--quiet', 'minimize', '--role', 'orders-api', '--logs', join(FIXTURE, 'logs'), '--iam', join(dir, 'missing.json')]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^iamtrim: --iam .*missing\.json: cannot read it \(ENOENT\)\n {2}hint: /);
  });

  it('--verbose adds detail lines on stderr and leaves stdout byte for byte as without it', async () => {
    const plain = await runCli(MINIMIZE);
    const verbose = await runCli([...MINIMIZE, '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.out).toBe(plain.out);
    expect(plain.err).not.toContain('verbose:');
    expect(verbose.err).toMatch(/^verbose: iamtrim \d+\.\d+\.\d+ minimize on Node \d+/m);
  });

  it('--debug prints the cause of an error the user can fix; without it, no stack trace', async () => {
    const args = ['minimize', '--role', 'orders-api', '--logs', join(FIXTURE, 'logs'), '--iam', join(dir, 'missing.json')];
    const plain = await runCli(args);
    const debug = await runCli(['--debug', ...args]);
    expect(debug.code).toBe(plain.code);
    expect(plain.err).not.toMatch(/\n\s+at /);
    expect(debug.err).toContain('cause (--debug): Error: ENOENT');
    expect(debug.err).toMatch(/\n\s+at /);
  });
});

describe('AWS environment: Region, profile, credentials', () => {
  const LOGS = join(FIXTURE, 'logs');
  const KEYS = { AWS_ACCESS_KEY_ID: 'AKIAENVIRONMENTKEY01', AWS_SECRET_ACCESS_KEY: 'env-secret' };
  const athenaRun = ['minimize', '--role', 'orders-api', '--athena', '--iam', join(FIXTURE, 'iam.json'), '--end', '2026-10-22T00:00:00Z'];

  /** The Region and access key the first signed request to the Athena stand-in carried. */
  async function signedWith(env: Record<string, string>, args = athenaRun): Promise<{ region: string; key: string; err: string }> {
    const stand = await startAthenaStandIn({ states: ['FAILED'], reason: 'stand-in: stop here' });
    try {
      const r = await runBuiltAsync(args, { env: { AWS_ENDPOINT_URL_ATHENA: stand.url, ...env } });
      const auth = stand.calls[0]?.authorization ?? '';
      const m = /Credential=([^/]+)\/\d{8}\/([a-z0-9-]+)\/athena\//.exec(auth);
      return { key: m?.[1] ?? '', region: m?.[2] ?? '', err: r.err };
    } finally {
      await stand.close();
    }
  }

  it('AWS_DEFAULT_REGION is used when AWS_REGION is not set; AWS_REGION and --region win over it', async () => {
    expect((await signedWith({ ...KEYS, AWS_DEFAULT_REGION: 'eu-north-1' })).region).toBe('eu-north-1');
    expect((await signedWith({ ...KEYS, AWS_DEFAULT_REGION: 'eu-north-1', AWS_REGION: 'ap-south-1' })).region).toBe('ap-south-1');
    expect((await signedWith({ ...KEYS, AWS_DEFAULT_REGION: 'eu-north-1' }, [...athenaRun, '--region', 'ca-central-1'])).region).toBe('ca-central-1');
  });

  it('AWS_PROFILE selects the profile: its keys and its Region sign the calls', async () => {
    const config = join(dir, 'aws-config');
    const credentials = join(dir, 'aws-credentials');
    await writeFile(config, '[profile audit]\nregion = sa-east-1\n');
    await writeFile(credentials, '[audit]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profile-secret\n');
    const files = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
    const signed = await signedWith({ ...files, AWS_PROFILE: 'audit' });
    expect(signed).toMatchObject({ key: 'AKIAPROFILEKEY000001', region: 'sa-east-1' });
    expect((await signedWith(files, [...athenaRun, '--profile', 'audit'])).key).toBe('AKIAPROFILEKEY000001');
  });

  it('a missing Region names --region, AWS_REGION and AWS_DEFAULT_REGION (exit 2), not "service health"', () => {
    for (const args of [
      ['athena', 'setup', '--trail', 'main'],
      ['minimize', '--function', 'orders-api', '--logs', LOGS, '--iam', join(FIXTURE, 'iam.json')],
    ]) {
      const r = runBuilt(args, { env: KEYS });
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/no AWS Region given\n {2}hint: pass --region .*AWS_REGION or AWS_DEFAULT_REGION/);
      expect(r.err).not.toContain('service health');
    }
  });

  it('an unknown profile is named, from --profile or AWS_PROFILE (exit 2)', () => {
    const flag = runBuilt(['minimize', '--role', 'orders-api', '--logs', LOGS, '--profile', 'prod-typo', '--region', 'eu-west-1']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(
      /--profile prod-typo: no such profile in \/nonexistent\/config or \/nonexistent\/credentials\n {2}hint: .*aws configure list-profiles/,
    );
    const env = runBuilt(['minimize', '--role', 'orders-api', '--logs', LOGS, '--region', 'eu-west-1'], { env: { AWS_PROFILE: 'prod-typo' } });
    expect(env.code).toBe(2);
    expect(env.err).toContain('AWS_PROFILE prod-typo: no such profile');
  });

  it('an expired SSO session says `aws sso login --profile X`', async () => {
    const home = join(dir, 'sso-home');
    const startUrl = 'https://example.awsapps.com/start';
    await mkdir(join(home, '.aws', 'sso', 'cache'), { recursive: true });
    const config = join(home, '.aws', 'config');
    await writeFile(
      config,
      `[profile dev]\nsso_start_url = ${startUrl}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = eu-west-1\n`,
    );
    // The legacy SSO token cache: ~/.aws/sso/cache/<sha1 of the start URL>.json, here expired.
    await writeFile(
      join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(startUrl).digest('hex')}.json`),
      JSON.stringify({ startUrl, region: 'us-east-1', accessToken: 'expired', expiresAt: '2020-01-01T00:00:00Z' }),
    );
    const r = runBuilt(['minimize', '--role', 'orders-api', '--logs', LOGS, '--profile', 'dev'], { env: { HOME: home, AWS_CONFIG_FILE: config } });
    expect(r.code).toBe(4);
    expect(r.err).toContain('the AWS SSO session of profile dev has expired');
    expect(r.err).toContain('run `aws sso login --profile dev`');
  });

  it('--function without --lambda and without credentials gives the cause, not "failed: Error"', () => {
    const r = runBuilt(['minimize', '--function', 'orders-api', '--logs', LOGS, '--iam', join(FIXTURE, 'iam.json'), '--region', 'eu-west-1']);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^iamtrim: no AWS credentials: Could not load credentials from any providers\n/);
    expect(r.err).not.toMatch(/failed: Error\b/);
  });
});

describe('--output, --out and the format', () => {
  it('--output json is the format, as in the AWS CLI, and writes no file named json', async () => {
    const viaOutput = runBuilt([...MINIMIZE, '--output', 'json'], { cwd: dir });
    const viaFormat = await runCli([...MINIMIZE, '--format', 'json']);
    expect(viaOutput.code).toBe(0);
    expect(viaOutput.out).toBe(viaFormat.out);
    expect(JSON.parse(viaOutput.out)).toHaveProperty('proposed');
    expect(existsSync(join(dir, 'json'))).toBe(false);
  });

  it('--output with a file name is refused with the --out hint; --output and a different --format conflict', async () => {
    const file = await runCli([...MINIMIZE, '--output', 'policy.json']);
    expect(file.code).toBe(2);
    expect(file.err).toMatch(
      /--output policy\.json: --output is the output format, as in the AWS CLI: text, json, .*\n {2}hint: to write a file, use --out policy\.json/,
    );
    const both = await runCli([...MINIMIZE, '--output', 'json', '--format', 'terraform']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--format terraform and --output json: pass one of them');
  });

  it('--out FILE.json without --format writes JSON; .tf writes Terraform; .yaml asks which YAML', async () => {
    const jsonFile = join(dir, 'p.json');
    expect((await runCli([...MINIMIZE, '--out', jsonFile])).code).toBe(0);
    expect(JSON.parse(await readFile(jsonFile, 'utf8'))).toHaveProperty('proposed');
    const tfFile = join(dir, 'p.tf');
    expect((await runCli([...MINIMIZE, '--out', tfFile])).code).toBe(0);
    expect(await readFile(tfFile, 'utf8')).toMatch(/^data "aws_iam_policy_document"/m);
    const yaml = await runCli([...MINIMIZE, '--out', join(dir, 'p.yaml')]);
    expect(yaml.code).toBe(2);
    expect(yaml.err).toContain('which YAML? pass --format cloudformation or --format sam');
    // An explicit --format wins over the extension.
    const textFile = join(dir, 'explicit.json');
    expect((await runCli([...MINIMIZE, '--format', 'text', '--out', textFile])).code).toBe(0);
    expect(() => JSON.parse(readFileSync(textFile, 'utf8'))).toThrow();
  });
});

describe('role names as IAM matches them', () => {
  it('--role ORDERS-API finds orders-api (IAM role names are unique regardless of case)', async () => {
    const exact = await runCli([...MINIMIZE, '--format', 'json']);
    const upper = await runCli([...MINIMIZE.map((a) => (a === 'orders-api' ? 'ORDERS-API' : a)), '--format', 'json']);
    expect(upper.code).toBe(0);
    expect(upper.out).toBe(exact.out);
  });
});

describe('grammar of the status lines', () => {
  it('usage with no events by any role says "no events by any role"', async () => {
    const r = await runCli(['usage', '--all-roles', '--logs', join(FIXTURE, 'logs'), '--end', '2020-01-01T00:00:00Z']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^iamtrim: no events by any role between /);
  });
});

describe('version, completion, colour', () => {
  it("--version, -V and `iamtrim version` print package.json's version", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string };
    // The built CLI once (dist/ reads package.json from its own place), the other spellings in-process.
    const built = runBuilt(['--version']);
    expect(built.code).toBe(0);
    expect(built.out).toBe(`${version}\n`);
    for (const args of [['-V'], ['version']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${version}\n`);
    }
  });

  it('completion bash completes commands, flags and flag values in a real bash', async () => {
    const script = await runCli(['completion', 'bash']);
    expect(script.code).toBe(0);
    const file = join(dir, 'iamtrim.bash');
    writeFileSync(file, script.out);
    const complete = (words: string[]): string[] => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _iamtrim; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
      expect(r.status).toBe(0);
      return r.stdout.split('\n').filter((w) => w !== '');
    };
    expect(complete(['iamtrim', 'mini'])).toEqual(['minimize']);
    expect(complete(['iamtrim', 'minimize', '--role', 'app', '--form'])).toEqual(['--format']);
    expect(complete(['iamtrim', 'minimize', '--format', ''])).toEqual(['text', 'json', 'terraform', 'cloudformation', 'sam']);
    expect(complete(['iamtrim', 'athena', 'se'])).toEqual(['setup']);
    expect(complete(['iamtrim', 'athena', 'setup', '--buc'])).toEqual(['--bucket']);
    // Every flag minimize --help lists is offered.
    const help = (await runCli(['minimize', '--help'])).out;
    const flags = [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1] ?? '').filter((f) => f !== '--help');
    expect(flags.length).toBeGreaterThan(20);
    const offered = complete(['iamtrim', 'minimize', '--']);
    for (const flag of flags) expect(offered).toContain(flag);
  });

  it('completion zsh wraps the bash words; completion fish names every command (shells not installed here: checked as text)', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.out).toMatch(/^#compdef iamtrim\n/);
    expect(zsh.out).toContain('bashcompinit');
    expect(zsh.out).toContain('complete -o default -F _iamtrim iamtrim');
    const fish = (await runCli(['completion', 'fish'])).out;
    for (const command of ['minimize', 'usage', 'drift', 'pr', 'index', 'athena', 'demo', 'completion', 'version']) {
      expect(fish).toContain(`complete -c iamtrim -n __fish_use_subcommand -a ${command} `);
    }
    expect(fish).toContain("-l format -x -a 'text json terraform cloudformation sam'");
    expect((await runCli(['completion', 'tcsh'])).code).toBe(2);
  });

  it('errors are coloured only when asked (FORCE_COLOR) and never under NO_COLOR; a pipe gets none', async () => {
    // In-process: the environment and whether stderr is a terminal reach the CLI through its io
    // (cli/io.ts), which runCli sets as a pipe's (not interactive).
    const args = ['minimize', '--role', 'orders-api', '--logs', join(FIXTURE, 'logs'), '--iam', join(dir, 'missing.json')];
    const ESC = '\u001b[';
    expect((await runCli(args)).err).not.toContain(ESC);
    expect((await runCli(args, { env: { FORCE_COLOR: '1' } })).err).toContain(`${ESC}1;31miamtrim:`);
    const noColour = await runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(noColour.code).toBe(3);
    expect(noColour.err).not.toContain(ESC);
  });
});

describe('athena --print-only without AWS', () => {
  it('athena setup --print-only --bucket B --account A --region R prints the DDL with no credentials and no Region lookups', async () => {
    const r = runBuilt([
      'athena',
      'setup',
      '--print-only',
      '--bucket',
      'trail-logs',
      '--prefix',
      '/org/',
      '--account',
      '123456789012',
      '--region',
      'eu-west-1',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("LOCATION 's3://trail-logs/org/AWSLogs/123456789012/CloudTrail/'");
    expect(r.out).toMatch(/'projection.region.values'='eu-west-1[,']/);
    expect(r.out).toMatch(/^CREATE DATABASE IF NOT EXISTS/);
    // The refusals are decided from the flags alone: in-process.
    const noAccount = await runCli(['athena', 'setup', '--print-only', '--bucket', 'trail-logs']);
    expect(noAccount.code).toBe(2);
    expect(noAccount.err).toContain('pass --account ID');
    const neither = await runCli(['athena', 'setup', '--print-only']);
    expect(neither.code).toBe(2);
    expect(neither.err).toContain('no trail: pass --trail NAME|ARN, or --bucket NAME');
  });

  it('athena rollup --print-only prints the CREATE TABLE AS for the last --days complete days, with no AWS', () => {
    const r = runBuilt(['athena', 'rollup', '--print-only', '--rollup-table', 'usage_daily', '--days', '7']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^-- days \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\nCREATE TABLE "default"\."usage_daily"/);
    const [, from, to] = /^-- days (\S+) to (\S+)/.exec(r.out) ?? [];
    expect((Date.parse(to ?? '') - Date.parse(from ?? '')) / 86_400_000).toBe(6);
  });
});
