/**
 * A log file's JSON bytes: gunzipped with the native module's libdeflate (native/gunzip.c) when it
 * loads, else with Node's zlib. Both accept and refuse the same files (test/read-log-bytes.test.ts).
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BadLogFileError, limitReason, scanLimits } from '../../../limits.js';
import { nativeWalker } from './record-index.js';

/**
 * A buffer the native gunzip inflates into and keeps between files (one per thread): a file's
 * bytes are then a view of it, valid until the next file is read into it. Fresh pages for every
 * file (page faults and zeroing by the kernel) cost ~5 % of reading and walking.
 */
export interface Scratch {
  buffer: Buffer;
}

/**
 * Reads a log file's JSON bytes, gunzipping any file that starts with the gzip magic bytes. The
 * output buffer is sized from the gzip trailer's ISIZE (the inflated size mod 2^32), so the
 * inflater writes one buffer instead of 16 KB chunks joined by a copy. ISIZE is only a hint: a
 * multi-member or corrupt file still inflates correctly (each member's CRC and length are
 * checked), into a grown buffer or in more chunks. libdeflate inflates at ~1.8x zlib
 * (docs/performance.md); `inflater: 'zlib'` forces zlib.
 *
 * A file past the size limit (src/limits.ts), on disk or inflated, is refused with a
 * BadLogFileError as soon as that is known: no buffer grows past the limit plus one byte, and a
 * gzip bomb costs at most that much memory.
 */
export function readLogBytes(path: string, inflater: 'auto' | 'zlib' = 'auto', scratch?: Scratch): Buffer {
  const limit = scanLimits().fileBytes;
  const fd = openSync(path, 'r');
  let bytes: Buffer;
  try {
    if (fstatSync(fd).size > limit) throw new BadLogFileError(limitReason.fileBytes(limit, false));
    bytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const tooLarge = (): BadLogFileError => new BadLogFileError(limitReason.fileBytes(limit, true));
  const isize = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  // Deflate inflates at most ~1032:1: a larger ISIZE is corrupt and must not size a buffer, nor
  // may anything grow one past the limit (one byte more than it tells a file past it).
  const cap = Math.min(limit + 1, bytes.length * 1032);
  const hint = Math.min(cap, Math.max(64 * 1024, Math.min(isize, bytes.length * 1032)));
  const native = inflater === 'auto' ? nativeWalker() : null;
  if (native !== null) {
    for (let size = hint; ; size = Math.min(size * 2, cap)) {
      let out: Buffer;
      if (scratch === undefined) out = Buffer.allocUnsafe(size);
      else {
        // Grown by half again past need, so a few files set its size; kept between files.
        if (scratch.buffer.length < size) scratch.buffer = Buffer.allocUnsafe(Math.min(cap, Math.ceil(size * 1.5)));
        out = scratch.buffer.subarray(0, size);
      }
      const written = native.gunzip(bytes, out);
      if (written > limit) throw tooLarge();
      if (written >= 0) return out.subarray(0, written);
      if (size >= cap) break;
    }
    // limit + 1 bytes were not enough; else (a ratio past deflate's) zlib decides.
    if (cap === limit + 1) throw tooLarge();
  }
  try {
    // Chunks of at most 256 MiB: a file inflating to more is read in several.
    return gunzipSync(bytes, { chunkSize: Math.max(64, Math.min(hint + 1, 256 * 1024 * 1024)), maxOutputLength: limit });
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw cause;
  }
}
