/**
 * The bad-input corpus runner: every case in fixtures/bad/cases.json runs through `main()` and
 * must end with its documented exit code and message, never an unhandled exception, never a
 * policy on stdout when it fails, never a stack trace for a user error.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './bad-input-helpers.js';

const CORPUS = join(import.meta.dirname, '..', 'fixtures', 'bad');

interface Run {
  args: string[];
  exit: number;
  stderr?: string[];
  stdout?: string[];
  stdoutNot?: string[];
  stdoutMaxBytes?: number;
  evidence?: Record<string, number>;
}
interface Case {
  id: string;
  description: string;
  logs: string[];
  iam: 'base' | 'case';
  runner?: string;
  /** Environment variables set for the case's runs (the file limits, lowered: src/limits.ts). */
  env?: Record<string, string>;
  runs: Run[];
}
interface Corpus {
  defaults: { minimize: string[] };
  cases: Case[];
}

const corpus = JSON.parse(await readFile(join(CORPUS, 'cases.json'), 'utf8')) as Corpus;

/** A valid CloudTrail record by app-api, as in fixtures/bad/_base/make-base.mjs. */
export function appApiRecord(time: string, requestParameters: Record<string, unknown>): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/app-api/session',
      accountId: '111122223333',
      sessionContext: {
        sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/app-api', accountId: '111122223333', userName: 'app-api' },
      },
    },
    eventTime: time,
    eventSource: 'dynamodb.amazonaws.com',
    eventName: 'GetItem',
    awsRegion: 'us-east-1',
    requestParameters,
    eventType: 'AwsApiCall',
    eventCategory: 'Management',
    recipientAccountId: '111122223333',
  };
}

/** A delivery file's name (its shape is then `{"Records":[...]}` whatever its bytes hold). */
const deliveryName = (tag: string, gz = true): string => `111122223333_CloudTrail_us-east-1_20260215T0000Z_${tag}.json${gz ? '.gz' : ''}`;
const oneRecord = (): string => JSON.stringify(appApiRecord('2026-02-15T00:00:00Z', { tableName: 'orders' }));
/** The parser and limit failures of issue 19: each a delivery file the strict scanner refuses. */
const STRICT_GENERATORS: Record<string, (logs: string) => Promise<void>> = {
  'not-json-at-all': (logs) => writeFile(join(logs, deliveryName('notjson')), gzipSync('this is not json at all')),
  'bad-literal': (logs) => writeFile(join(logs, deliveryName('literal')), gzipSync(`{"Records":[${oneRecord().replace('{', '{"readOnly":tru,')}]}`)),
  'control-character': (logs) => writeFile(join(logs, deliveryName('control')), gzipSync(`{"Records":[${oneRecord().replace('orders', 'ord\u0001ers')}]}`)),
  'trailing-text': (logs) => writeFile(join(logs, deliveryName('trailing')), gzipSync(`{"Records":[${oneRecord()}]} and then some`)),
  'records-twice': (logs) => writeFile(join(logs, deliveryName('twice')), gzipSync(`{"Records":[${oneRecord()}],"Records":[]}`)),
  'duplicate-user-identity': (logs) =>
    writeFile(join(logs, deliveryName('identity')), gzipSync(`{"Records":[${oneRecord().replace('{', '{"userIdentity":{"type":"Root"},')}]}`)),
  'deep-nesting': (logs) =>
    writeFile(
      join(logs, deliveryName('deep')),
      gzipSync(`{"Records":[${oneRecord().replace('{"tableName"', `{"filter":${'['.repeat(5000)}${']'.repeat(5000)},"tableName"`)}]}`),
    ),
  'nul-bomb': (logs) => writeFile(join(logs, deliveryName('nul')), gzipSync(Buffer.alloc(2 * 1024 * 1024))),
  'size-limit': (logs) => writeFile(join(logs, deliveryName('large')), gzipSync(`{"Records":[${Array.from({ length: 400 }, oneRecord).join(',')}]}`)),
  'records-limit': (logs) => writeFile(join(logs, deliveryName('many')), gzipSync(`{"Records":[${Array.from({ length: 41 }, oneRecord).join(',')}]}`)),
};

/** Inputs that cannot live in git nicely (binary, symlinks), made in the case's temp folder. */
const GENERATORS: Record<string, (logs: string) => Promise<void>> = {
  'truncated-gz': async (logs) => {
    const records = Array.from({ length: 200 }, (_, i) => appApiRecord(`2026-02-${String(1 + (i % 27)).padStart(2, '0')}T12:00:00Z`, { tableName: `t${i}` }));
    const gz = gzipSync(JSON.stringify({ Records: records }));
    await writeFile(join(logs, 'truncated.json.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  },
  'large-request-parameters': async (logs) => {
    const record = appApiRecord('2026-02-15T00:00:00Z', { tableName: 'orders', blob: 'FILLER'.repeat((100 * 1024) / 6) });
    await writeFile(join(logs, 'large.json'), JSON.stringify({ Records: [record] }));
  },
  'invalid-utf8': async (logs) => {
    const [head, tail] = JSON.stringify({ Records: [appApiRecord('2026-02-15T00:00:00Z', { tableName: 'MARK' })] }).split('MARK');
    // 0xC3 0x28 is an invalid two-byte sequence; 0xFF never occurs in UTF-8.
    await writeFile(join(logs, 'latin1.json'), Buffer.concat([Buffer.from(head ?? ''), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(tail ?? '')]));
  },
  ...STRICT_GENERATORS,
  'symlink-loop': async (logs) => {
    await mkdir(join(logs, 'nested'));
    await symlink(logs, join(logs, 'nested', 'back-to-top'), 'dir');
  },
  // CloudTrail's delivery layout for 2026-01-30 .. 2026-02-28 (the default window), 8 files a day
  // (every third hour) in us-east-1, except 2026-02-05 .. 2026-02-20: 16 days missing inside the window.
  'gap-inside-window': async (logs) => deliveryDays(logs, '111122223333', (day) => day < '2026-02-05' || day > '2026-02-20'),
  // The same layout, every day present, for another account than the IAM snapshot's (111122223333).
  'other-account': async (logs) => deliveryDays(logs, '999988887777', () => true),
  // One delivery file twice: as CloudTrail wrote it (.json.gz) and unpacked beside it (.json).
  'duplicate-delivery': async (logs) => {
    const name = '111122223333_CloudTrail_us-east-1_20260215T1200Z_dupl1cateF1le.json';
    const body = JSON.stringify({ Records: [appApiRecord('2026-02-15T12:00:00Z', { tableName: 'dup-table' })] });
    await writeFile(join(logs, name), body);
    await writeFile(join(logs, `${name}.gz`), gzipSync(body));
  },
  'dangling-symlink': async (logs) => {
    await symlink(join(logs, 'deleted-since.json'), join(logs, 'gone.json'));
  },
};

/** Delivery files in `AWSLogs/<account>/CloudTrail/us-east-1/YYYY/MM/DD/`, 8 a day, on the days `keep` keeps. */
async function deliveryDays(logs: string, account: string, keep: (day: string) => boolean): Promise<void> {
  for (let t = Date.parse('2026-01-30T00:00:00Z'); t < Date.parse('2026-03-01T00:00:00Z'); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (!keep(day)) continue;
    const [y, m, d] = day.split('-') as [string, string, string];
    const folder = join(logs, 'AWSLogs', account, 'CloudTrail', 'us-east-1', y, m, d);
    await mkdir(folder, { recursive: true });
    for (let hour = 0; hour < 24; hour += 3) {
      const hh = String(hour).padStart(2, '0');
      const record = appApiRecord(`${day}T${hh}:05:00Z`, { tableName: 'orders' });
      record['recipientAccountId'] = account;
      const file = `${account}_CloudTrail_us-east-1_${y}${m}${d}T${hh}10Z_f${y}${m}${d}${hh}.json.gz`;
      await writeFile(join(folder, file), gzipSync(JSON.stringify({ Records: [record] })));
    }
  }
}

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'iamtrim-bad-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function prepare(c: Case): Promise<{ logs: string; iam: string; out: string }> {
  const dir = join(root, c.id);
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  for (const source of c.logs) {
    if (source === 'base') await cp(join(CORPUS, '_base', 'logs'), logs, { recursive: true });
    else if (source === 'case') await cp(join(CORPUS, c.id, 'logs'), logs, { recursive: true });
    else {
      const generate = GENERATORS[source.replace(/^gen:/, '')];
      if (generate === undefined) throw new Error(`cases.json: ${c.id}: no generator for ${source}`);
      await generate(logs);
    }
  }
  const iam = c.iam === 'case' ? join(CORPUS, c.id, 'iam.json') : join(CORPUS, '_base', 'iam.json');
  return { logs, iam, out: join(dir, 'out.json') };
}

function expand(args: readonly string[], paths: { logs: string; iam: string; out: string }): string[] {
  return args
    .flatMap((a) => (a === '$minimize' ? corpus.defaults.minimize : [a]))
    .map((a) => a.replaceAll('{logs}', paths.logs).replaceAll('{iam}', paths.iam).replaceAll('{out}', paths.out));
}

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

describe('bad-input corpus (fixtures/bad/cases.json)', () => {
  it('lists every case folder, and every listed case with `case` input has one', async () => {
    const folders = (await readdir(CORPUS, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && e.name !== '_base')
      .map((e) => e.name)
      .sort();
    const withFolders = corpus.cases
      .filter((c) => c.logs.includes('case') || c.iam === 'case')
      .map((c) => c.id)
      .sort();
    expect(folders).toEqual(withFolders);
    expect(new Set(corpus.cases.map((c) => c.id)).size).toBe(corpus.cases.length);
  });

  for (const c of corpus.cases.filter((x) => x.runner === undefined)) {
    describe(c.id, () => {
      c.runs.forEach((run, i) => {
        it(`run ${i + 1}: ${run.args.join(' ')} -> exit ${run.exit}`, async () => {
          const paths = await prepare(c);
          const saved = Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, process.env[k]]));
          Object.assign(process.env, c.env ?? {});
          let result;
          try {
            result = await runCli(expand(run.args, paths));
          } finally {
            for (const [k, v] of Object.entries(saved)) {
              if (v === undefined) delete process.env[k];
              else process.env[k] = v;
            }
          }
          const context = `\n--- stderr ---\n${result.stderr}\n--- stdout (head) ---\n${result.stdout.slice(0, 800)}`;
          expect(result.exit, context).toBe(run.exit);
          expect(result.stderr, 'no stack trace for a user error').not.toMatch(STACK_LINE);
          expect(result.stderr).not.toContain('internal error');
          if (run.exit !== 0) {
            expect(result.stdout, 'a failed run prints no policy').toBe('');
            expect(result.stderr).toMatch(/^(iamtrim: |error: )/);
          }
          for (const s of run.stderr ?? []) expect(result.stderr, context).toContain(s);
          for (const s of run.stdout ?? []) expect(result.stdout, context).toContain(s);
          for (const s of run.stdoutNot ?? []) expect(result.stdout).not.toContain(s);
          if (run.stdoutMaxBytes !== undefined) expect(result.stdout.length).toBeLessThan(run.stdoutMaxBytes);
          if (run.evidence !== undefined) {
            const output = JSON.parse(result.stdout) as { evidence: Record<string, unknown> & { skippedFiles: unknown[] } };
            const { skippedFileCount, ...fields } = run.evidence;
            expect(output.evidence).toMatchObject(fields);
            if (skippedFileCount !== undefined) expect(output.evidence.skippedFiles).toHaveLength(skippedFileCount);
          }
          await rm(join(root, c.id), { recursive: true, force: true });
        });
      });
    });
  }
});
