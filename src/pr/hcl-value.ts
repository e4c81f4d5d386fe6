/**
 * Reads an HCL value expression (a literal string, number, bool, tuple or object, as written in
 * `jsonencode({...})` or an `aws_iam_policy_document` argument) into a plain value, without
 * evaluating anything: a reference (`aws_s3_bucket.orders.arn`), a function call, or a template
 * interpolation (`"${var.bucket}/*"`) stays opaque. In a string, each opaque part becomes
 * `EXPRESSION_MARK`, and `expressions` maps the resulting string back to the exact source text, so
 * a policy read from Terraform can be matched against IAM's literal ARNs (the mark stands for any
 * text) and written back with the expression intact.
 */
import { InputError } from '../errors.js';
import { heredocAt, heredocEnd, lineOf, matchClose, skipComment, skipString, type Scanner } from './hcl-locate.js';

/**
 * Stands for an unevaluated expression inside a string read from a file: a private-use character,
 * then a numeric tag (between two more) that makes every occurrence distinct.
 */
export const EXPRESSION_MARK = '\uE000';
const TAG = /\uE001\d+\uE002/g;

/** The tagged mark for expression number n. */
export function expressionMark(n: number): string {
  return `${EXPRESSION_MARK}\uE001${n}\uE002`;
}

/** Whether a string read from a file holds an expression. */
export function hasExpression(text: string): boolean {
  return text.includes(EXPRESSION_MARK);
}

/** Matches a literal (an ARN from IAM) against a string read from a file: each expression stands for any non-empty text. */
export function matchesRead(read: string, literal: string): boolean {
  if (!hasExpression(read)) return read === literal;
  const body = read
    .replace(TAG, '')
    .split(EXPRESSION_MARK)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${body}$`, 's').test(literal);
}

export type HclPlain = string | number | boolean | null | HclPlain[] | { [key: string]: HclPlain };

export interface HclRead {
  value: HclPlain;
  /** Strings holding `EXPRESSION_MARK` -> their exact source text (quotes included). */
  expressions: Map<string, string>;
}

function fail(s: Scanner, at: number, what: string): never {
  throw new InputError(`${s.file}:${lineOf(s.text, at)}: ${what}`, { hint: 'iamtrim reads literal policies; check the file with `terraform validate`' });
}

function skipSpace(s: Scanner, i: number, end: number): number {
  let j = i;
  while (j < end) {
    if (/\s/.test(s.text[j] ?? '')) j++;
    else {
      const after = skipComment(s, j);
      if (after === j) break;
      j = after;
    }
  }
  return j;
}

/** The value of a quoted string literal [start, close): escapes decoded, `${...}` as the mark. */
function stringValue(s: Scanner, start: number, close: number, policyVariables: boolean, mark: () => string): string {
  const { text } = s;
  let out = '';
  let j = start + 1;
  const end = close - 1;
  while (j < end) {
    const c = text[j] ?? '';
    if (c === '\\') {
      const n = text[j + 1] ?? '';
      if (n === 'u' || n === 'U') {
        const len = n === 'u' ? 4 : 8;
        out += String.fromCodePoint(Number.parseInt(text.slice(j + 2, j + 2 + len), 16));
        j += 2 + len;
        continue;
      }
      out += ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' } as Record<string, string>)[n] ?? n;
      j += 2;
    } else if ((c === '$' || c === '%') && text[j + 1] === c && text[j + 2] === '{') {
      out += `${c}{`;
      j += 3;
    } else if ((c === '$' || c === '%') && text[j + 1] === '{') {
      out += mark();
      j = matchClose(s, j + 1) + 1;
    } else if (policyVariables && c === '&' && text[j + 1] === '{') {
      // aws_iam_policy_document writes IAM policy variables as &{aws:username}.
      out += '${';
      j += 2;
    } else {
      out += c;
      j++;
    }
  }
  return out;
}

/** Where a bare expression (reference, call, operator chain) ends: `,`, `]`, `}` or a newline at depth 0. */
function bareEnd(s: Scanner, i: number, end: number): number {
  let j = i;
  while (j < end) {
    const c = s.text[j] ?? '';
    if (c === ',' || c === ']' || c === '}' || c === '\n') break;
    if (c === '(' || c === '[' || c === '{') {
      j = matchClose(s, j) + 1;
      continue;
    }
    if (c === '"') {
      j = skipString(s, j);
      continue;
    }
    if (skipComment(s, j) !== j) break;
    j++;
  }
  return j;
}

/**
 * Reads the value in [start, end). `policyVariables`: `&{...}` means an IAM policy variable (the
 * aws_iam_policy_document convention).
 */
export function readHclValue(file: string, text: string, start: number, end: number, policyVariables = false): HclRead {
  const s: Scanner = { file, text };
  const expressions = new Map<string, string>();
  let marks = 0;
  const mark = (): string => expressionMark(marks++);
  const opaque = (from: number, to: number): string => {
    const m = mark();
    expressions.set(m, text.slice(from, to).trim());
    return m;
  };

  const value = (i: number): [HclPlain, number] => {
    const j = skipSpace(s, i, end);
    const c = text[j] ?? '';
    if (c === '"') {
      const close = skipString(s, j);
      const v = stringValue(s, j, close, policyVariables, mark);
      if (hasExpression(v)) expressions.set(v, text.slice(j, close));
      return [v, close];
    }
    if (c === '[') {
      const close = matchClose(s, j);
      const items: HclPlain[] = [];
      let k = skipSpace(s, j + 1, close);
      while (k < close) {
        const [item, after] = value(k);
        items.push(item);
        k = skipSpace(s, after, close);
        if (text[k] === ',') k = skipSpace(s, k + 1, close);
        else if (k < close) fail(s, k, `expected ',' or ']' in a list`);
      }
      return [items, close + 1];
    }
    if (c === '{') {
      const close = matchClose(s, j);
      const object: { [key: string]: HclPlain } = {};
      let k = skipSpace(s, j + 1, close);
      while (k < close) {
        let key: string;
        if (text[k] === '"') {
          const keyEnd = skipString(s, k);
          key = stringValue(s, k, keyEnd, false, mark);
          k = keyEnd;
        } else {
          const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(k, k + 256));
          if (ident === null) fail(s, k, 'expected an object key');
          key = ident[0];
          k += key.length;
        }
        k = skipSpace(s, k, close);
        if (text[k] !== '=' && text[k] !== ':') fail(s, k, `expected '=' after ${key}`);
        const [item, after] = value(k + 1);
        object[key] = item;
        k = skipSpace(s, after, close);
        if (text[k] === ',') k = skipSpace(s, k + 1, close);
      }
      return [object, close + 1];
    }
    if (c === '<' && heredocAt(text, j) !== undefined) {
      const { end: after } = heredocEnd(s, j);
      return [opaque(j, after), after];
    }
    const after = bareEnd(s, j, end);
    const word = text.slice(j, after).trim();
    if (word === 'true' || word === 'false') return [word === 'true', after];
    if (word === 'null') return [null, after];
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(word)) return [Number(word), after];
    if (word === '') fail(s, j, 'expected a value');
    return [opaque(j, after), after];
  };

  const [v, after] = value(start);
  if (skipSpace(s, after, end) < end) {
    // An operator chain or a conditional after a value: the whole thing is one expression.
    const whole = expressionMark(marks);
    return { value: whole, expressions: new Map([[whole, text.slice(start, end).trim()]]) };
  }
  return { value: v, expressions };
}
