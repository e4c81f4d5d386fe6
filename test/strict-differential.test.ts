/**
 * The native scanner against the strict reference, file by file, on mutated delivery files
 * (helpers/mutate-delivery.ts): the same accept or reject, and for an accepted file the same
 * records, time span, data sources and call rows as JSON.parse (strict-parse.ts: the rules the
 * walker keeps, written over JSON.parse) and the reference attribution (reference.ts).
 *
 * The reference reads a file as: gzip by Node's zlib (members concatenated); more decompressed
 * bytes than the size limit, or bytes that are not UTF-8, refused (JSON.parse of a Buffer decoded
 * as UTF-8 would replace them with U+FFFD, i.e. silently change the evidence); then
 * parseLogRecords; then scanRecords. A file parseLogRecords refuses is refused by the scanner in
 * the same words, at the same byte; and JSON.parse stays the judge of what is JSON: a file of one
 * document (wrapped or array) the reference accepts, JSON.parse accepts, and one it refuses as
 * invalid JSON, JSON.parse refuses.
 *
 * 1,200 mutants in the suite; `npm run fuzz:diff -- --files 10000 [--seed N]` runs more (its
 * figures are in docs/fuzzing.md). IAMTRIM_DIFF_FILES and IAMTRIM_DIFF_SEED set the same.
 */
import { isUtf8 } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { scanLogFile, shapeOf } from '../src/ingest/local/stream/file-scanner.js';
import { walkerName } from '../src/ingest/local/stream/record-index.js';
import { parseLogRecords } from '../src/ingest/local/stream/strict-parse.js';
import { callKey } from '../src/ingest/call-rows.js';
import { scanRecords, type FileScan } from '../src/ingest/reference.js';
import { BadLogFileError, scanLimits, type ScanLimits } from '../src/limits.js';
import type { UsageQuery } from '../src/model.js';
import { compareText } from '../src/util/compare-text.js';
import { mutants, seedFiles } from './helpers/mutate-delivery.js';

const FILES = Number(process.env['IAMTRIM_DIFF_FILES'] ?? 1200);
const SEED = Number(process.env['IAMTRIM_DIFF_SEED'] ?? 19);
const window = { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' };
const query: UsageQuery = { roles: { kind: 'all' }, window };

const dir = mkdtempSync(join(tmpdir(), 'iamtrim-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `text`: the bytes parseLogRecords read, when they got that far. */
type ReferenceRead = ({ ok: true; scan: FileScan } | { ok: false; why: string }) & { text?: string };

/** The reference's reading of a file as on disk (see the header). */
function referenceRead(path: string, limits: ScanLimits): ReferenceRead {
  const raw = readFileSync(path);
  let bytes = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: limits.fileBytes });
    } catch (cause) {
      return { ok: false, why: `gzip: ${(cause as Error).message}` };
    }
  }
  if (bytes.length > limits.fileBytes) return { ok: false, why: 'size' };
  if (!isUtf8(bytes)) return { ok: false, why: 'not UTF-8' };
  const text = bytes.toString('utf8');
  try {
    return { ok: true, scan: scanRecords(parseLogRecords(text, shapeOf(path, bytes), limits), query), text };
  } catch (cause) {
    if (cause instanceof BadLogFileError) return { ok: false, why: cause.message, text };
    throw cause;
  }
}

/** Whether JSON.parse reads `text` (one leading byte order mark aside). */
function parses(text: string): boolean {
  try {
    JSON.parse(text.replace(/^\uFEFF/, ''));
    return true;
  } catch {
    return false;
  }
}

/** What a scan gives that the two must agree on. */
function comparable(scan: FileScan): unknown {
  return {
    records: scan.records,
    validRecords: scan.validRecords,
    first: scan.first,
    last: scan.last,
    dataSources: [...scan.dataSources].sort(compareText),
    rows: [...scan.calls.values()].sort((a, b) => compareText(callKey(a), callKey(b))),
  };
}

describe(`the scanner (${walkerName()} walker) equals the strict reference on mutated files`, () => {
  it(`${FILES} mutants from seed ${SEED}: same accept/reject, same rows`, () => {
    const limits = scanLimits();
    const tally = new Map<string, { accepted: number; rejected: number }>();
    let compared = 0;
    const started = Date.now();
    for (const m of mutants(seedFiles(), FILES, SEED, limits.depth)) {
      const path = join(dir, m.name);
      writeFileSync(path, m.bytes);
      const ref = referenceRead(path, limits);
      const got = scanLogFile(path, query);
      const label = `mutant ${compared} (${m.kind}, ${m.name}, seed ${SEED}): reference ${ref.ok ? 'accepts' : `refuses (${ref.why})`}, scanner ${got.ok ? 'accepts' : `refuses (${got.reason})`}`;
      expect(got.ok, label).toBe(ref.ok);
      if (got.ok && ref.ok) expect(comparable(got.scan), label).toEqual(comparable(ref.scan));
      if (!got.ok && !ref.ok && ref.text !== undefined) expect(got.reason, label).toBe(ref.why);
      if (ref.text !== undefined && shapeOf(path, Buffer.from(ref.text)) !== 'lines') {
        if (ref.ok) expect(parses(ref.text), label).toBe(true);
        else if (ref.why.startsWith('invalid JSON')) expect(parses(ref.text), label).toBe(false);
      }
      const t = tally.get(m.kind) ?? { accepted: 0, rejected: 0 };
      if (got.ok) t.accepted++;
      else t.rejected++;
      tally.set(m.kind, t);
      compared++;
    }
    const accepted = [...tally.values()].reduce((sum, t) => sum + t.accepted, 0);
    console.log(
      `differential: ${compared} files compared in ${((Date.now() - started) / 1000).toFixed(1)} s, ${accepted} accepted, ${compared - accepted} refused; ` +
        [...tally.entries()]
          .sort(([a], [b]) => compareText(a, b))
          .map(([k, t]) => `${k} ${t.accepted}/${t.rejected}`)
          .join(', '),
    );
    expect(compared).toBe(FILES);
    // The mutants exercise both sides: valid files read, invalid ones refused, in most kinds.
    expect(accepted).toBeGreaterThan(FILES / 10);
    expect(compared - accepted).toBeGreaterThan(FILES / 4);
    for (const kind of ['truncate-sweep', 'bit-flip', 'duplicate', 'scalar', 'escape', 'byte-insert']) {
      if (FILES >= 1000) expect(tally.get(kind)?.rejected ?? 0, kind).toBeGreaterThan(0);
    }
    for (const kind of ['valid', 'whitespace', 'gzip-members', 'duplicate', 'scalar', 'escape']) {
      if (FILES >= 1000) expect(tally.get(kind)?.accepted ?? 0, kind).toBeGreaterThan(0);
    }
  }, 600_000);
});
