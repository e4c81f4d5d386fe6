/**
 * The local source (worker threads; the native walker, or the reference path where it cannot
 * load) must answer the usage query the same on either path: same call rows, same evidence, same
 * bad files; and the native scan of a file must equal the reference's on generated records.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../src/demo/generate.js';
import { scanBytes } from '../src/ingest/local/stream/file-scanner.js';
import { nativeWalker } from '../src/ingest/local/stream/record-index.js';
import { scanLocalLogsStream } from '../src/ingest/local/stream/stream-source.js';
import { groupRecords, recordTime, type CloudTrailRecord } from '../src/ingest/reference.js';
import { callKey } from '../src/ingest/call-rows.js';
import type { UsageQuery, UsageScan } from '../src/model.js';
import { compareText } from '../src/util/compare-text.js';
import { escapeKeys, pick, recordArb } from './helpers/cloudtrail-arbitraries.js';
import { familyOf, FOLD_LIMIT, foldCallRows, FoldingCalls, scanIdentity } from '../src/ingest/fold.js';

const ALL_TIME: UsageQuery = { roles: { kind: 'all' }, window: { start: '2000-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z' } };
const DATASETS = join('..', 'shared', 'datasets', 'cloudtrail');

/** Evidence and rows, with bad files compared by path (the paths word a JSON error differently). */
function comparable(scan: UsageScan): unknown {
  return {
    rows: scan.rows,
    evidence: { ...scan.evidence, skippedFiles: scan.evidence.skippedFiles.map((f) => f.file) },
  };
}

/** The scan on the native path and on the reference path. */
async function bothPaths(logs: string, query: UsageQuery): Promise<[unknown, unknown]> {
  const options = { logs, skipBadFiles: true, threads: 1 };
  return [comparable(await scanLocalLogsStream(query, options)), comparable(await scanLocalLogsStream(query, { ...options, reference: true }))];
}

const NATIVE = nativeWalker() !== null;

describe.skipIf(!NATIVE)('the native path equals the reference path (skipped when the native walker is not loaded: IAMTRIM_NATIVE=0 or not built)', () => {
  for (const fixture of ['lambda-s3-dynamodb', 'ci-deploy-admin', 'notaction-boundary-conditions', 's3-data-prefixes', 'many-queues-split']) {
    it(`on fixtures/${fixture}/logs, all roles and one role`, async () => {
      const logs = join('fixtures', fixture, 'logs');
      const [native, reference] = await bothPaths(logs, ALL_TIME);
      expect(native).toEqual(reference);
      expect((native as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
      const args = (await import(`../fixtures/${fixture}/args.json`, { with: { type: 'json' } })) as { default: { role: string } };
      const one: UsageQuery = { ...ALL_TIME, roles: { kind: 'roles', arns: [], names: [args.default.role] } };
      const [n1, r1] = await bothPaths(logs, one);
      expect(n1).toEqual(r1);
    });
  }

  it('on the bad-input corpus (corrupt, empty, invalid JSON, not CloudTrail), bad files named alike', async () => {
    const root = join('fixtures', 'bad');
    for (const entry of await readdir(root, { withFileTypes: true })) {
      const logs = join(root, entry.name, 'logs');
      if (!entry.isDirectory() || !existsSync(logs)) continue;
      const [native, reference] = await bothPaths(logs, ALL_TIME);
      expect(native, entry.name).toEqual(reference);
    }
  });

  it.skipIf(!existsSync(DATASETS))('on the real CloudTrail datasets (../shared/datasets; skipped when absent)', async () => {
    for (const dataset of await readdir(DATASETS)) {
      const [native, reference] = await bothPaths(join(DATASETS, dataset), ALL_TIME);
      expect(native, dataset).toEqual(reference);
    }
  });

  describe('on generated demo logs, with a window and several threads', () => {
    let root = '';
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'iamtrim-stream-'));
      await generateDemo({ outDir: root, now: new Date('2026-03-01T00:00:00Z'), days: 20, events: 3_000, seed: 11 });
    }, 60_000);
    afterAll(() => rm(root, { recursive: true, force: true }));

    it('all roles over an inner window', async () => {
      const query: UsageQuery = { roles: { kind: 'all' }, window: { start: '2026-02-15T06:00:00Z', end: '2026-02-25T00:00:00Z' } };
      const [native, reference] = await bothPaths(join(root, 'logs'), query);
      expect(native).toEqual(reference);
    });

    it('the built CLI with worker threads prints the same with IAMTRIM_NATIVE=0 (the reference path in every worker)', () => {
      const bin = join('dist', 'bin.js');
      // npm install builds dist/ (prepare); the worker threads run the built JavaScript.
      expect(existsSync(join('dist', 'ingest', 'local', 'stream', 'worker.js')), 'run npm run build first').toBe(true);
      const run = (native: string): string =>
        execFileSync(process.execPath, [bin, 'usage', '--all-roles', '--logs', join(root, 'logs'), '--days', '20', '--end', '2026-03-01T00:00:00Z'], {
          encoding: 'utf8',
          env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', IAMTRIM_NATIVE: native },
        });
      const stream = run('1');
      expect(stream).toBe(run('0'));
      expect(JSON.parse(stream).evidence.events).toBeGreaterThan(1000);
    });

    it('the built CLI stops its workers (started before the files are listed) when --logs is bad or holds one file', () => {
      const bin = join('dist', 'bin.js');
      const usage = (logs: string) =>
        spawnSync(process.execPath, [bin, 'usage', '--all-roles', '--logs', logs, '--days', '20', '--end', '2026-03-01T00:00:00Z'], {
          encoding: 'utf8',
          timeout: 30_000, // a worker left running would keep the process up until this kills it
          env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
        });
      const missing = usage(join(root, 'no-such-folder'));
      expect(missing.signal).toBeNull();
      expect(missing.status).toBe(3);
      expect(missing.stderr).toContain(`--logs ${join(root, 'no-such-folder')}: cannot read it (ENOENT)`);
      // The largest file: it holds calls by roles.
      const files = readdirSync(join(root, 'logs'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.json.gz'));
      const largest = files.sort((a, b) => statSync(join(root, 'logs', b)).size - statSync(join(root, 'logs', a)).size || a.localeCompare(b))[0] ?? '';
      const one = usage(join(root, 'logs', largest));
      expect(one.signal).toBeNull();
      expect(one.status).toBe(0);
      expect(JSON.parse(one.stdout).evidence.files).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The scanner against the in-memory twin, on generated records in every layout
// ---------------------------------------------------------------------------------------------

/** The SQL `files` set over whole records: count, valid (time and eventSource), time span. */
function fileStats(records: unknown[]): { records: number; validRecords: number; first: string | null; last: string | null } {
  let validRecords = 0;
  const times: string[] = [];
  for (const record of records) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) continue;
    const time = recordTime(record as CloudTrailRecord);
    if (time === null) continue;
    times.push(time);
    if (typeof (record as CloudTrailRecord).eventSource === 'string') validRecords++;
  }
  times.sort(compareText);
  return { records: records.length, validRecords, first: times[0] ?? null, last: times[times.length - 1] ?? null };
}

describe.skipIf(!NATIVE)('the native scan equals the reference path (skipped when the native walker is not loaded: IAMTRIM_NATIVE=0 or not built)', () => {
  const window = { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' };
  const layouts = ['wrapped', 'wrapped-pretty', 'array', 'lines', 'wrapped-escaped'] as const;

  it('on random records in every layout', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 12 }), pick(layouts), fc.boolean(), (records, layout, oneRole) => {
        // JSON lines hold objects only; other shapes are the array and wrapped layouts' business.
        const list = layout === 'lines' ? records.filter((r) => r !== null && typeof r === 'object') : records;
        const text =
          layout === 'array'
            ? JSON.stringify(list)
            : layout === 'lines'
              ? list.map((r) => JSON.stringify(r)).join('\n')
              : layout === 'wrapped-pretty'
                ? JSON.stringify({ Records: list, other: { Records: 1 } }, null, 2)
                : layout === 'wrapped-escaped'
                  ? escapeKeys(JSON.stringify({ Records: list }))
                  : JSON.stringify({ Records: list });
        const roles = oneRole ? { kind: 'roles' as const, arns: ['arn:aws:iam::123456789012:role/svc/worker'], names: ['app'] } : { kind: 'all' as const };
        if (text === '') {
          // JSON lines with no line is no JSON at all: a bad file, not one without records.
          expect(() => scanBytes(Buffer.from(text), 'lines', { roles, window })).toThrow(/no JSON value/);
          return;
        }
        const scan = scanBytes(Buffer.from(text, 'utf8'), layout === 'array' || layout === 'lines' ? layout : 'wrapped', { roles, window });
        const rows = [...scan.calls.values()].sort((a, b) => compareText(callKey(a), callKey(b)));
        // The twin reads whole parsed records (escapes decoded by JSON.parse).
        const parsed = (layout === 'wrapped-escaped' ? (JSON.parse(text) as { Records: unknown[] }).Records : list) as CloudTrailRecord[];
        expect(rows).toEqual(groupRecords(parsed, roles, window));
        const { records: count, validRecords, first, last } = scan;
        expect({ records: count, validRecords, first, last }).toEqual(fileStats(parsed));
        const data = new Set(
          parsed
            .filter((r) => r !== null && typeof r === 'object' && r.eventCategory === 'Data' && typeof r.eventSource === 'string')
            .filter((r) => {
              const t = recordTime(r);
              return t !== null && t >= window.start && t < window.end;
            })
            .map((r) => r.eventSource as string),
        );
        expect([...scan.dataSources].sort()).toEqual([...data].sort());
      }),
      { numRuns: 200 },
    );
  });

  it('reads requestParameters and resources as JSON.parse does: duplicate, escaped and odd members', () => {
    // Text a serialiser never writes: duplicate members (the last wins), escaped member names
    // (the walk leaves such a value unlisted, and the scan decodes its bytes), escaped values,
    // non-string ARNs, non-object elements, whitespace around every token.
    const params = [
      '{"bucketName":"a","key":"x","bucketName":"b"}',
      '{"buck\\u0065tName":"b","key":"k\\u00e9"}',
      '{ "bucketName" : "c" , "key" : 12 , "versionId" : null }',
      '{"key":{"a":[1,"x"]},"requestItems":{"t1":[{"PutRequest":{}}]},"requestItems":{"t2":[]}}',
      '{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/123456789012/q\\"1"}',
      '[{"bucketName":"in an array"}]',
      '"not an object"',
      '{}',
      // Inert values (null; an object where only a scalar is read) share a class: a later null
      // still overrides an earlier value, and a member read on a deeper path keeps its object.
      '{"key":"a","key":null,"bucketName":"b"}',
      '{"key":{"orderId":"o-1"},"tableName":"t"}',
      '{"key":{"orderId":"o-2"},"tableName":"t"}',
      '{"key":["x"],"tableName":"t","key":"k2"}',
      '{"iamInstanceProfile":{"arn":"arn:aws:iam::123456789012:instance-profile/p"}}',
      '{"iamInstanceProfile":{"arn":null}}',
      // Several paths for one key (the first path in the table wins), a JSON key given a string,
      // a later object overriding a string, a decoded value before a plain duplicate.
      '{"Bucket":"B","bucketName":"b2","Key":"K","QueueUrl":"u","queueName":"n"}',
      '{"names":"just a string","requestItems":"s","tableName":"t"}',
      '{"bucketName":"p","bucketName":{"x":1},"key":"k4"}',
      '{"key":"k\\u0031","key":"k3","Bucket":"b3"}',
    ];
    const resources = [
      '[{"ARN":"arn:aws:s3:::b1","ARN":"arn:aws:s3:::b2"},{"arn":1,"ARN":""},7,null,{"type":"x"}]',
      '[{"\\u0041RN":"arn:aws:s3:::b3"},{"ARN":"arn:aws:s3:::b4"}]',
      '[ { "arn" : "arn:aws:kms:eu-west-1:123456789012:key/k" , "ARN" : "arn:aws:s3:::b\\u00e9" } ]',
      '{"ARN":"arn:aws:s3:::not-in-an-array"}',
      '[]',
      '[{"ARN":{"x":1},"arn":"arn:aws:s3:::b5"},{"ARN":"","arn":"arn:aws:s3:::b6"},{"arn":"arn:aws:s3:::b7","ARN":null}]',
      '[{"arn":"arn:aws:s3:::b8","arn":"arn:aws:s3:::b9"},{"ARN":"arn:aws:s3:::b9"}]',
    ];
    const lines: string[] = [];
    params.forEach((p, i) =>
      resources.forEach((r, j) => {
        const time = `2026-02-0${1 + ((i + j) % 9)}T10:00:00Z`;
        lines.push(
          `{"eventTime":"${time}","eventType":"AwsApiCall","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1",` +
            `"recipientAccountId":"123456789012","userIdentity":{"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/app","userName":"app"}}},` +
            `"requestParameters":${p},"resources":${r}}`,
        );
      }),
    );
    // Each record twice, so the second reads the first one's listing.
    const text = `{"Records":[${[...lines, ...lines].join(',')}]}`;
    const parsed = (JSON.parse(text) as { Records: CloudTrailRecord[] }).Records;
    const roles = { kind: 'all' as const };
    const expected = groupRecords(parsed, roles, window);
    const scan = scanBytes(Buffer.from(text, 'utf8'), 'wrapped', { roles, window });
    const rows = [...scan.calls.values()].sort((a, b) => compareText(callKey(a), callKey(b)));
    expect(rows).toEqual(expected);
    expect(expected.some((row) => row.params['bucketName'] === 'b')).toBe(true);
    expect(expected.some((row) => row.resourceArns.includes('arn:aws:s3:::b2') && !row.resourceArns.includes('arn:aws:s3:::b1'))).toBe(true);
    expect(expected.some((row) => row.params['bucketName'] === 'b' && row.params['key'] === undefined)).toBe(true);
    expect(expected.some((row) => row.params['key'] === 'k2')).toBe(true);
    expect(expected.some((row) => ['b5', 'b6', 'b7'].every((b) => row.resourceArns.includes(`arn:aws:s3:::${b}`)))).toBe(true);
    expect(expected.some((row) => row.resourceArns.join() === 'arn:aws:s3:::b9')).toBe(true);
    expect(expected.every((row) => !row.resourceArns.includes('arn:aws:s3:::b8'))).toBe(true);
  });

  it("reads each record's own S3 object key when records differ only in the object they read", () => {
    // Many GetObject/PutObject records of a few families: the walk leaves the key out of their
    // classes (VALUE_KEY, VALUE_OBJECT), so one group spans many keys, and each record's row must
    // still be its own: its key, its object ARNs, the ARNs that are not its key's kept as they are.
    const keyArb = fc.oneof(pick(['a/1.txt', 'a/2.txt', 'b/c/3.json', 'é/4', '', 'x']), fc.string({ maxLength: 4 }));
    const recordArbS3 = fc.record({
      day: fc.integer({ min: 1, max: 3 }),
      name: pick(['GetObject', 'PutObject']),
      bucket: pick(['b1', 'b2']),
      key: keyArb,
      escaped: fc.boolean(),
      arn: pick(['own', 'own', 'other', 'none', 'both', 'lower']),
      versionId: fc.option(pick(['v1']), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(recordArbS3, { minLength: 1, maxLength: 40 }), (specs) => {
        const lines = specs.map((r) => {
          const key = r.escaped ? JSON.stringify(r.key).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : JSON.stringify(r.key);
          const own = JSON.stringify(`arn:aws:s3:::${r.bucket}/${r.key}`);
          const arns =
            r.arn === 'own'
              ? [`{"ARN":${own}}`, `{"ARN":"arn:aws:s3:::${r.bucket}"}`]
              : r.arn === 'other'
                ? [`{"ARN":"arn:aws:s3:::${r.bucket}/zz"}`, `{"ARN":${own}}`]
                : r.arn === 'both'
                  ? [`{"ARN":${own},"arn":"arn:aws:s3:::b9/q"}`]
                  : r.arn === 'lower'
                    ? [`{"arn":${own}}`]
                    : [];
          const version = r.versionId === undefined ? '' : `,"versionId":"${r.versionId}"`;
          return (
            `{"eventTime":"2026-02-0${r.day}T10:00:00Z","eventType":"AwsApiCall","eventSource":"s3.amazonaws.com","eventName":"${r.name}","awsRegion":"eu-west-1",` +
            `"recipientAccountId":"123456789012","userIdentity":{"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/app","userName":"app"}}},` +
            `"requestParameters":{"bucketName":"${r.bucket}","key":${key}${version}},"resources":[${arns.join(',')}]}`
          );
        });
        const text = `{"Records":[${lines.join(',')}]}`;
        const parsed = (JSON.parse(text) as { Records: CloudTrailRecord[] }).Records;
        const roles = { kind: 'all' as const };
        const expected = groupRecords(parsed, roles, window);
        const scan = scanBytes(Buffer.from(text, 'utf8'), 'wrapped', { roles, window });
        expect([...scan.calls.values()].sort((a, b) => compareText(callKey(a), callKey(b)))).toEqual(expected);
        // A row with an object key is filed under its family and key, and the scan hands the family over with it.
        for (const [identity, row] of scan.calls) {
          const key = row.params['key'];
          if (key === undefined) continue;
          expect(identity).toBe(scanIdentity(familyOf(row, key).id, key));
          expect(scan.families?.get(identity)).toBe(familyOf(row, key).id);
        }
        const folding = new FoldingCalls();
        for (const [identity, row] of scan.calls) folding.add({ ...row }, identity, scan.families?.get(identity));
        expect(folding.rows().sort((a, b) => compareText(callKey(a), callKey(b)))).toEqual(foldCallRows(expected));
      }),
      { numRuns: 150 },
    );
  });

  it('rejects malformed JSON', () => {
    const bad = [
      '{"Records":[{"eventTime":"x"}',
      '{"Records":[{"a":1]}',
      '{"Records":[{"a" 1}]}',
      '{"Records":[{"a":"unterminated}]}',
      '{"Records":[{"a":tr"ue}]}',
      '{"Records":[1,]}',
    ];
    // Broken inside the requestParameters or resources of a record in scope (brackets match).
    const call =
      '"eventTime":"2026-02-01T10:00:00Z","eventType":"AwsApiCall","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/r"}}}';
    bad.push(`{"Records":[{${call},"requestParameters":{"key" "x"}}]}`, `{"Records":[{${call},"resources":[{"ARN":"a"} {"ARN":"b"}]}]}`);
    for (const text of bad) {
      expect(() => scanBytes(Buffer.from(text), 'wrapped', { roles: { kind: 'all' }, window }), text).toThrow(/JSON/);
    }
  });
});

describe('local source bad files', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'iamtrim-stream-bad-'));
    await mkdir(join(root, 'logs'));
    const record = { eventTime: '2026-02-01T10:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', eventType: 'AwsApiCall' };
    await writeFile(join(root, 'logs', 'good.json.gz'), gzipSync(JSON.stringify({ Records: [record] })));
    await writeFile(join(root, 'logs', 'truncated.json.gz'), gzipSync(JSON.stringify({ Records: [record, record] })).subarray(0, 40));
    await writeFile(join(root, 'logs', 'broken.json'), '{"Records":[{"eventTime":"2026-02-01T10:00:00Z"');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('names each unreadable file and why, and keeps the good one', async () => {
    await expect(scanLocalLogsStream(ALL_TIME, { logs: join(root, 'logs'), skipBadFiles: false, threads: 1 })).rejects.toThrow(
      /2 log file\(s\) could not be read/,
    );
    const scan = await scanLocalLogsStream(ALL_TIME, { logs: join(root, 'logs'), skipBadFiles: true, threads: 1 });
    expect(scan.evidence.skippedFiles.map((f) => [f.file.replace(root, ''), f.reason.split(' ').slice(0, 2).join(' ')])).toEqual([
      ['/logs/broken.json', 'invalid JSON:'],
      ['/logs/truncated.json.gz', 'cannot decompress'],
    ]);
    expect(scan.evidence.records).toBe(1);
  });
});

describe('local source memory', () => {
  const KEYS = 3_000;
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'iamtrim-stream-big-'));
    await mkdir(join(root, 'logs'));
    // One file (an export) with 3,000 distinct object keys: 30 times what a scan holds before
    // folding a family (FOLD_LIMIT, fold.ts), so the file folds while it is scanned.
    const records = Array.from({ length: KEYS }, (_, i) => ({
      eventTime: `2026-02-01T${String(10 + (i % 10)).padStart(2, '0')}:00:00Z`,
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventType: 'AwsApiCall',
      eventCategory: 'Data',
      awsRegion: 'eu-west-1',
      recipientAccountId: '123456789012',
      userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/app', userName: 'app' } } },
      requestParameters: { bucketName: 'b', key: `uploads/${i % 7}/${i}.bin` },
      resources: [{ ARN: `arn:aws:s3:::b/uploads/${i % 7}/${i}.bin` }, { ARN: 'arn:aws:s3:::b' }],
    }));
    await writeFile(join(root, 'logs', 'export.json'), JSON.stringify({ Records: records }));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('folds the object keys of one file past the in-scan fold threshold, as DuckDB does', async () => {
    expect(KEYS).toBeGreaterThan(10 * FOLD_LIMIT);
    const [native, reference] = await bothPaths(join(root, 'logs'), ALL_TIME);
    expect(native).toEqual(reference);
    const rows = (native as { rows: Array<{ params: Record<string, string>; count: number; foldedDepth?: number }> }).rows;
    expect(rows.map((r) => [r.params['key'], r.count, r.foldedDepth])).toEqual(
      Array.from({ length: 7 }, (_, k) => [`uploads/${k}/*`, Math.floor(KEYS / 7) + (k < KEYS % 7 ? 1 : 0), 2]),
    );
  });
});
