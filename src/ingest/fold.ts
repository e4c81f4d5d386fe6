/**
 * Folding of S3 object keys in call rows, so that the number of call groups follows distinct
 * usage *patterns* and not distinct objects. S3 object keys are nearly unique per event (uploads,
 * partitions by date, random ids), so without a cap the groups grow with events: millions of
 * groups for 10M events, gigabytes of memory, and an index answer as large as the logs.
 *
 * The rule, per family (a row's call key without the object key and the object ARN):
 * - a family with at most FOLD_LIMIT distinct keys is left exactly as observed;
 * - otherwise its keys are folded to the deepest depth d of FOLD_LADDER at which at most
 *   FOLD_LIMIT distinct folded keys remain: `foldKey(key, d)` keeps the first d `/`-separated
 *   segments and appends `/*` when the key has more than d segments (`*` for d = 0), else keeps
 *   the key; the object ARN `arn:aws:s3:::bucket/<key>` is folded the same way;
 * - the depth is recorded on the row (`CallRow.foldedDepth`, part of `callKey`), never inferred
 *   from a `*` in the key (S3 keys may contain `*`); rows that fold to the same key merge (count
 *   summed, first seen min, last seen max).
 *
 * The algebra (tested in test/fold.test.ts): `fold` is idempotent, and for any split of rows into
 * A and B, `fold(fold(A) ∪ fold(B)) = fold(A ∪ B)` (∪ merges equal call keys by counts). So a
 * scan may fold per batch, the index per file and per day, and all agree byte for byte with one
 * fold over everything. Why: `foldKey(foldKey(k, d'), d) = foldKey(k, d)` for d <= d', and the
 * number of distinct folded keys only grows with the input and with d; so the depth chosen for
 * A ∪ B is never deeper than the depth already chosen for A or for B, and starting the ladder at
 * the shallowest depth present finds exactly the depth one fold over A ∪ B would choose.
 */
import nonResourceParams from '../mapping/data/non-resource-params.json' with { type: 'json' };
import type { CallRow } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { callHeadFields, callKey, mergeCounters, sortedRows } from './call-rows.js';

/**
 * Distinct object keys per family before folding starts. 100 keeps every family whose objects a
 * reviewer could still read in a policy (and well above the 10 resources per statement at which
 * the proposal generalises anyway), while it bounds a role's groups to about 100 per call shape:
 * a 10M-event demo role then holds a few thousand groups instead of a few hundred thousand.
 */
export const FOLD_LIMIT = 100;

/** The prefix depths (in `/`-separated segments) tried, deepest first, below the full key. */
export const FOLD_LADDER: readonly number[] = [8, 6, 4, 3, 2, 1, 0];

/** The request parameter holding the S3 object key (see mapping/data/request-keys.json). */
export const FOLDED_PARAM = 'key';

/**
 * A key folded to `depth` segments: the first `depth` segments and `/*` when the key has more,
 * else the key itself; `*` for depth 0.
 */
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
 * The length of the `arn:<partition>:s3:::<bucket>/` head of `arn` (an S3 object ARN's, up to the
 * object key), or 0 when it has none: `/^arn:[^:]+:s3:::[^/]+\//`, spelled out (it runs per row of
 * a scan; native/scan-values.c's object_arn_head is the same test).
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
 * familyOf's id from a row's parts: the JSON of its fields in callKey order without its closing
 * bracket, its request keys (the object key left out), its ARNs that are not object ARNs of its
 * key, and the heads of those that are. That is callKey of the row without its object key,
 * object ARNs and depth, built without copying the row; a scan builds it once per call.
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
  for (const depth of FOLD_LADDER) {
    if (depth > minDepth) continue;
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
 * and returns it: the rule above, applied by a FoldingCalls to the rows it can change (rows with
 * an S3 object key, rows with a non-resource request key to drop), which go back in under their
 * callKey; the others keep their entry. Linear in the map's size: cheap enough after every batch.
 */
export function foldCallMap(map: Map<string, CallRow>): Map<string, CallRow> {
  // No family of a map this small can pass FOLD_LIMIT keys, and with no folded row there is no
  // depth to carry over: only rows that lose a request key change.
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

/** `row` (a member of `family`) with its object key folded to `folded` at `depth`, and its object ARNs with it. */
function foldedRow(row: CallRow, family: { heads: readonly string[]; others: readonly string[] }, folded: string, depth: number): CallRow {
  const resourceArns = [...new Set([...family.others, ...family.heads.map((h) => h + folded)])].sort(compareText);
  return { ...row, params: { ...row.params, [FOLDED_PARAM]: folded }, resourceArns, foldedDepth: depth };
}

/** A family's rows in FoldingCalls: all at one depth (Infinity: unfolded), by object key. */
interface FoldingFamily {
  heads: string[];
  others: string[];
  depth: number;
  byKey: Map<string, CallRow>;
}

/**
 * Call rows folded as they arrive, by the rule above (test/fold.test.ts holds it to a literal
 * reading of the rule), at a few microseconds a row instead of a re-fold of the whole map. Rows are
 * kept per family; a family at depth d folds each new key to d on arrival (the composition rule
 * above) and is re-folded, from d down the ladder, only when it holds more than FOLD_LIMIT keys.
 * The scan of a file adds its groups here (file-scanner.ts): most rows of a busy role fall into
 * families already folded.
 */
export class FoldingCalls {
  /** Rows without an object key, by the caller's identity string or callKey. */
  private readonly exact = new Map<string, CallRow>();
  private readonly families = new Map<string, FoldingFamily>();

  /**
   * Adds a row (which the map now owns). `identity`, when given, must be a string equal for
   * equal call identities (a scan's group key); rows under different identities for one call are
   * merged by `rows()`. `familyId`, when given, must be the family of the row (familyOf(row,
   * key).id) as the scan that found it knew it, so it is not worked out again from the row.
   */
  add(row: CallRow, identity?: string, familyId?: string): void {
    const kept = dropNonResourceParams(row);
    const key = kept.params[FOLDED_PARAM];
    if (key === undefined) {
      mergeCounters(this.exact, kept === row && identity !== undefined ? identity : callKey(kept), kept);
      return;
    }
    const hint = kept === row ? familyId : undefined;
    let family = hint === undefined ? undefined : this.families.get(hint);
    if (family === undefined) {
      const { id, heads, others } = familyOf(kept, key);
      family = this.families.get(id);
      if (family === undefined) {
        family = { heads, others, depth: Infinity, byKey: new Map() };
        this.families.set(id, family);
      }
    }
    const depth = Math.min(family.depth, kept.foldedDepth ?? Infinity);
    if (depth < family.depth) this.refold(family, depth);
    const folded = depth === Infinity ? key : foldKey(key, depth);
    if (family.byKey.has(folded)) mergeCounters(family.byKey, folded, kept);
    else family.byKey.set(folded, depth === Infinity ? kept : foldedRow(kept, family, folded, depth));
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
    for (const row of rows.values()) {
      const folded = foldKey(row.params[FOLDED_PARAM] ?? '', depth);
      if (family.byKey.has(folded)) mergeCounters(family.byKey, folded, row);
      else family.byKey.set(folded, foldedRow(row, family, folded, depth));
    }
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
