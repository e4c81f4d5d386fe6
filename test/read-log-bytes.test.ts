/**
 * readLogBytes sizes the inflater's output from the gzip trailer (ISIZE); the trailer is only a
 * hint, so files where it is wrong for the whole must still read completely, or fail as corrupt.
 * Both inflaters run every case: the native one (libdeflate, native/gunzip.c) and Node's zlib
 * (the fallback), and must accept and refuse the same files.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogBytes } from '../src/ingest/local/stream/read-log-bytes.js';
import { nativeWalker } from '../src/ingest/local/stream/record-index.js';

const inflaters = [
  { name: 'native', walker: 'auto' as const },
  { name: 'zlib', walker: 'zlib' as const },
];

/** A gzip member with FEXTRA, FNAME, FCOMMENT and FHCRC set (zlib's gzipSync sets none). */
function flaggedMember(text: string, headerCrc?: number): Buffer {
  const plain = gzipSync(text);
  const head = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]),
    Buffer.from([3, 0, 1, 2, 3]), // XLEN 3, then 3 bytes
    Buffer.from('records.json\0comment\0'),
  ]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(headerCrc ?? crc32(head) & 0xffff);
  return Buffer.concat([head, crc, plain.subarray(10)]);
}

describe('readLogBytes', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-gz-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const text = JSON.stringify({ Records: Array.from({ length: 3000 }, (_, i) => ({ eventName: `Call${i}`, eventTime: '2026-02-01T00:00:00Z' })) });
  const file = async (name: string, bytes: Buffer | string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  const off = process.env['IAMTRIM_NATIVE'] === '0';
  it.skipIf(off)('has the native inflater built (skipped with IAMTRIM_NATIVE=0, which turns it off)', () => {
    expect(nativeWalker(), 'native/build/Release/iamtrim_scan.node: run npm run build').not.toBeNull();
  });

  it.skipIf(off)('inflates in the native module itself (readLogBytes falls back to zlib only for a too-small buffer; skipped with IAMTRIM_NATIVE=0)', () => {
    const native = nativeWalker();
    if (native === null) throw new Error('native module not loaded: run npm run build');
    const gz = gzipSync(text);
    const out = Buffer.alloc(text.length);
    expect(native.gunzip(gz, out)).toBe(text.length);
    expect(out.toString('utf8')).toBe(text);
    expect(native.gunzip(gz, Buffer.alloc(text.length - 1))).toBe(-1);
    expect(() => native.gunzip(gz.subarray(0, 40), out)).toThrow(/corrupt or truncated/);
  });

  it('inflates into a kept buffer file after file, each file read whole (the scratch of a scan thread)', async () => {
    const scratch = { buffer: Buffer.alloc(0) };
    const small = JSON.stringify({ Records: [{ eventName: 'Small' }] });
    const half = text.length >> 1;
    const big = await file('scratch-big.json.gz', gzipSync(text));
    const multi = await file('scratch-multi.json.gz', Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]));
    const tiny = await file('scratch-small.json.gz', gzipSync(small));
    expect(readLogBytes(big, 'auto', scratch).toString('utf8')).toBe(text);
    expect(readLogBytes(tiny, 'auto', scratch).toString('utf8')).toBe(small);
    expect(readLogBytes(multi, 'auto', scratch).toString('utf8')).toBe(text);
    if (nativeWalker() !== null) expect(scratch.buffer.length).toBeGreaterThanOrEqual(text.length);
  });

  describe.each(inflaters)('with $name', ({ walker }) => {
    it('reads a single-member file whole (output sized from ISIZE)', async () => {
      const path = await file(`one-${walker}.json.gz`, gzipSync(text));
      expect(readLogBytes(path, walker).toString('utf8')).toBe(text);
    });

    it('reads a multi-member file whole, though ISIZE names only the last member', async () => {
      const half = text.length >> 1;
      const path = await file(
        `multi-${walker}.json.gz`,
        Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half, half + 10)), gzipSync(text.slice(half + 10))]),
      );
      expect(readLogBytes(path, walker).toString('utf8')).toBe(text);
    });

    it('reads a member with every optional header field, and zero padding after the last member', async () => {
      const path = await file(`flagged-${walker}.json.gz`, Buffer.concat([flaggedMember(text), Buffer.alloc(512)]));
      expect(readLogBytes(path, walker).toString('utf8')).toBe(text);
    });

    it('reads an empty file inflating to nothing', async () => {
      const path = await file(`empty-${walker}.json.gz`, gzipSync(''));
      expect(readLogBytes(path, walker).length).toBe(0);
    });

    it('refuses a file whose ISIZE or CRC is wrong, without sizing a buffer from a bogus ISIZE', async () => {
      const gz = gzipSync(text);
      const bigIsize = Buffer.from(gz);
      bigIsize.writeUInt32LE(0xfffffff0, bigIsize.length - 4);
      const smallIsize = Buffer.from(gz);
      smallIsize.writeUInt32LE(100, smallIsize.length - 4);
      const badCrc = Buffer.from(gz);
      badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
      for (const [name, bytes] of [
        ['isize', bigIsize],
        ['small-isize', smallIsize],
        ['crc', badCrc],
      ] as const) {
        const path = await file(`${name}-${walker}.json.gz`, bytes);
        expect(() => readLogBytes(path, walker), name).toThrow(/incorrect (length|data) check/);
      }
    });

    it('refuses truncated, corrupt and trailing-garbage files with a zlib error code', async () => {
      const gz = gzipSync(text);
      const flipped = Buffer.from(gz);
      flipped[20] = (flipped[20] ?? 0) ^ 0xff;
      const cases: Array<[string, Buffer, RegExp]> = [
        ['truncated', gz.subarray(0, Math.floor(gz.length * 0.6)), /.+/],
        ['no-trailer', gz.subarray(0, gz.length - 3), /unexpected end of file|corrupt or truncated/],
        ['header-only', gz.subarray(0, 6), /unexpected end of file/],
        ['corrupt', flipped, /.+/],
        ['garbage-after', Buffer.concat([gz, Buffer.from('garbage')]), /incorrect header check/],
        ['bad-method', Buffer.concat([gz, Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3])]), /unknown compression method/],
        ['bad-header-crc', flaggedMember(text, 0xbeef), /header crc mismatch/],
      ];
      for (const [name, bytes, message] of cases) {
        const path = await file(`${name}-${walker}.json.gz`, bytes);
        let thrown: unknown;
        try {
          readLogBytes(path, walker);
        } catch (cause) {
          thrown = cause;
        }
        expect(thrown, name).toBeInstanceOf(Error);
        expect((thrown as Error).message, name).toMatch(message);
        expect((thrown as { code?: string }).code, name).toMatch(/^Z_/);
      }
    });

    it('returns an uncompressed file as it is', async () => {
      const path = await file(`plain-${walker}.json`, text);
      expect(readLogBytes(path, walker).toString('utf8')).toBe(text);
    });
  });
});
