/**
 * Folding of S3 object keys in call rows, so that call groups follow distinct usage patterns and
 * not distinct objects (docs/architecture.md, "Folding S3 object keys", states the rule and why it
 * composes). A family (a row's call key without its object key and object ARN) with more than
 * FOLD_LIMIT distinct keys has them folded to the deepest FOLD_LADDER depth that leaves at most
 * FOLD_LIMIT; the depth is recorded on the row (`foldedDepth`), never inferred from a `*` (S3 keys
 * may hold one). `fold(fold(A) ∪ fold(B)) = fold(A ∪ B)`, so a scan may fold per batch and the
 * index per file and per day, and all agree byte for byte with one fold (test/fold.test.ts).
 */
import nonResourceParams from '../mapping/data/non-resource-params.json' with { type: 'json' };
import type { CallRow } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { callHeadFields, callKey, mergeCounters, sortedRows } from './call-rows.js';

/**
 * Distinct object keys per family before folding starts: a family a reviewer could still read key
 * by key (10x the 10 resources per statement at which the proposal generalises anyway).
 */
export const FOLD_LIMIT = 100;

/** The prefix depths (in `/`-separated segments) tried, deepest first, below the full key. */
export const FOLD_LADDER: readonly number[] = [8, 6, 4, 3, 2, 1, 0];

/** The request parameter holding the S3 object key (see mapping/data/request-keys.json). */
export const FOLDED_PARAM = 'key';

/** `key` folded to `depth` segments: its first `depth` and `/*` when it has more, else itself; `*` at depth 0. */
export function foldKey(key: string, depth: number): string {
  if (depth <= 0) return '*';
  let at = -1;
  for (let i = 0; i < depth; i++) {
    at = key.indexOf('/', at + 1);
    if (at < 0) return key; // at most `depth` segments
  }
  return `${key.slice(0, at)}/*`;
}

/**
 * The length of the `arn:<partition>:s3:::<bucket>/` head of `arn`, or 0 when it has none:
 * `/^arn:[^:]+:s3:::[^/]+\//` spelled out, as it runs per row (native/scan-values.c's
 * object_arn_head is the same test).
 */
export function objectArnHeadLength(arn: string): number {
  if (!arn.startsWith('arn:')) return 0;
  const colon = arn.indexOf(':', 4);
  if (colon <= 4 || !arn.startsWith(':s3:::', colon)) return 0;
  const slash = arn.indexOf('/', colon + 6);
  return slash <= colon + 6 ? 0 : slash + 1;
}

/** An `arn:<partition>:s3:::<bucket>/` head when `arn` is that head followed by `key`, else undefined. */
export function objectArnHead(arn: string, key: string): string | undefined {
  const end = arn.length - key.length;
  if (end <= 0 || !arn.endsWith(key) || objectArnHeadLength(arn) !== end) return undefined;
  return arn.slice(0, end);
}

/** The fold family of a row with object key `key`: its id, and its ARNs split into object-ARN heads and the others. */
export function familyOf(row: CallRow, key: string): { id: string; heads: string[]; others: string[] } {
  const heads: string[] = [];
  const others: string[] = [];
  for (const arn of row.resourceArns) {
    const head = objectArnHead(arn, key);
    if (head === undefined) others.push(arn);
    else heads.push(head);
  }
  const head = JSON.stringify(callHeadFields(row));
  return { id: familyIdOf(head.slice(0, -1), row.params, others, heads), heads, others };
}

/**
 * familyOf's id from a row's parts (its callKey head fields as JSON without the closing bracket):
 * callKey without the object key, object ARNs and depth, built without copying the row.
 */
export function familyIdOf(headJson: string, params: Readonly<Record<string, string>>, others: readonly string[], heads: readonly string[]): string {
  const pairs: [string, string | undefined][] = [];
  for (const k of Object.keys(params)) if (k !== FOLDED_PARAM) pairs.push([k, params[k]]);
  if (pairs.length > 1) pairs.sort((a, b) => compareText(a[0], b[0]));
  return `${headJson},${JSON.stringify(pairs)},${JSON.stringify(others)}]\u0000${heads.join('\u0000')}`;
}

/** The depth a family folds to: Infinity (unfolded) or a ladder depth. */
function chooseDepth(keys: ReadonlySet<string>, minDepth: number): number {
  if (minDepth === Infinity && keys.size <= FOLD_LIMIT) return Infinity;
  for (const depth of FOLD_LADDER.filter((d) => d <= minDepth)) {
    const folded = new Set<string>();
    for (const k of keys) {
      folded.add(foldKey(k, depth));
      if (folded.size > FOLD_LIMIT) break;
    }
    if (folded.size <= FOLD_LIMIT) return depth;
  }
  return 0;
}

/** Per `eventSource eventName`, the request keys that do not name the authorised resource. */
const NON_RESOURCE = new Map<string, string[]>();
for (const r of nonResourceParams.rows) {
  const id = `${r.eventSource} ${r.eventName}`;
  NON_RESOURCE.set(id, [...(NON_RESOURCE.get(id) ?? []), r.param]);
}

/**
 * The row without the request keys that, for its event, name no resource but change per call
 * (`data/non-resource-params.json`), or the row itself when it has none. Per row and idempotent,
 * so applying it before folding keeps the fold's algebra.
 */
export function dropNonResourceParams(row: CallRow): CallRow {
  const drop = NON_RESOURCE.get(`${row.eventSource} ${row.eventName}`);
  if (drop === undefined || !drop.some((p) => p in row.params)) return row;
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.params)) if (!drop.includes(k)) params[k] = v;
  return { ...row, params };
}

/**
 * Folds the rows of `map` (keyed by `callKey`, or by any identity equal for equal calls) in place
 * and returns it. Only rows the fold can change (with an S3 object key or a non-resource key to
 * drop) are taken out, folded and put back under their callKey. Linear: cheap after every batch.
 */
export function foldCallMap(map: Map<string, CallRow>): Map<string, CallRow> {
  // A map this small with no folded row has no family to fold: only rows losing a key change.
  let small = map.size <= FOLD_LIMIT;
  if (small) for (const row of map.values()) if (row.foldedDepth !== undefined) small = false;
  const calls = new FoldingCalls();
  for (const [mapKey, row] of map) {
    const kept = dropNonResourceParams(row);
    if (kept === row && (small || row.params[FOLDED_PARAM] === undefined)) continue;
    map.delete(mapKey);
    calls.add(kept);
  }
  for (const [key, row] of calls.byCallKey()) mergeCounters(map, key, row);
  return map;
}

/** Puts `row` into `family` under `folded`, its key folded at `depth` (object ARNs with it), merged with a row already there. */
function place(family: FoldingFamily, row: CallRow, folded: string, depth: number): void {
  if (family.byKey.has(folded)) mergeCounters(family.byKey, folded, row);
  else if (depth === Infinity) family.byKey.set(folded, row);
  else {
    const resourceArns = [...new Set([...family.others, ...family.heads.map((h) => h + folded)])].sort(compareText);
    family.byKey.set(folded, { ...row, params: { ...row.params, [FOLDED_PARAM]: folded }, resourceArns, foldedDepth: depth });
  }
}

/** A family's rows in FoldingCalls: all at one depth (Infinity: unfolded), by object key. */
interface FoldingFamily {
  heads: string[];
  others: string[];
  depth: number;
  byKey: Map<string, CallRow>;
}

/**
 * Call rows folded as they arrive, at a few microseconds a row instead of a re-fold of the whole
 * map (test/fold.test.ts holds it to a literal reading of the rule). A family at depth d folds each
 * new key to d on arrival and is re-folded, from d down the ladder, only past FOLD_LIMIT keys.
 */
export class FoldingCalls {
  /** Rows without an object key, by the caller's identity string or callKey. */
  private readonly exact = new Map<string, CallRow>();
  private readonly families = new Map<string, FoldingFamily>();

  /**
   * Adds a row (which this now owns). `identity`, when given, must be equal for equal calls (a
   * scan's group key; `rows()` merges one call's identities); `familyId`, when given, must be
   * familyOf(row, key).id, as the scan that found the row knew it.
   */
  add(row: CallRow, identity?: string, familyId?: string): void {
    const kept = dropNonResourceParams(row);
    const key = kept.params[FOLDED_PARAM];
    if (key === undefined) {
      mergeCounters(this.exact, kept === row && identity !== undefined ? identity : callKey(kept), kept);
      return;
    }
    let family = kept === row && familyId !== undefined ? this.families.get(familyId) : undefined;
    if (family === undefined) {
      const { id, heads, others } = familyOf(kept, key);
      family = this.families.get(id) ?? { heads, others, depth: Infinity, byKey: new Map() };
      this.families.set(id, family);
    }
    const depth = Math.min(family.depth, kept.foldedDepth ?? Infinity);
    if (depth < family.depth) this.refold(family, depth);
    place(family, kept, depth === Infinity ? key : foldKey(key, depth), depth);
    if (family.byKey.size > FOLD_LIMIT) this.refold(family, family.depth);
  }

  /**
   * The depth family `id` (familyOf) folds new keys to now (Infinity: unfolded or unknown). It
   * only decreases, so a scan may fold a key to it before adding the row (the composition rule).
   */
  depthOf(id: string): number {
    return this.families.get(id)?.depth ?? Infinity;
  }

  /** Folds a family's keys to the depth chooseDepth gives them from `minDepth` down. */
  private refold(family: FoldingFamily, minDepth: number): void {
    const depth = chooseDepth(new Set(family.byKey.keys()), minDepth);
    if (depth === family.depth) return;
    const rows = family.byKey;
    family.depth = depth;
    family.byKey = new Map();
    for (const row of rows.values()) place(family, row, foldKey(row.params[FOLDED_PARAM] ?? '', depth), depth);
  }

  /** The rows so far, folded (copies, in no particular order). */
  rows(): CallRow[] {
    return [...this.byCallKey().values()];
  }

  /** The rows so far, folded (copies), by callKey. */
  byCallKey(): Map<string, CallRow> {
    const map = new Map<string, CallRow>();
    for (const row of this.exact.values()) mergeCounters(map, callKey(row), { ...row });
    for (const family of this.families.values()) for (const row of family.byKey.values()) mergeCounters(map, callKey(row), { ...row });
    return map;
  }
}

/**
 * A scan's identity for a row with object key `key` in family `familyId` (familyOf), folded to
 * `depth` (Infinity: not folded): equal for equal calls, and never equal to a JSON identity (JSON
 * escapes U+0001 and U+0002).
 */
export function scanIdentity(familyId: string, key: string, depth = Infinity): string {
  return depth === Infinity ? `${familyId}\u0001${key}` : `${familyId}\u0002${depth}\u0001${key}`;
}

/** Merges rows with equal call keys, folds, and returns the rows in `sortCallRows` order. */
export function foldCallRows(rows: Iterable<CallRow>): CallRow[] {
  const calls = new FoldingCalls();
  for (const row of rows) calls.add({ ...row });
  return sortedRows(calls.byCallKey());
}

/**
 * True when `key` of a row folded to `depth` is a prefix pattern (`prefix/*`, or `*` at depth 0)
 * standing for many keys, false when it is a key no longer than `depth` kept exactly.
 */
export function isFoldedPrefix(key: string, depth: number): boolean {
  if (depth <= 0) return key === '*';
  if (!key.endsWith('/*')) return false;
  let segments = 1;
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) segments++;
  return segments === depth + 1;
}
