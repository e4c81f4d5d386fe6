/**
 * A single-pass structural JSON scanner over the UTF-8 bytes of CloudTrail log files. A delivery
 * file is one `{"Records":[...]}` object of a few MB; a full parse materialises every field of
 * every record (userAgent, tlsDetails, responseElements, ...), which was most of the cost of a
 * scan. The scanner walks the bytes once (structural characters are ASCII, so UTF-8 needs no
 * decoding), hands out the members a caller names (by position, without allocating their names)
 * and steps over everything else; the few values a caller reads are decoded from their own bytes,
 * with `JSON.parse` whenever they hold an escape, so a value means exactly what a full parse gives.
 *
 * It checks structure (matched brackets, terminated strings, member and element syntax) and throws
 * {@link JsonScanError} on malformed input, so a corrupt file is reported and not half-read.
 * Literals inside skipped values are checked only for their characters, not spelled out.
 */

export class JsonScanError extends Error {
  constructor(message: string, readonly position: number) {
    super(`invalid JSON: ${message} at byte ${position}`);
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

/** Byte classes for the container loop: 0 for bytes that need no attention. */
const STRUCTURAL = new Uint8Array(256);
STRUCTURAL[QUOTE] = 1;
STRUCTURAL[OPEN_BRACE] = 2;
STRUCTURAL[OPEN_BRACKET] = 2;
STRUCTURAL[CLOSE_BRACE] = 3;
STRUCTURAL[CLOSE_BRACKET] = 3;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipSpace(s: Buffer, i: number): number {
  while (isSpace(s[i])) i++;
  return i;
}

/** Past this many bytes a string's end is searched natively (memchr) instead of byte by byte. */
const SHORT_STRING = 24;

/** The index after the quote closing a string whose content starts at `j` (past SHORT_STRING). */
function longStringEnd(s: Buffer, j: number, opening: number): number {
  for (;;) {
    const quote = s.indexOf(QUOTE, j);
    if (quote < 0) throw new JsonScanError('unterminated string', opening);
    let b = quote - 1;
    while (s[b] === BACKSLASH) b--;
    if ((quote - 1 - b) % 2 === 0) return quote + 1;
    j = quote + 1;
  }
}

/** `i` at an opening quote; returns the index after the closing quote. */
export function skipString(s: Buffer, i: number): number {
  const n = Math.min(s.length, i + 1 + SHORT_STRING);
  for (let j = i + 1; j < n; j++) {
    const c = s[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) return longStringEnd(s, j, i);
  }
  if (n >= s.length) throw new JsonScanError('unterminated string', i);
  return longStringEnd(s, n, i);
}

/** Whether [start, end) holds a backslash (a string token with an escape). */
export function hasBackslash(s: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (s[k] === BACKSLASH) return true;
  return false;
}

/** Skips the object or array at `i`, matching brackets with a stack of expected closers. */
function skipContainer(s: Buffer, i: number): number {
  const closers: number[] = [s[i] === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET];
  const n = s.length;
  for (let j = i + 1; j < n; j++) {
    const d = s[j] ?? 0;
    const kind = STRUCTURAL[d];
    if (kind === 0) continue;
    if (kind === 1) {
      j = skipString(s, j) - 1;
    } else if (kind === 2) {
      closers.push(d === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET);
    } else {
      if (closers.pop() !== d) throw new JsonScanError('mismatched bracket', j);
      if (closers.length === 0) return j + 1;
    }
  }
  throw new JsonScanError('unexpected end of input', n);
}

/** `i` at the first character of a value; returns the index after it. */
export function skipValue(s: Buffer, i: number): number {
  const c = s[i];
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return skipContainer(s, i);
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

function sameBytes(s: Buffer, at: number, bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) if (s[at + k] !== bytes[k]) return false;
  return true;
}

/**
 * The member names a caller reads from one kind of object, compiled for lookup by the name's
 * length and first byte, so most members are dismissed without comparing bytes.
 */
export class MemberNames {
  private readonly slots: ({ token: Uint8Array; id: number }[] | undefined)[] = [];
  private readonly names: string[];
  constructor(names: readonly string[]) {
    this.names = [...names];
    names.forEach((name, id) => {
      const token = Buffer.from(JSON.stringify(name), 'utf8');
      const slot = MemberNames.slot(token.length, token[1] ?? 0);
      (this.slots[slot] ??= []).push({ token, id });
    });
  }
  private static slot(tokenLength: number, first: number): number {
    return ((tokenLength & 63) << 8) | first;
  }
  /** The id of the name of the key token at [start, end), or -1. */
  idOf(s: Buffer, start: number, end: number): number {
    const list = this.slots[MemberNames.slot(end - start, s[start + 1] ?? 0)];
    if (list !== undefined) {
      for (const entry of list) if (entry.token.length === end - start && sameBytes(s, start, entry.token)) return entry.id;
    }
    // An escaped key (`"event\u0054ime"`) is the same name as the plain one.
    if (hasBackslash(s, start, end)) return this.names.indexOf(JSON.parse(s.toString('utf8', start, end)) as string);
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
    j = keyEnd;
    if (s[j] !== COLON) {
      j = skipSpace(s, j);
      if (s[j] !== COLON) throw new JsonScanError('expected ":"', j);
    }
    let start = j + 1;
    if (isSpace(s[start])) start = skipSpace(s, start);
    j = id < 0 ? skipValue(s, start) : member(id, start);
    if (isSpace(s[j])) j = skipSpace(s, j);
    const c = s[j];
    if (c === CLOSE_BRACE) return j + 1;
    if (c !== COMMA) throw new JsonScanError('expected "," or "}"', j);
    j++;
    if (isSpace(s[j])) j = skipSpace(s, j);
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
    j = skipSpace(s, element(j));
    const c = s[j];
    if (c === CLOSE_BRACKET) return j + 1;
    if (c !== COMMA) throw new JsonScanError('expected "," or "]"', j);
    j = skipSpace(s, j + 1);
  }
}

/** Walks each top-level value of a document (one value, or JSON lines); `value` returns its end. */
export function walkDocument(s: Buffer, value: (start: number) => number): void {
  let j = skipSpace(s, s[0] === 0xef && s[1] === 0xbb && s[2] === 0xbf ? 3 : 0);
  while (j < s.length) j = skipSpace(s, value(j));
}

/** The decoded JSON value at [start, end). */
export function parseAt(s: Buffer, start: number, end: number): unknown {
  return JSON.parse(s.toString('utf8', start, end));
}

/**
 * Decodes string tokens, remembering recent ones: the fields attribution reads (event source,
 * region, role ARN, ...) repeat across records, and decoding bytes into a string costs more
 * than comparing them with the last string seen in the same hash slot.
 */
export class Interner {
  private readonly tokens: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(1024);
  private readonly values: string[] = new Array<string>(1024);

  /** The string of the string token [start, end) (quotes included). */
  private decode(s: Buffer, start: number, end: number): string {
    const length = end - start;
    const slot = (length * 31 + (s[start + 1] ?? 0) * 7 + (s[end - 2] ?? 0) * 13 + (s[start + (length >> 1)] ?? 0)) & 1023;
    const token = this.tokens[slot];
    if (token !== undefined && token.length === length && sameBytes(s, start, token)) return this.values[slot] ?? '';
    const value = hasBackslash(s, start, end) ? (JSON.parse(s.toString('utf8', start, end)) as string) : s.toString('utf8', start + 1, end - 1);
    if (length <= 256) {
      this.tokens[slot] = Uint8Array.prototype.slice.call(s, start, end);
      this.values[slot] = value;
    }
    return value;
  }

  /** Reads the value at `start`: a string is decoded (interned), anything else parsed. Sets `end`. */
  read(s: Buffer, start: number): unknown {
    if (s[start] === QUOTE) {
      this.end = skipString(s, start);
      return this.decode(s, start, this.end);
    }
    this.end = skipValue(s, start);
    return JSON.parse(s.toString('utf8', start, this.end));
  }

  /** Reads the value at `start` like `read`, without remembering it (values that rarely repeat). */
  readOnce(s: Buffer, start: number): unknown {
    if (s[start] === QUOTE) {
      this.end = skipString(s, start);
      return hasBackslash(s, start, this.end) ? JSON.parse(s.toString('utf8', start, this.end)) : s.toString('utf8', start + 1, this.end - 1);
    }
    this.end = skipValue(s, start);
    return JSON.parse(s.toString('utf8', start, this.end));
  }

  /** The end of the value the last `read` consumed. */
  end = 0;
}
