/**
 * The records of one log file by JSON.parse, held to the native walker's rules (native/scan-json.c
 * and scan-walk.c) and refused in its words: the reference path where the native module does not
 * load, and what test/strict-differential.test.ts holds the walker to, file by file.
 *
 * The bytes are first checked in the walker's order, and the first problem refuses the file
 * with the walker's message at the same byte (limits.ts walkRefusal):
 * - strict JSON (RFC 8259), after one leading byte order mark (section 8.1 lets a parser ignore one);
 * - the shape (discover.ts's FileShape): wrapped is an object with a `Records` array (its
 *   elements are the records; other members, a nested `Records` among them, are not read);
 *   array is one JSON array; lines are record objects separated by whitespace;
 * - no more than the depth limit of objects and arrays open at once, nor records than the limit;
 * - no member name a scan reads (the wrapper's `Records`; a record's fields, `userIdentity`,
 *   `sessionContext`, `sessionIssuer` and theirs) twice in one object; elsewhere the last wins,
 *   as in JSON.parse.
 * Only then is each record JSON.parse'd: a file past the records limit costs no parsed record.
 *
 * The caller has read the bytes within the size limit and checked they are UTF-8 (file-scanner.ts).
 */
import { BadLogFileError, walkRefusal, type ScanLimits } from '../../../limits.js';
import type { FileShape } from '../discover.js';
import { FIELDS } from './record-index.js';

/** Per member a scan reads in an object, the members it reads inside that member (undefined: none). */
type Reads = Map<string, Reads | undefined>;

/** What the wrapper's `Records` (or an array-shaped file) holds: an array of records. */
const RECORDS: Reads = new Map();
const WRAPPER: Reads = new Map([['Records', RECORDS]]);
/** A record's members a scan reads: the paths of record-index.ts's FIELDS. */
const RECORD: Reads = new Map();
for (const path of FIELDS) {
  const names = path.split('.');
  const leaf = names.pop() ?? '';
  let reads = RECORD;
  for (const name of names) {
    let inner = reads.get(name);
    if (inner === undefined) reads.set(name, (inner = new Map()));
    reads = inner;
  }
  reads.set(leaf, undefined);
}

const END = 'unexpected end of input';

/**
 * The records of a file's bytes (or text) held as `shape` says, or a BadLogFileError saying why
 * the file is refused.
 */
export function parseLogRecords(input: Buffer | string, shape: FileShape, limits: ScanLimits): unknown[] {
  const s = typeof input === 'string' ? Buffer.from(input) : input;
  const n = s.length;
  const at = (i: number): number => (i < n ? (s[i] ?? -1) : -1);
  const digit = (i: number): boolean => at(i) >= 0x30 && at(i) <= 0x39;
  const fail = (code: string, what: string, i: number, end = i): never => {
    throw walkRefusal(s, code, what, i, end, limits);
  };
  const space = (i: number): number => {
    for (let c = at(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = at(++i));
    return i;
  };
  /** Each record's [start, end) in turn. */
  const spans: number[] = [];
  let depth = 0;
  let recordsFound = false;

  /** i at an opening quote: the index after the closing one. */
  const string = (i: number): number => {
    for (let j = i + 1; ;) {
      const c = at(j);
      if (c === 0x22) return j + 1;
      if (c < 0) fail('json', 'unterminated string', i);
      if (c < 0x20) fail('json', 'raw control character in a string', j);
      if (c !== 0x5c) {
        j++;
        continue;
      }
      const e = at(j + 1);
      if (e < 0) fail('json', 'unterminated string', i);
      if (e === 0x75 ? !/^[0-9a-fA-F]{4}$/.test(s.toString('latin1', j + 2, Math.min(n, j + 6))) : !'"\\/bfnrt'.includes(String.fromCharCode(e))) {
        fail('json', 'invalid escape in a string', j);
      }
      j += e === 0x75 ? 6 : 2;
    }
  };

  /** i at a number, true, false or null: the index after it. */
  const scalar = (i: number): number => {
    const c = at(i);
    const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (word !== undefined) {
      if (s.toString('latin1', i, i + word.length) !== word) fail('json', 'invalid literal (JSON has only true, false and null)', i);
      return i + word.length;
    }
    let j = c === 0x2d ? i + 1 : i;
    if (at(j) === 0x30) j++;
    else if (digit(j)) while (digit(j)) j++;
    else if (c < 0) fail('json', END, i);
    else fail('json', c === 0x2d ? 'invalid number' : 'expected a value', j);
    if (at(j) === 0x2e) {
      if (!digit(++j)) fail('json', 'invalid number', j);
      while (digit(j)) j++;
    }
    if (at(j) === 0x65 || at(j) === 0x45) {
      if (at(++j) === 0x2b || at(j) === 0x2d) j++;
      if (!digit(j)) fail('json', 'invalid number', j);
      while (digit(j)) j++;
    }
    return j;
  };

  /** i at a value: the index after it. `reads`: the members read when it is an object, or RECORDS. */
  const value = (i: number, reads?: Reads): number => {
    const c = at(i);
    if (c === 0x22) return string(i);
    if (c !== 0x7b && c !== 0x5b) return scalar(i);
    if (depth >= limits.depth) fail('depth', '', i);
    depth++;
    const close = c === 0x7b ? 0x7d : 0x5d;
    const seen = new Set<string>();
    let j = space(i + 1);
    for (let first = true; ; first = false) {
      if (first && at(j) === close) break;
      if (c === 0x5b) j = reads === RECORDS ? record(j) : value(j);
      else {
        if (at(j) !== 0x22) fail('json', j >= n ? END : 'expected a member name', j);
        const keyEnd = string(j);
        const name = reads === undefined ? '' : (JSON.parse(s.toString('utf8', j, keyEnd)) as string);
        const read = reads?.has(name) === true;
        if (read && seen.has(name)) fail('duplicate', '', j, keyEnd);
        if (read) seen.add(name);
        j = space(keyEnd);
        if (at(j) !== 0x3a) fail('json', j >= n ? END : 'expected ":"', j);
        j = space(j + 1);
        const inner = reads?.get(name);
        if (inner === RECORDS) {
          recordsFound = true;
          if (at(j) !== 0x5b) fail('shape', '"Records" is not an array', j);
        }
        j = value(j, inner);
      }
      j = space(j);
      if (at(j) === close) break;
      if (at(j) !== 0x2c) fail('json', at(j) < 0 ? END : close === 0x7d ? 'expected "," or "}"' : 'expected "," or "]"', j);
      j = space(j + 1);
    }
    depth--;
    return j + 1;
  };

  /** One record: any value, counted, its members read when it is an object. */
  const record = (i: number): number => {
    if (spans.length / 2 >= limits.records) fail('records', '', i);
    const end = value(i, RECORD);
    spans.push(i, end);
    return end;
  };

  let j = space(n >= 3 && s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf ? 3 : 0);
  if (j >= n) fail('json', 'no JSON value', j);
  if (shape === 'lines') {
    while (j < n) {
      if (s[j] !== 0x7b) fail('shape', 'a JSON lines file holds a value that is not a record object', j);
      j = space(record(j));
    }
  } else {
    const start = j;
    if (shape === 'array') {
      if (s[j] !== 0x5b) fail('shape', 'expected a JSON array of records', j);
      j = value(j, RECORDS);
    } else {
      if (s[j] !== 0x7b) fail('shape', 'expected the {"Records":[...]} object of a CloudTrail delivery file', j);
      j = value(j, WRAPPER);
      if (!recordsFound) fail('shape', 'no "Records" array: not a CloudTrail delivery file', start);
    }
    j = space(j);
    if (j < n) fail('json', 'text after the end of the JSON document', j);
  }
  const out: unknown[] = [];
  for (let k = 0; k < spans.length; k += 2) {
    try {
      out.push(JSON.parse(s.toString('utf8', spans[k], spans[k + 1])));
    } catch (cause) {
      // Text the check above passed is JSON: this is a bug in the check, still a bad file.
      throw new BadLogFileError(`invalid JSON: ${(cause as Error).message}; the file is not valid JSON`);
    }
  }
  return out;
}
