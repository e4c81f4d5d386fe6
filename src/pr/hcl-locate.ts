/**
 * A small, careful HCL scanner: it finds blocks by type and labels and attributes by name, and
 * reports byte spans, so the Terraform rewrite can replace one body or one attribute value and
 * leave every other byte of the file as it was. It understands just enough syntax to match
 * brackets correctly: quoted strings with escapes and `${...}` / `%{...}` templates, heredocs,
 * and `#`, `//` and `/* *\/` comments. It does not evaluate anything.
 */
import { InputError } from '../errors.js';

export interface HclBlock {
  kind: 'block';
  type: string;
  labels: string[];
  /** Index of the first character of the block type. */
  start: number;
  /** Index just after `{`. */
  bodyStart: number;
  /** Index of the closing `}`. */
  bodyEnd: number;
}

export interface HclAttribute {
  kind: 'attribute';
  name: string;
  start: number;
  /** The value expression: first to last significant character (trailing comments excluded). */
  valueStart: number;
  valueEnd: number;
}

export type HclItem = HclBlock | HclAttribute;

/** 1-based line of an offset, for error messages. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

function fail(file: string, text: string, at: number, what: string): never {
  throw new InputError(`${file}:${lineOf(text, at)}: ${what}`, { hint: 'check the file with `terraform validate`' });
}

export interface Scanner {
  file: string;
  text: string;
}

/** If a comment starts at i, the index just after it (the newline is not part of it); else i. */
export function skipComment(s: Scanner, i: number): number {
  const { text } = s;
  if (text[i] === '#' || (text[i] === '/' && text[i + 1] === '/')) {
    const nl = text.indexOf('\n', i);
    return nl === -1 ? text.length : nl;
  }
  if (text[i] === '/' && text[i + 1] === '*') {
    const close = text.indexOf('*/', i + 2);
    if (close === -1) fail(s.file, s.text, i, 'unterminated /* comment');
    return close + 2;
  }
  return i;
}

/** Heredoc opener at i: `<<EOF` or `<<-EOF` followed by a newline. */
export function heredocAt(text: string, i: number): { marker: string; indented: boolean; contentStart: number } | undefined {
  const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/.exec(text.slice(i, i + 200));
  if (m === null || m[2] === undefined) return undefined;
  return { marker: m[2], indented: m[1] === '-', contentStart: i + m[0].length };
}

/** For a heredoc at i: the start of its terminator line and the index just after the marker. */
export function heredocEnd(s: Scanner, i: number): { terminatorStart: number; end: number } {
  const h = heredocAt(s.text, i);
  if (h === undefined) fail(s.file, s.text, i, 'malformed heredoc');
  let lineStart = h.contentStart;
  while (lineStart < s.text.length) {
    const nl = s.text.indexOf('\n', lineStart);
    const lineEnd = nl === -1 ? s.text.length : nl;
    if (s.text.slice(lineStart, lineEnd).replace(/\r$/, '').trim() === h.marker) {
      return { terminatorStart: lineStart, end: lineStart + s.text.slice(lineStart, lineEnd).indexOf(h.marker) + h.marker.length };
    }
    lineStart = lineEnd + 1;
  }
  return fail(s.file, s.text, i, `heredoc <<${h.marker} is never closed`);
}

/** Index just after the quoted string starting at i (`"`), skipping escapes and templates. */
export function skipString(s: Scanner, i: number): number {
  const { text } = s;
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === '\\') j += 2;
    else if (c === '"') return j + 1;
    else if (c === '\n') fail(s.file, text, i, 'unterminated string');
    else if ((c === '$' || c === '%') && text[j + 1] === c && text[j + 2] === '{') j += 3;
    else if ((c === '$' || c === '%') && text[j + 1] === '{') j = matchClose(s, j + 1) + 1;
    else j++;
  }
  return fail(s.file, text, i, 'unterminated string');
}

/** The index after one "unit" at i: a comment, string or heredoc as a whole, else one character. */
function nextUnit(s: Scanner, i: number): number {
  const c = s.text[i];
  if (c === '"') return skipString(s, i);
  if (c === '#' || c === '/') {
    const j = skipComment(s, i);
    if (j !== i) return j;
  }
  if (c === '<' && s.text[i + 1] === '<' && heredocAt(s.text, i) !== undefined) return heredocEnd(s, i).end;
  return i + 1;
}

const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Given an opening bracket at i, the index of its matching closing bracket. */
export function matchClose(s: Scanner, i: number): number {
  const stack: string[] = [];
  let j = i;
  while (j < s.text.length) {
    const c = s.text[j] ?? '';
    if (OPEN[c] !== undefined) stack.push(OPEN[c]);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) fail(s.file, s.text, j, `unbalanced '${c}'`);
      if (stack.length === 0) return j;
    }
    j = nextUnit(s, j);
  }
  return fail(s.file, s.text, i, `'${s.text[i] ?? ''}' is never closed`);
}

/** The end of an attribute value starting at i: a newline (or `}`) at bracket depth 0. */
function valueEnd(s: Scanner, i: number, limit: number): number {
  let j = i;
  let last = i;
  while (j < limit) {
    const c = s.text[j] ?? '';
    if (c === '\n' || c === '}') break;
    if (OPEN[c] !== undefined) {
      j = matchClose(s, j) + 1;
      last = j;
      continue;
    }
    const next = nextUnit(s, j);
    const isComment = skipComment(s, j) !== j;
    if (!isComment && !/\s/.test(c)) last = next;
    if (isComment) break;
    j = next;
  }
  return last;
}

/** The attributes and blocks directly inside [start, end) (a file, or a block body). */
export function scanItems(file: string, text: string, start = 0, end = text.length): HclItem[] {
  const s: Scanner = { file, text };
  const items: HclItem[] = [];
  let i = start;
  while (i < end) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const afterComment = skipComment(s, i);
    if (afterComment !== i) {
      i = afterComment;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i, i + 256));
    if (ident === null) fail(file, text, i, `unexpected '${c}'`);
    const name = ident[0];
    let j = i + name.length;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] === '=' && text[j + 1] !== '=') {
      let v = j + 1;
      while (text[v] === ' ' || text[v] === '\t') v++;
      const vEnd = valueEnd(s, v, end);
      items.push({ kind: 'attribute', name, start: i, valueStart: v, valueEnd: vEnd });
      i = vEnd;
      continue;
    }
    const labels: string[] = [];
    while (text[j] !== '{') {
      if (text[j] === '"') {
        const close = skipString(s, j);
        labels.push(text.slice(j + 1, close - 1));
        j = close;
      } else {
        const label = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(j, j + 256));
        if (label === null) fail(file, text, j, `expected a block label or '{' after ${name}`);
        labels.push(label[0]);
        j += label[0].length;
      }
      while (text[j] === ' ' || text[j] === '\t') j++;
    }
    const close = matchClose(s, j);
    items.push({ kind: 'block', type: name, labels, start: i, bodyStart: j + 1, bodyEnd: close });
    i = close + 1;
  }
  return items;
}

/** Leading whitespace of the line holding offset i. */
export function indentAt(text: string, i: number): string {
  const lineStart = text.lastIndexOf('\n', i - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}
