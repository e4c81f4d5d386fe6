/**
 * One log file's bytes -> its share of the usage query (FileScan) through the native walker's
 * RecordIndex: what reference.ts's scanRecords gives from the parsed records (test/ingest-cases
 * and test/stream-scan.test.ts hold the two equal), without parsing them.
 */
import type { CallRow, UsageQuery } from '../../../model.js';
import { callHeadFields } from '../../call-rows.js';
import { dropNonResourceParams, familyIdOf, familyOf, FOLDED_PARAM, foldCallMap, foldKey, objectArnHeadLength, scanIdentity } from '../../fold.js';
import {
  attributedRole,
  countCoverage,
  emptyFileScan,
  FOLD_FLOOR,
  inWindow,
  normalTime,
  pieceCalls,
  roleFilterMatches,
  text,
  type CoverageCount,
  type DayPiece,
  type FileScan,
} from '../../reference.js';
import { FieldReader, sortedArns, type ReducedArns } from './field-reader.js';
import { FIELD, locateRecords, RAW, type NativeModule } from './record-index.js';
import type { FileShape } from '../discover.js';

/** A `requestParameters` or `resources` value reduced for grouping, with its JSON. */
interface Reduced<T> {
  value: T;
  json: string;
}

/** `reduce()` of the value with span id `id` (RAW - n), once per distinct value of the file. */
function reducedOnce<T>(cache: Array<Reduced<T> | undefined>, id: number, reduce: () => T): Reduced<T> {
  const n = RAW - id;
  let hit = cache[n];
  if (hit === undefined) {
    const value = reduce();
    hit = { value, json: JSON.stringify(value) };
    if (n >= 0) cache[n] = hit;
  }
  return hit;
}

/** What the records of one group (RecordIndex.groups: equal fields but for their time) share. */
class Group {
  /** Resolved at the group's first record in the window: its call (null: not attributed). */
  call: GroupCall | null | undefined = undefined;
  /** The call row it last counted into, that row's object key (keyed calls), day (rollup) and the fold count then. */
  row: CallRow | undefined = undefined;
  rowKey: string | undefined = undefined;
  rowDay = '';
  rowFold = -1;
  /** The coverage entry it last counted into, and its day (rollup). */
  covered: CoverageCount | undefined = undefined;
  coveredDay = '';

  constructor(
    /** The eventSource when it is a string (a valid record), else null. */
    readonly source: string | null,
    readonly category: string | null,
    /** The role its records count for (reference.ts attributedRole), or undefined: they do not count. */
    readonly role: { roleArn: string; roleName: string } | undefined,
  ) {}
}

/**
 * A group's call. A keyed call (its requestParameters' class leaves the S3 object key out:
 * VALUE_KEY) has a row per object key: the call's, with the record's key in its parameters and
 * object ARNs (`heads` + key, with `others`), under scanIdentity(familyId, key).
 */
interface GroupCall {
  /** The identity of a call that is not keyed (a keyed call's rows have one per key). */
  key: string;
  /** Its row with no count yet (as fold.ts's row functions take it). */
  row: CallRow;
  roleName: string | null;
  keyed: boolean;
  heads: string[];
  others: string[];
  /** Its fold family (familyOf) when the call alone decides it; undefined: per row, or no object key. */
  familyId: string | undefined;
  /** The depth a keyed call's keys fold to on arrival (`foldDepth`; Infinity: not folded). */
  depth: number;
}

/** The parts of a call's row that a keyed call's object key changes, and the row's identity in the scan. */
type RowParts = Pick<CallRow, 'params' | 'resourceArns'> & { identity: string; familyId: string | undefined };

/**
 * Scans one file's bytes with the native walker; a BadLogFileError when the walk refuses it. A
 * group's fields are read at its first record, its call at its first record in the window, each
 * `requestParameters` and `resources` class once.
 */
export function scanText(
  native: NativeModule,
  s: Buffer,
  shape: FileShape,
  query: UsageQuery,
  rollup = false,
  foldDepth?: (familyId: string) => number,
): FileScan {
  const out = emptyFileScan(rollup);
  const families = (out.families = new Map<string, string>());
  const { pieces = new Map<string, DayPiece>(), coverage = new Map<string, CoverageCount>() } = out;
  let rows = 0;
  const index = locateRecords(native, s, shape);
  // A refused file is bad as a whole: none of its records count (and the walk returned none).
  if (index.error !== undefined) throw index.error;
  const f = new FieldReader(s, index);
  // Per distinct string of this file read as an eventTime: its time (normalTime).
  const times = new Array<string | null | undefined>(index.strings.length);
  // Per requestParameters / resources class of this file (its id RAW - n, by n): the request
  // keys and the resource ARNs, each with its JSON for the group key.
  const paramsOf: Array<Reduced<Record<string, string>> | undefined> = [];
  const arnsOf: Array<Reduced<ReducedArns> | undefined> = [];
  const groups: Array<Group | undefined> = [];
  // A single large file (an export of millions of records) is folded as it grows, like a scan;
  // each fold replaces rows, so a group's remembered row is good until the next fold.
  let foldAt = FOLD_FLOOR;
  let folds = 0;

  /** The group's shared fields, read from its first record (the reader's current one). */
  const resolveGroup = (): Group => {
    const source = f.value(FIELD.eventSource);
    const eventCategory = f.value(FIELD.eventCategory);
    const role = attributedRole({
      eventType: f.value(FIELD.eventType),
      eventSource: source,
      eventName: f.value(FIELD.eventName),
      issuerType: f.value(FIELD['userIdentity.sessionContext.sessionIssuer.type']),
      issuerArn: f.value(FIELD['userIdentity.sessionContext.sessionIssuer.arn']),
      issuerName: f.value(FIELD['userIdentity.sessionContext.sessionIssuer.userName']),
    });
    return new Group(typeof source === 'string' ? source : null, typeof eventCategory === 'string' ? eventCategory : null, role);
  };

  /** The group's call, read from its first record in the window (null: the role filter drops it). */
  const resolveCall = (group: Group): GroupCall | null => {
    const role = group.role;
    if (role === undefined || !roleFilterMatches(query.roles, role.roleArn, role.roleName)) return null;
    const p = reducedOnce(paramsOf, f.id(FIELD.requestParameters), () => f.requestKeys());
    const a = reducedOnce(arnsOf, f.id(FIELD.resources), () => f.resourceArns());
    const row: CallRow = {
      roleArn: role.roleArn,
      eventSource: group.source ?? '',
      eventName: text(f.value(FIELD.eventName)) ?? '',
      awsRegion: text(f.value(FIELD.awsRegion)) ?? '',
      recipientAccountId: text(f.value(FIELD.recipientAccountId)) ?? text(f.value(FIELD['userIdentity.accountId'])) ?? '',
      eventCategory: group.category ?? '',
      errorCode: text(f.value(FIELD.errorCode)),
      invokedBy: text(f.value(FIELD['userIdentity.invokedBy'])),
      params: p.value,
      resourceArns: a.value.value,
      count: 0,
      firstSeen: '',
      lastSeen: '',
    };
    // The JSON of the fields in callKey order, without its closing bracket.
    const head = JSON.stringify(callHeadFields(row)).slice(0, -1);
    const name = f.value(FIELD['userIdentity.sessionContext.sessionIssuer.userName']);
    const call: GroupCall = {
      key: '',
      row,
      roleName: typeof name === 'string' ? name : null,
      keyed: f.objectKey() !== undefined,
      heads: a.value.heads,
      others: a.value.others,
      familyId: undefined,
      depth: Infinity,
    };
    const objectKey = p.value[FOLDED_PARAM];
    if (call.keyed) {
      // The family is the call's when nothing in it depends on the key: no request key is
      // dropped (dropNonResourceParams), and no other ARN could be an object ARN of some key.
      if (dropNonResourceParams(row) === row && call.others.every((arn) => objectArnHeadLength(arn) === 0)) {
        call.familyId = familyIdOf(head, p.value, call.others, call.heads);
        // The family's depth now (the worker's FoldingCalls): its keys fold to it on arrival.
        if (foldDepth !== undefined && !rollup) call.depth = foldDepth(call.familyId);
      }
    } else if (objectKey !== undefined) {
      call.familyId = familyOf(row, objectKey).id;
      call.key = scanIdentity(call.familyId, objectKey);
    } else {
      // The group's identity within this file: JSON of the fields, params as an object (a
      // callKey holds them as pairs, so a folded row's callKey never equals a fresh row's key).
      call.key = `${head},${p.json},${a.json}]`;
    }
    return call;
  };

  /**
   * The identity, parameters, object ARNs and family of the call's row for the record's object key
   * `key` (already folded to the call's depth; undefined: the call is not keyed).
   */
  const rowOf = (call: GroupCall, key: string | undefined): RowParts => {
    if (key === undefined) return { identity: call.key, params: call.row.params, resourceArns: call.row.resourceArns, familyId: call.familyId };
    const params = Object.assign({}, call.row.params);
    params[FOLDED_PARAM] = key;
    let resourceArns = call.row.resourceArns;
    if (call.heads.length > 0) {
      const arns = new Set(call.others);
      for (const head of call.heads) arns.add(head + key);
      resourceArns = sortedArns(arns);
    }
    const familyId = call.familyId ?? familyOf({ ...call.row, params, resourceArns }, key).id;
    return { identity: scanIdentity(familyId, key, call.depth), params, resourceArns, familyId };
  };

  for (let k = 0; k < index.count; k++) {
    out.records++;
    if (s[f.seek(k)] !== 0x7b) continue; // null, a number, a string: not a record
    // The time is decoded in every record, the other fields once per group (see above).
    const timeId = f.id(FIELD.eventTime);
    // An empty eventTime gives way to @timestamp, which is the record's own.
    const shared = timeId >= 0 && index.strings[timeId] !== '';
    let time = shared ? times[timeId] : undefined;
    if (time === undefined) {
      const raw = text(f.value(FIELD.eventTime)) ?? text(f.value(FIELD['@timestamp']));
      time = raw === null ? null : normalTime(raw);
      if (shared) times[timeId] = time;
    }
    const group = (groups[index.groups[k] ?? -1] ??= resolveGroup());
    if (time === null) continue;
    if (out.first === null || time < out.first) out.first = time;
    if (out.last === null || time > out.last) out.last = time;
    const source = group.source;
    if (source === null) continue;
    out.validRecords++;
    const day = rollup ? time.slice(0, 10) : '';
    if (rollup) {
      if (group.coveredDay === day && group.covered !== undefined) {
        group.covered.records++;
      } else {
        group.covered = countCoverage(coverage, day, source, group.category);
        group.coveredDay = day;
      }
    }
    if (!inWindow(query.window, time)) continue;
    if (group.category === 'Data') out.dataSources.add(source);
    const call = group.call === undefined ? (group.call = resolveCall(group)) : group.call;
    if (call === null) continue;
    // A keyed call's row is per object key: the record's own, folded to the family's depth.
    let key = call.keyed ? (f.objectKey() ?? '') : undefined;
    if (key !== undefined && call.depth !== Infinity) key = foldKey(key, call.depth);
    // The row the group counted into last, while it is still the record's; else found or added.
    let seen = group.row;
    let added = false;
    if (seen === undefined || group.rowFold !== folds || group.rowDay !== day || group.rowKey !== key) {
      const calls = rollup ? pieceCalls(pieces, day, call.roleName) : out.calls;
      const r = call.row;
      const { identity, params, resourceArns, familyId } = rowOf(call, key);
      seen = calls.get(identity);
      if (seen === undefined) {
        // Spelled out: a spread copies generically (1 s of the 1M all-roles scan), and the rows'
        // shape stays that of every other CallRow.
        seen = {
          roleArn: r.roleArn,
          eventSource: r.eventSource,
          eventName: r.eventName,
          awsRegion: r.awsRegion,
          recipientAccountId: r.recipientAccountId,
          eventCategory: r.eventCategory,
          errorCode: r.errorCode,
          invokedBy: r.invokedBy,
          params,
          resourceArns,
          count: 0,
          firstSeen: time,
          lastSeen: time,
        };
        if (key !== undefined && call.depth !== Infinity) seen.foldedDepth = call.depth;
        if (familyId !== undefined && !rollup) families.set(identity, familyId);
        calls.set(identity, seen);
        added = true;
      }
      group.row = seen;
      group.rowKey = key;
      group.rowDay = day;
      group.rowFold = folds;
    }
    seen.count++;
    if (time < seen.firstSeen) seen.firstSeen = time;
    if (time > seen.lastSeen) seen.lastSeen = time;
    if (added && ++rows >= foldAt) {
      // The fold replaces rows (this one too, perhaps): what groups remember is stale after it.
      rows = 0;
      if (rollup) for (const piece of pieces.values()) rows += foldCallMap(piece.calls).size;
      else rows = foldCallMap(out.calls).size;
      families.clear();
      foldAt = Math.max(FOLD_FLOOR, rows * 2);
      folds++;
    }
  }
  return out;
}
