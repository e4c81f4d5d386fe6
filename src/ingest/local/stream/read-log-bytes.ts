/**
 * A log file's JSON bytes: gunzipped with the native module's libdeflate (native/gunzip.c) when it
 * loads, else with Node's zlib. Both accept and refuse the same files (test/read-log-bytes.test.ts).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { nativeWalker } from './record-index.js';

/**
 * A buffer the native gunzip inflates into and keeps between files (one per thread): a file's
 * bytes are then a view of it, valid until the next file is read into it. Fresh pages for every
 * file (page faults and zeroing by the kernel) cost ~5 % of reading and walking.
 */
export interface Scratch {
  buffer: Buffer;
}

/** Largest output chunk asked of zlib at once (a file inflating to more is read in chunks). */
const MAX_CHUNK = 256 * 1024 * 1024;
/** Largest output the native gunzip inflates into one buffer; larger files go to zlib in chunks. */
const MAX_NATIVE_OUTPUT = 1024 * 1024 * 1024;

/**
 * Reads a log file's JSON bytes, gunzipping any file that starts with the gzip magic bytes. The
 * output buffer is sized from the gzip trailer's ISIZE (the inflated size mod 2^32), so the
 * inflater writes one buffer instead of 16 KB chunks joined by a copy. ISIZE is only a hint: a
 * multi-member or corrupt file still inflates correctly (each member's CRC and length are
 * checked), into a grown buffer or in more chunks. libdeflate inflates at ~1.8x zlib
 * (docs/performance.md); `inflater: 'zlib'` forces zlib.
 */
export function readLogBytes(path: string, inflater: 'auto' | 'zlib' = 'auto', scratch?: Scratch): Buffer {
  const bytes = readFileSync(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const isize = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  // Deflate inflates at most ~1032:1: a larger ISIZE is corrupt and must not size a buffer.
  const hint = Math.max(64 * 1024, Math.min(isize, bytes.length * 1032));
  const native = inflater === 'auto' ? nativeWalker() : null;
  if (native !== null) {
    for (let size = hint; size <= MAX_NATIVE_OUTPUT; size = Math.min(size * 2, bytes.length * 1032)) {
      let out: Buffer;
      if (scratch === undefined) out = Buffer.allocUnsafe(size);
      else {
        // Grown by half again past need, so a few files set its size; kept between files.
        if (scratch.buffer.length < size) scratch.buffer = Buffer.allocUnsafe(Math.min(MAX_NATIVE_OUTPUT, Math.ceil(size * 1.5)));
        out = scratch.buffer.subarray(0, size);
      }
      const written = native.gunzip(bytes, out);
      if (written >= 0) return out.subarray(0, written);
      if (size === bytes.length * 1032) break;
    }
  }
  return gunzipSync(bytes, { chunkSize: Math.min(hint + 1, MAX_CHUNK) });
}
