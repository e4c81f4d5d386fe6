/**
 * Reads the fields the native walker located (record-index.ts): plain strings from its string
 * table, other values by JSON.parse of their bytes, and `requestParameters` and `resources` from
 * its listing of the members a scan reads, so a large value is never decoded whole.
 */
import { extractRequestKeys, REQUEST_KEY_MEMBERS } from '../../../mapping/request-keys.js';
import { compareText } from '../../../util/compare-text.js';
import { objectArnHeadLength } from '../../fold.js';
import { resourceArns, text } from '../../reference.js';
import { ABSENT, FIELD, KEY_AT, RAW, STRIDE, VALUE_INERT, VALUE_JSON, VALUE_OBJECT, type RecordIndex } from './record-index.js';

/** The ARNs of `set`, in resourceArns's order. */
export function sortedArns(set: ReadonlySet<string>): string[] {
  return set.size <= 1 ? [...set] : [...set].sort(compareText);
}

/** A `resources` class reduced (FieldReader.resourceArns), each list sorted. */
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
    const id = this.id(field);
    if (id >= 0) return this.index.strings[id];
    if (id === ABSENT) return undefined;
    const at = this.base + 3 + 3 * field;
    return JSON.parse(this.s.toString('utf8', this.index.rows[at] ?? 0, this.index.rows[at + 1] ?? 0));
  }

  /** A field's id (a plain string's, ABSENT or RAW - n): equal ids >= 0 are equal strings. */
  id(field: number): number {
    return this.index.rows[this.base + 2 + 3 * field] ?? ABSENT;
  }

  /** A listed member value (ListedMembers) at parts[at]: as a full parse gives it, or null when inert or at < 0. */
  private listed(parts: Int32Array, at: number): unknown {
    if (at < 0) return null;
    const start = parts[at + 1] ?? 0;
    const end = parts[at + 2] ?? 0;
    const how = parts[at + 3];
    return how === VALUE_INERT ? null : how === VALUE_JSON ? JSON.parse(this.s.toString('utf8', start, end)) : this.s.toString('utf8', start + 1, end - 1);
  }

  /**
   * extractRequestKeys of the record's request parameters: of a listed value, of the members a
   * request key reads (each decoded as a full parse would, the last of duplicates winning), which
   * give the same keys as the whole object; else of the whole value.
   */
  requestKeys(): Record<string, string> {
    const { parts, at } = this.index.params;
    const k = at[RAW - this.id(FIELD.requestParameters)] ?? -1;
    const m = parts[k] ?? -1;
    if (m < 0) return extractRequestKeys(this.value(FIELD.requestParameters));
    const members: Record<string, unknown> = {};
    for (let v = k + 1; v < k + 1 + 4 * m; v += 4) members[REQUEST_KEY_MEMBERS[parts[v] ?? 0] ?? ''] = this.listed(parts, v);
    return extractRequestKeys(members);
  }

  /**
   * resourceArns of the record's `resources`, from the listing when the walk listed it; of a
   * listed value also the heads of its object ARNs of the record's key (VALUE_OBJECT) and the others.
   */
  resourceArns(): ReducedArns {
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
      // The element's last ARN, else its last arn (the last of duplicates wins, as in an object).
      let upper = -1;
      let lower = -1;
      for (const end = k + 4 * m; k < end; k += 4) {
        if (parts[k] === 0) upper = k;
        else lower = k;
      }
      const upperArn = text(this.listed(parts, upper));
      const arn = upperArn ?? text(this.listed(parts, lower));
      if (arn === null) continue;
      const chosen = upperArn !== null ? upper : lower;
      arns.add(arn);
      if (parts[chosen + 3] === VALUE_OBJECT) heads.add(arn.slice(0, objectArnHeadLength(arn)));
      else others.add(arn);
    }
    return { value: sortedArns(arns), heads: sortedArns(heads), others: sortedArns(others) };
  }

  /** The current record's S3 object key when its requestParameters' class leaves it out (VALUE_KEY), else undefined. */
  objectKey(): string | undefined {
    const start = this.index.rows[this.base + KEY_AT] ?? -1;
    return start < 0 ? undefined : this.s.toString('utf8', start + 1, (this.index.rows[this.base + KEY_AT + 1] ?? 0) - 1);
  }
}
