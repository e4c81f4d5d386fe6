/**
 * Reads the fields the native walker located (record-index.ts) from one file's bytes: plain
 * strings from the walker's string table, other values with JSON.parse of their own bytes, and
 * `requestParameters` and `resources` from the walker's listing of the members a scan reads, so
 * a large value is never decoded whole. A value the walker did not list (not an object or array,
 * a member name with an escape) is JSON.parse'd from its span.
 */
import { extractRequestKeys, REQUEST_KEY_MEMBERS, stringMemberKeys, type StringMemberKey } from '../../../mapping/request-keys.js';
import { compareText } from '../../../util/compare-text.js';
import { objectArnHeadLength } from '../../fold.js';
import { resourceArns } from '../../reference.js';
import { ABSENT, FIELD, KEY_AT, RAW, STRIDE, VALUE_INERT, VALUE_JSON, VALUE_KEY, VALUE_OBJECT, VALUE_PLAIN, type RecordIndex } from './record-index.js';

/** The request keys per set of string members (FieldReader.requestKeys), by the set's ids as characters. */
const KEYS_BY_SHAPE = new Map<string, StringMemberKey[]>();
/** Per request-key member, its last entry in the listing being reduced (-1 between uses). */
const LAST_ENTRY = new Int32Array(REQUEST_KEY_MEMBERS.length).fill(-1);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The decoded JSON value at [start, end). */
function parseAt(s: Buffer, start: number, end: number): unknown {
  return JSON.parse(s.toString('utf8', start, end));
}

/**
 * A `resources` class reduced: its ARNs (resourceArns); of a listed value also the heads of its
 * S3 object ARNs whose key is each record's own (VALUE_OBJECT) and its other ARNs, sorted.
 */
export interface ReducedArns {
  value: string[];
  heads: string[];
  others: string[];
}

/** Decodes the located fields of one file's records. */
export class FieldReader {
  private base = 0;
  constructor(
    private readonly s: Buffer,
    private readonly index: RecordIndex,
  ) {}

  /** Reads record k's fields from here on. Returns the record's start. */
  seek(k: number): number {
    this.base = k * STRIDE;
    return this.index.rows[this.base] ?? -1;
  }

  /** A field's value as a full parse gives it (undefined when absent). */
  value(field: number): unknown {
    const { rows } = this.index;
    const at = this.base + 2 + 3 * field;
    const id = rows[at] ?? ABSENT;
    if (id >= 0) return this.index.strings[id];
    if (id === ABSENT) return undefined;
    return parseAt(this.s, rows[at + 1] ?? 0, rows[at + 2] ?? 0);
  }

  /** A field's id (a plain string's, ABSENT or RAW - n): equal ids >= 0 are equal strings. */
  id(field: number): number {
    return this.index.rows[this.base + 2 + 3 * field] ?? ABSENT;
  }

  /** A listed member value (ListedMembers) at parts[at]: as a full parse gives it, or null when inert. */
  private listed(parts: Int32Array, at: number): unknown {
    const start = parts[at + 1] ?? 0;
    const end = parts[at + 2] ?? 0;
    const how = parts[at + 3];
    return how === VALUE_INERT ? null : how === VALUE_JSON ? parseAt(this.s, start, end) : this.s.toString('utf8', start + 1, end - 1);
  }

  /**
   * The record's request parameters: of a listed value, the members a request key reads (each
   * decoded as a full parse would), so extractRequestKeys gives the same keys as on the whole
   * object; else the whole value.
   */
  requestParameters(): unknown {
    const { parts, at } = this.index.params;
    const k = at[RAW - this.id(FIELD.requestParameters)] ?? -1;
    const m = parts[k] ?? -1;
    if (m < 0) return this.value(FIELD.requestParameters);
    // Its members' values, assigned in order (the last duplicate wins, as in JSON.parse).
    const members: Record<string, unknown> = {};
    for (let v = k + 1; v < k + 1 + 4 * m; v += 4) members[REQUEST_KEY_MEMBERS[parts[v] ?? 0] ?? ''] = this.listed(parts, v);
    return members;
  }

  /**
   * extractRequestKeys of the record's request parameters. A listed value whose members are all
   * plain strings or inert (the common case) is reduced by the keys its set of string members
   * gives (stringMemberKeys, computed once per set), without building the object.
   */
  requestKeys(): Record<string, string> {
    if (this.id(FIELD.requestParameters) === ABSENT) return {};
    const { parts, at } = this.index.params;
    const k = at[RAW - this.id(FIELD.requestParameters)] ?? -1;
    const m = parts[k] ?? -1;
    if (m < 0) return extractRequestKeys(this.requestParameters());
    // The last of duplicate members wins, as in an object; a string member is one whose last value is plain.
    const last = LAST_ENTRY;
    let shape = '';
    for (let v = k + 1, e = 0; e < m; e++, v += 4) {
      if (parts[v + 3] === VALUE_JSON) {
        for (let w = k + 1; w < v; w += 4) last[parts[w] ?? 0] = -1;
        return extractRequestKeys(this.requestParameters());
      }
      last[parts[v] ?? 0] = v;
    }
    for (let v = k + 1, e = 0; e < m; e++, v += 4) {
      const id = parts[v] ?? 0;
      // A string member: plain, or the object key (VALUE_KEY, here the class's first value's).
      if (last[id] === v && (parts[v + 3] === VALUE_PLAIN || parts[v + 3] === VALUE_KEY)) shape += String.fromCharCode(id + 1);
    }
    let keys = KEYS_BY_SHAPE.get(shape);
    if (keys === undefined) {
      keys = stringMemberKeys([...shape].map((c) => c.charCodeAt(0) - 1));
      KEYS_BY_SHAPE.set(shape, keys);
    }
    const out: Record<string, string> = {};
    for (const { name, member, json } of keys) {
      const v = last[member] ?? 0;
      const value = this.s.toString('utf8', (parts[v + 1] ?? 0) + 1, (parts[v + 2] ?? 0) - 1);
      out[name] = json ? JSON.stringify(value) : value;
    }
    for (let v = k + 1, e = 0; e < m; e++, v += 4) last[parts[v] ?? 0] = -1;
    return out;
  }

  /**
   * resourceArns of the record's `resources`: from the listing when the walk listed it (an
   * element's ARN, else its arn, as a non-empty string), else from the decoded value. Of a listed
   * value, also the ARNs that are S3 object ARNs whose key is the record's (VALUE_OBJECT: their
   * heads) and the others, for a record to build its own from (scan-text.ts).
   */
  resourceArns(): ReducedArns {
    if (this.id(FIELD.resources) === ABSENT) return { value: [], heads: [], others: [] };
    const { parts, at } = this.index.resources;
    let k = at[RAW - this.id(FIELD.resources)] ?? -1;
    const elements = parts[k++] ?? -1;
    if (elements < 0) {
      const value = resourceArns(this.value(FIELD.resources));
      return { value, heads: [], others: value };
    }
    const arns = new Set<string>();
    const heads = new Set<string>();
    const others = new Set<string>();
    for (let e = 0; e < elements; e++) {
      const m = parts[k++] ?? -1;
      if (m < 0) continue;
      // The element's ARN and arn (duplicates: the last wins; each is decoded, as in an object).
      let upper: unknown;
      let lower: unknown;
      let upperAt = -1;
      let lowerAt = -1;
      for (const end = k + 4 * m; k < end; k += 4) {
        if (parts[k] === 0) upper = this.listed(parts, (upperAt = k));
        else lower = this.listed(parts, (lowerAt = k));
      }
      const chosen = text(upper) !== undefined ? upperAt : text(lower) !== undefined ? lowerAt : -1;
      if (chosen < 0) continue;
      const arn = text(chosen === upperAt ? upper : lower) ?? '';
      arns.add(arn);
      if (parts[chosen + 3] === VALUE_OBJECT) heads.add(arn.slice(0, objectArnHeadLength(arn)));
      else others.add(arn);
    }
    const sorted = (set: Set<string>): string[] => (set.size <= 1 ? [...set] : [...set].sort(compareText));
    return { value: sorted(arns), heads: sorted(heads), others: sorted(others) };
  }

  /** The current record's S3 object key when its requestParameters' class leaves it out (VALUE_KEY), else undefined. */
  objectKey(): string | undefined {
    const start = this.index.rows[this.base + KEY_AT] ?? -1;
    return start < 0 ? undefined : this.s.toString('utf8', start + 1, (this.index.rows[this.base + KEY_AT + 1] ?? 0) - 1);
  }
}
