/**
 * The records of one log file's text by JSON.parse, held to the same rules as the native walker
 * (native/scan.c): the reference path where the native module does not load, and what
 * test/strict-differential.test.ts holds the walker to, file by file.
 *
 * - One leading byte order mark is ignored (RFC 8259 section 8.1 lets a parser ignore one).
 * - Text: `JSON.parse`; for JSON lines each top-level value (whitespace between) is parsed alone.
 * - Shape (discover.ts's FileShape): wrapped is an object with a `Records` array (its elements
 *   are the records; other members, a nested `Records` among them, are not read); array is one
 *   JSON array; lines are record objects.
 * - Duplicate member names among those a scan reads (the wrapper's `Records`; a record's fields,
 *   `userIdentity`, `sessionContext`, `sessionIssuer` and theirs) make the file bad; elsewhere the
 *   last wins, as in JSON.parse.
 * - Nesting deeper than the depth limit, or more records than the records limit: a bad file.
 *
 * The caller has read the bytes within the size limit and checked they are UTF-8 (file-scanner.ts).
 */
import { BadLogFileError, duplicateReason, limitReason, type ScanLimits } from '../../../limits.js';
import type { FileShape } from '../discover.js';

/** The member names a scan reads, per object it walks. */
const READ = {
  wrapper: ['Records'],
  record: ['eventTime', '@timestamp', 'eventType', 'eventSource', 'eventName', 'awsRegion', 'recipientAccountId', 'eventCategory', 'errorCode', 'userIdentity', 'requestParameters', 'resources'],
  identity: ['accountId', 'invokedBy', 'sessionContext'],
  session: ['sessionIssuer'],
  issuer: ['type', 'arn', 'userName'],
};

/** Objects parsed by `parseKeys` carry their repeated member names here. */
const REPEATED = Symbol('repeated member names');
type Parsed = { [REPEATED]?: Set<string> } & Record<string, unknown>;

/**
 * JSON.parse again, keeping which member names an object repeats. Only called on text JSON.parse
 * accepted, so it needs no error handling; recursive (the text's depth is within the limit).
 */
function parseKeys(text: string): unknown {
  let i = 0;
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
  };
  const string = (): string => {
    const start = i++;
    let escaped = false;
    while (text[i] !== '"') {
      if (text[i] === '\\') {
        escaped = true;
        i++;
      }
      i++;
    }
    i++;
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
  };
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Parsed = {};
      space();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        space();
        const key = string();
        space();
        i++; // ':'
        const v = value();
        if (Object.hasOwn(out, key)) (out[REPEATED] ??= new Set()).add(key);
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
        space();
        if (text[i++] === '}') return out;
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        space();
        if (text[i++] === ']') return out;
      }
    }
    if (c === '"') return string();
    const start = i;
    while (i < text.length && !',]} \t\n\r'.includes(text[i] ?? '')) i++;
    return JSON.parse(text.slice(start, i));
  };
  return value();
}

function isObject(v: unknown): v is Parsed {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The first name of `names` that `object` repeats, if any. */
function repeated(object: unknown, names: readonly string[]): string | undefined {
  if (!isObject(object)) return undefined;
  return names.find((n) => object[REPEATED]?.has(n) === true);
}

function recordDuplicate(record: unknown): string | undefined {
  if (!isObject(record)) return undefined;
  const identity = record['userIdentity'];
  const session = isObject(identity) ? identity['sessionContext'] : undefined;
  const issuer = isObject(session) ? session['sessionIssuer'] : undefined;
  return repeated(record, READ.record) ?? repeated(identity, READ.identity) ?? repeated(session, READ.session) ?? repeated(issuer, READ.issuer);
}

/** The most objects and arrays open at once in valid JSON text. */
function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/**
 * JSON lines: the top-level values of `text`, each JSON.parse'd alone. A value's end is found by
 * counting brackets outside strings; JSON.parse then judges each piece, so a cut in a wrong place
 * can only make a piece invalid, never an invalid text valid.
 */
function splitLines(text: string): string[] | undefined {
  const pieces: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
    if (i >= text.length) return pieces;
    if (text[i] !== '{') return undefined;
    const start = i;
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      } else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (--depth === 0) break;
      }
    }
    pieces.push(text.slice(start, ++i));
  }
}

function invalid(cause: unknown): BadLogFileError {
  return new BadLogFileError(`invalid JSON: ${cause instanceof Error ? cause.message : String(cause)}; the file is not valid JSON`);
}

/** The first member a scan reads that a record (or an object in it that the scan reads) repeats. */
function firstDuplicate(records: readonly unknown[]): string | undefined {
  for (const record of records) {
    const name = recordDuplicate(record);
    if (name !== undefined) return name;
  }
  return undefined;
}

/**
 * The records of `text` (a file's UTF-8 text) held as `shape` says, or a BadLogFileError saying
 * why the file is refused.
 */
export function parseLogRecords(text: string, shape: FileShape, limits: ScanLimits): unknown[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const pieces = shape === 'lines' ? splitLines(body) : [body];
  if (pieces === undefined) throw new BadLogFileError('not a CloudTrail log: a JSON lines file holds a value that is not a record object');
  if (pieces.length === 0) throw new BadLogFileError('invalid JSON: no JSON value; the file is not valid JSON');
  const values: unknown[] = [];
  for (const piece of pieces) {
    try {
      values.push(JSON.parse(piece));
    } catch (cause) {
      throw invalid(cause);
    }
    if (depthOf(piece) > limits.depth) throw new BadLogFileError(limitReason.depth(limits.depth));
  }
  let records: unknown[];
  if (shape === 'lines') {
    if (!values.every(isObject)) throw new BadLogFileError('not a CloudTrail log: a JSON lines file holds a value that is not a record object');
    records = pieces.map(parseKeys);
  } else if (shape === 'array') {
    if (!Array.isArray(values[0])) throw new BadLogFileError('not a CloudTrail log: expected a JSON array of records');
    records = parseKeys(body) as unknown[];
  } else {
    const wrapper = parseKeys(body);
    if (!isObject(wrapper)) throw new BadLogFileError('not a CloudTrail log: expected the {"Records":[...]} object of a CloudTrail delivery file');
    if (repeated(wrapper, READ.wrapper) !== undefined) throw new BadLogFileError(duplicateReason('"Records"'));
    if (!Object.hasOwn(wrapper, 'Records')) throw new BadLogFileError('not a CloudTrail log: no "Records" array: not a CloudTrail delivery file');
    const list = wrapper['Records'];
    if (!Array.isArray(list)) throw new BadLogFileError('not a CloudTrail log: "Records" is not an array');
    records = list;
  }
  const duplicate = firstDuplicate(records);
  if (duplicate !== undefined) throw new BadLogFileError(duplicateReason(JSON.stringify(duplicate)));
  if (records.length > limits.records) throw new BadLogFileError(limitReason.records(limits.records));
  return records;
}
