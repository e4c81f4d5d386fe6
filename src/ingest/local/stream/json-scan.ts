/**
 * A single-pass structural JSON scanner over the UTF-8 bytes of CloudTrail log files. A delivery file is one
 * `{"Records":[...]}` object of a few MB; a full parse materialises every field of every record
 * (userAgent, tlsDetails, responseElements, ...), which was most of the cost of a scan. The
 * scanner walks the bytes once (structural characters are ASCII, so UTF-8 needs no decoding), hands out the members a caller names (by position, without
 * allocating their names) and steps over everything else; callers decode the few values they need
 * with `JSON.parse` on the value's own text, so a value means exactly what a full parse gives.
 *
 * It checks structure (matched brackets, terminated strings, member and element syntax) and throws
 * {@link JsonScanError} on malformed input, so a corrupt file is reported and not half-read.
 * Literals inside skipped values are checked only for their characters, not spelled out.
 */

export class JsonScanError extends Error {
  constructor(message: string, readonly position: number) {
    super(`invalid JSON: ${message} at character ${position}`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipSpace(s: Buffer, i: number): number {
  while (i < s.length && isSpace(s[i])) i++;
  return i;
}

/** `i` at an opening quote; returns the index after the closing quote. */
export function skipString(s: Buffer, i: number): number {
  const n = s.length;
  for (let j = i + 1; j < n; j++) {
    const c = s[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  throw new JsonScanError('unterminated string', i);
}

/** Whether the token at [start, end) has a backslash (an escape). */
function hasBackslash(s: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (s[k] === BACKSLASH) return true;
  return false;
}

/** `i` at the first character of a value; returns the index after it. */
export function skipValue(s: Buffer, i: number): number {
  const c = s[i];
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    // Expected closers as a stack in a number's bits would cap depth; a small array is fine.
    const closers: number[] = [c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET];
    const n = s.length;
    for (let j = i + 1; j < n; j++) {
      const d = s[j];
      if (d === QUOTE) {
        j = skipString(s, j) - 1;
      } else if (d === OPEN_BRACE) {
        closers.push(CLOSE_BRACE);
      } else if (d === OPEN_BRACKET) {
        closers.push(CLOSE_BRACKET);
      } else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (closers.pop() !== d) throw new JsonScanError('mismatched bracket', j);
        if (closers.length === 0) return j + 1;
      }
    }
    throw new JsonScanError('unexpected end of input', n);
  }
  // A number, true, false or null: runs to the next delimiter.
  let j = i;
  while (j < s.length) {
    const d = s[j];
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    if (d === QUOTE || d === OPEN_BRACE || d === OPEN_BRACKET || d === COLON) throw new JsonScanError('unexpected character', j);
    j++;
  }
  if (j === i) throw new JsonScanError(i >= s.length ? 'unexpected end of input' : 'expected a value', i);
  return j;
}

/** The decoded text of the string token at [start, end). */
function stringAt(s: Buffer, start: number, end: number, hasEscape: boolean): string {
  return hasEscape ? (JSON.parse(s.toString('utf8', start, end)) as string) : s.toString('utf8', start + 1, end - 1);
}

/**
 * The member names a caller reads from one kind of object, compiled for lookup by the name's
 * length and first character, so most members are dismissed without comparing text.
 */
export class MemberNames {
  private readonly table = new Map<number, { name: string; bytes: Buffer; id: number }[]>();
  constructor(names: readonly string[]) {
    names.forEach((name, id) => {
      const bytes = Buffer.from(name, 'utf8');
      const slot = bytes.length * 65536 + (bytes[0] ?? 0);
      const list = this.table.get(slot) ?? [];
      list.push({ name: `"${name}"`, bytes: Buffer.from(`"${name}"`, 'utf8'), id });
      this.table.set(slot, list);
    });
  }
  /** The id of the name of the key token at [start, end), or -1. */
  idOf(s: Buffer, start: number, end: number): number {
    const list = this.table.get((end - start - 2) * 65536 + (s[start + 1] ?? 0));
    if (list !== undefined) for (const entry of list) if (sameBytes(s, start, entry.bytes)) return entry.id;
    if (hasBackslash(s, start, end)) {
      const decoded = JSON.parse(s.toString('utf8', start, end)) as string;
      const bytes = Buffer.from(decoded, 'utf8');
      return this.table.get(bytes.length * 65536 + (bytes[0] ?? 0))?.find((e) => e.name === `"${decoded}"`)?.id ?? -1;
    }
    return -1;
  }
}

/**
 * Walks the object at `i` (which must be `{`): for each member whose name is in `names`,
 * `member(id, valueStart)` must consume the value and return the index after it; other members
 * are skipped. Returns the index after the closing brace.
 */
export function walkObject(s: Buffer, i: number, names: MemberNames, member: (id: number, start: number) => number): number {
  if (s[i] !== OPEN_BRACE) throw new JsonScanError('expected an object', i);
  let j = skipSpace(s, i + 1);
  if (s[j] === CLOSE_BRACE) return j + 1;
  for (;;) {
    if (s[j] !== QUOTE) throw new JsonScanError('expected a member name', j);
    const keyEnd = skipString(s, j);
    const id = names.idOf(s, j, keyEnd);
    j = skipSpace(s, keyEnd);
    if (s[j] !== COLON) throw new JsonScanError('expected ":"', j);
    const start = skipSpace(s, j + 1);
    const end = id < 0 ? skipValue(s, start) : member(id, start);
    j = skipSpace(s, end);
    const c = s[j];
    if (c === CLOSE_BRACE) return j + 1;
    if (c !== COMMA) throw new JsonScanError('expected "," or "}"', j);
    j = skipSpace(s, j + 1);
  }
}

/**
 * Walks the array at `i`: `element(start)` must consume each element and return the index after
 * it. Returns the index after `]`.
 */
export function walkArray(s: Buffer, i: number, element: (start: number) => number): number {
  if (s[i] !== OPEN_BRACKET) throw new JsonScanError('expected an array', i);
  let j = skipSpace(s, i + 1);
  if (s[j] === CLOSE_BRACKET) return j + 1;
  for (;;) {
    const end = element(j);
    j = skipSpace(s, end);
    const c = s[j];
    if (c === CLOSE_BRACKET) return j + 1;
    if (c !== COMMA) throw new JsonScanError('expected "," or "]"', j);
    j = skipSpace(s, j + 1);
  }
}

function sameBytes(s: Buffer, at: number, bytes: Buffer): boolean {
  for (let k = 0; k < bytes.length; k++) if (s[at + k] !== bytes[k]) return false;
  return true;
}

/** The decoded JSON value at [start, end). */
export function parseAt(s: Buffer, start: number, end: number): unknown {
  return JSON.parse(s.toString('utf8', start, end));
}

/** Walks each top-level value of a document (one value, or JSON lines); `value` returns its end. */
export function walkDocument(s: Buffer, value: (start: number) => number): void {
  let j = skipSpace(s, s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf ? 3 : 0);
  while (j < s.length) j = skipSpace(s, value(j));
}

/**
 * Reads the value at `start` if it is a string (decoded) and returns [value, end]; any other value
 * is decoded with JSON.parse. Used for the scalar members attribution reads.
 */
export function readValue(s: Buffer, start: number): { value: unknown; end: number } {
  if (s[start] === QUOTE) {
    const end = skipString(s, start);
    return { value: stringAt(s, start, end, hasBackslash(s, start, end)), end };
  }
  const end = skipValue(s, start);
  return { value: JSON.parse(s.toString('utf8', start, end)), end };
}
