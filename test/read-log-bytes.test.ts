/**
 * readLogBytes sizes zlib's output from the gzip trailer (ISIZE); the trailer is only a hint, so
 * files where it is wrong for the whole must still read completely, or fail as corrupt.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLogBytes } from '../src/ingest/local/stream/scan-file.js';

describe('readLogBytes', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamtrim-gz-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const text = JSON.stringify({ Records: Array.from({ length: 3000 }, (_, i) => ({ eventName: `Call${i}`, eventTime: '2026-02-01T00:00:00Z' })) });

  it('reads a single-member file whole (output sized from ISIZE)', async () => {
    const path = join(dir, 'one.json.gz');
    await writeFile(path, gzipSync(text));
    expect(readLogBytes(path).toString('utf8')).toBe(text);
  });

  it('reads a multi-member file whole, though ISIZE names only the last member', async () => {
    const path = join(dir, 'multi.json.gz');
    const half = text.length >> 1;
    await writeFile(path, Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half, half + 10)), gzipSync(text.slice(half + 10))]));
    expect(readLogBytes(path).toString('utf8')).toBe(text);
  });

  it('refuses a file whose ISIZE or CRC is wrong, without sizing a buffer from a bogus ISIZE', async () => {
    const gz = gzipSync(text);
    const bigIsize = Buffer.from(gz);
    bigIsize.writeUInt32LE(0xfffffff0, bigIsize.length - 4);
    const badCrc = Buffer.from(gz);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
    for (const [name, bytes] of [['isize', bigIsize], ['crc', badCrc]] as const) {
      const path = join(dir, `${name}.json.gz`);
      await writeFile(path, bytes);
      expect(() => readLogBytes(path), name).toThrow(/incorrect|check/i);
    }
  });

  it('returns an uncompressed file as it is', async () => {
    const path = join(dir, 'plain.json');
    await writeFile(path, text);
    expect(readLogBytes(path).toString('utf8')).toBe(text);
  });
});
