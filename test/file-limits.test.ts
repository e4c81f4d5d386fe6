/**
 * The per-file limits (src/limits.ts), each tried just at and just past its value, on the native
 * walker and on the reference path (JSON.parse, strict-parse.ts); a stale native module; and the
 * adversarial inputs of issue 19, each bounded in time (figures before/after in docs/fuzzing.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../src/errors.js';
import { loadCatalog } from '../src/iam/catalog.js';
import { scanLogFile } from '../src/ingest/local/stream/file-scanner.js';
import { readLogBytes } from '../src/ingest/local/stream/read-log-bytes.js';
import { checkNativeModule, FIELDS, nativeWalker, STRIDE } from '../src/ingest/local/stream/record-index.js';
import { parseLogRecords } from '../src/ingest/local/stream/strict-parse.js';
import { BadLogFileError, LIMIT_ENV, MAX_NESTING_DEPTH, MAX_RECORDS_PER_FILE, scanLimits } from '../src/limits.js';
import { createMapper } from '../src/mapping/map-call.js';
import { extractRequestKeys } from '../src/mapping/request-keys.js';
import { callRow } from './mapping-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'iamtrim-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const name of Object.values(LIMIT_ENV)) delete process.env[name];
});

const query = { roles: { kind: 'all' as const }, window: { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' } };
const native = nativeWalker();
const record = '{"eventTime":"2026-02-03T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventType":"AwsApiCall"}';

/** scanLogFile's verdict on `bytes` written as a delivery file (wrapped) or an export. */
function verdict(bytes: Buffer | string, name = '123456789012_CloudTrail_eu-west-1_20260203T1000Z_limit.json'): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const read = scanLogFile(path, query);
  return read.ok ? `ok ${read.scan.records}` : read.reason;
}

/** The reference path's verdict on the same text. */
function referenceVerdict(text: string, shape: 'wrapped' | 'array' | 'lines'): string {
  try {
    return `ok ${parseLogRecords(text, shape, scanLimits()).length}`;
  } catch (cause) {
    if (cause instanceof BadLogFileError) return cause.message;
    throw cause;
  }
}

/** A delivery file whose deepest point is `depth` containers open (the wrapper and Records count). */
function nestedTo(depth: number): string {
  const inner = depth - 3; // wrapper, Records, the record
  return `{"Records":[{"eventTime":"2026-02-03T10:00:00Z","requestParameters":${'['.repeat(inner)}${']'.repeat(inner)}}]}`;
}

describe(`limits (walker: ${native === null ? 'reference only, the native module is not built' : 'native and reference'})`, () => {
  it(`nesting: ${MAX_NESTING_DEPTH} levels read, ${MAX_NESTING_DEPTH + 1} refused naming the limit`, () => {
    expect(verdict(nestedTo(MAX_NESTING_DEPTH))).toBe('ok 1');
    // Both paths name the byte of the container past the limit: the wrapper, Records and the
    // record open before requestParameters' arrays, the 513th container is its 510th '['.
    const past = `^nests more than 512 objects or arrays deep at byte ${nestedTo(MAX_NESTING_DEPTH + 1).indexOf('[[') + 509}, past the nesting limit \\(IAMTRIM_MAX_NESTING_DEPTH\\)`;
    expect(verdict(nestedTo(MAX_NESTING_DEPTH + 1))).toMatch(new RegExp(past));
    expect(referenceVerdict(nestedTo(MAX_NESTING_DEPTH), 'wrapped')).toBe('ok 1');
    expect(referenceVerdict(nestedTo(MAX_NESTING_DEPTH + 1), 'wrapped')).toMatch(new RegExp(past));
    // Far past it (the DuckDB engine crashed at 75,000; JSON.stringify overflowed at 5,000): refused alike, quickly.
    const started = Date.now();
    expect(verdict(nestedTo(200_000))).toMatch(/^nests more than 512/);
    expect(referenceVerdict(nestedTo(200_000), 'wrapped')).toMatch(/^nests more than 512/);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it(`records: the real limit (${MAX_RECORDS_PER_FILE.toLocaleString('en-US')}) refuses one more, and a lowered one sits just at and past`, () => {
    const over = `[${'{},'.repeat(MAX_RECORDS_PER_FILE)}{}]`;
    // The 1,000,001st record starts at byte 1 + 3 * 1,000,000, on either path.
    const past = /^holds more than 1,000,000 records \(the one at byte 3000001 is past it\), the limit per log file \(IAMTRIM_MAX_RECORDS_PER_FILE\)/;
    expect(verdict(over, 'export.json')).toMatch(past);
    expect(referenceVerdict(over, 'array')).toMatch(past);
    process.env[LIMIT_ENV.records] = '40';
    const file = (n: number): string => `{"Records":[${Array.from({ length: n }, () => record).join(',')}]}`;
    expect(verdict(file(40))).toBe('ok 40');
    expect(verdict(file(41))).toMatch(/^holds more than 40 records/);
    expect(referenceVerdict(file(40), 'wrapped')).toBe('ok 40');
    expect(referenceVerdict(file(41), 'wrapped')).toMatch(/^holds more than 40 records/);
  });

  it('size: a file of exactly the limit is read, one byte more is refused naming it: plain, gzip (libdeflate and zlib)', () => {
    const text = `{"Records":[${record}]}`;
    const padded = (n: number): string => text.replace('[', `[${' '.repeat(n - text.length)}`);
    process.env[LIMIT_ENV.fileBytes] = String(4096);
    expect(verdict(padded(4096))).toBe('ok 1');
    expect(verdict(padded(4097))).toMatch(/^is more than 4 KiB \(4096 bytes\), the size limit per log file \(IAMTRIM_MAX_FILE_BYTES\)/);
    expect(verdict(gzipSync(padded(4096)), 'a_CloudTrail_eu-west-1_20260203T1000Z_gz.json.gz')).toBe('ok 1');
    expect(verdict(gzipSync(padded(4097)), 'a_CloudTrail_eu-west-1_20260203T1000Z_gz.json.gz')).toMatch(/^decompresses to more than 4 KiB \(4096 bytes\)/);
    const path = join(dir, 'z.json.gz');
    writeFileSync(path, gzipSync(padded(4096)));
    expect(readLogBytes(path, 'zlib').length).toBe(4096);
    writeFileSync(path, gzipSync(padded(4097)));
    expect(() => readLogBytes(path, 'zlib')).toThrow(/^decompresses to more than 4 KiB/);
    // A multi-member file whose ISIZE hint is small: still refused at limit + 1, never grown past it.
    writeFileSync(path, Buffer.concat([gzipSync(padded(4097).slice(0, 4000)), gzipSync(padded(4097).slice(4000))]));
    expect(() => readLogBytes(path)).toThrow(/^decompresses to more than 4 KiB/);
  });

  it('a limit set to nonsense in the environment is ignored, never turned into no limit', () => {
    process.env[LIMIT_ENV.records] = 'lots';
    process.env[LIMIT_ENV.depth] = '0';
    expect(scanLimits()).toEqual({ fileBytes: 1024 ** 3, depth: 512, records: 1_000_000 });
  });
});

describe('a stale native module', () => {
  it('is a user error (exit 2) whose hint is npm run build, not a crash', () => {
    const gunzip = (): number => 0;
    const locate = (): never => {
      throw new Error('unused');
    };
    expect(() => checkNativeModule({ abi: 2, stride: STRIDE, fields: FIELDS.length, gunzip, locate }, 'x.node')).not.toThrow();
    for (const stale of [{ stride: STRIDE, fields: FIELDS.length, gunzip, locate }, { abi: 1, stride: STRIDE, fields: FIELDS.length, gunzip, locate }, null]) {
      let error: unknown;
      try {
        checkNativeModule(stale, 'x.node');
      } catch (cause) {
        error = cause;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(ExitCode.Usage);
      expect((error as UsageError).message).toBe('native scanner x.node was built from another version of native/scan-*.c');
      expect((error as UsageError).hint).toBe('run npm run build');
    }
  });
});

describe('adversarial inputs of issue 19, bounded', () => {
  it('a 61 KB gzip of {}, repeated (21 million records, 8.6 GB peak before) is refused by the records limit in seconds', () => {
    const bomb = gzipSync(`{"Records":[${'{},'.repeat(21_000_000)}{}]}`, { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const started = Date.now();
    const before = process.memoryUsage().rss;
    expect(verdict(bomb, 'b_CloudTrail_eu-west-1_20260203T1000Z_bomb.json.gz')).toMatch(/^holds more than 1,000,000 records/);
    // A complexity bound, not a benchmark: the walk is linear up to the limit (seconds on an idle
    // machine), the old path took minutes.
    expect(Date.now() - started).toBeLessThan(60_000);
    // The walk stops at the limit: the native walker's rows (208 bytes a record) never pass
    // ~210 MB; the reference path counts records before it parses any (strict-parse.ts).
    expect(process.memoryUsage().rss - before).toBeLessThan(1024 ** 3);
  }, 240_000);

  it('requestParameters nested 100,000 deep from a source that parses whole records (Lake, LookupEvents) are left out, not a stack overflow', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(extractRequestKeys({ requestItems: deep, tableName: 't' })).toEqual({ tableName: 't' });
  });

  it('one record with 80,000 resource ARNs maps in seconds (76 s before: a list copied per ARN)', async () => {
    const map = createMapper(await loadCatalog());
    const resourceArns = Array.from({ length: 80_000 }, (_, i) => `arn:aws:s3:::bkt/k${i}`);
    const started = Date.now();
    const mapped = map(callRow({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', params: { bucketName: 'bkt', key: 'k1' }, resourceArns }));
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(mapped.kind).toBe('mapped');
  }, 120_000);
});
