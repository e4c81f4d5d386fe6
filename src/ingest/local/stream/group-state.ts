/**
 * The per-file state scanText keeps for a group of records (equal fields but for their time) and
 * for its call: what is decoded once per group and once per distinct value.
 */
import type { CallRow } from '../../../model.js';
import type { CoverageCount } from '../../reference.js';
import { FIELD, RAW } from './record-index.js';

/** A `requestParameters` or `resources` value reduced for grouping, with its JSON. */
export interface Reduced<T> {
  value: T;
  json: string;
}

/** `reduce()` of the value with span id `id` (RAW - n), once per distinct value of the file. */
export function reducedOnce<T>(cache: Array<Reduced<T> | undefined>, id: number, reduce: () => T): Reduced<T> {
  const n = RAW - id;
  let hit = cache[n];
  if (hit === undefined) {
    const value = reduce();
    hit = { value, json: JSON.stringify(value) };
    if (n >= 0) cache[n] = hit;
  }
  return hit;
}

/**
 * What the records of one group (RecordIndex.groups: equal fields but for their time) share,
 * decoded from the group's first record: whether it counts as valid, its evidence of data
 * events, and once one of its records is in the window, its call group.
 */
export interface Group {
  /** The eventSource when it is a string (a valid record), else null. */
  source: string | null;
  category: string | null;
  data: boolean;
  /** The role its records count for (reference.ts attributedRole), or undefined: they do not count. */
  role: { roleArn: string; roleName: string } | undefined;
  /** Resolved at the group's first record in the window: its call (null: not attributed). */
  call: GroupCall | null | undefined;
  /** The call row it last counted into, that row's object key (keyed calls), day (rollup) and the fold count then. */
  row: CallRow | undefined;
  rowKey: string | undefined;
  rowDay: string;
  rowFold: number;
  /** The coverage entry it last counted into, and its day (rollup). */
  covered: CoverageCount | undefined;
  coveredDay: string;
}

/** The fields a call head reads (scanText's headOf): equal ids, equal heads. */
export const HEAD_FIELDS = [
  FIELD['userIdentity.sessionContext.sessionIssuer.arn'],
  FIELD['userIdentity.sessionContext.sessionIssuer.userName'],
  FIELD.eventSource,
  FIELD.eventName,
  FIELD.awsRegion,
  FIELD.recipientAccountId,
  FIELD['userIdentity.accountId'],
  FIELD.eventCategory,
  FIELD.errorCode,
  FIELD['userIdentity.invokedBy'],
];

/** A call's fields but its parameters and resources, their JSON in callKey order without the closing bracket, and its role name. */
export interface CallHead {
  fields: Omit<CallRow, 'count' | 'firstSeen' | 'lastSeen' | 'params' | 'resourceArns'>;
  json: string;
  roleName: string | null;
}

/**
 * A group's call: its identity in the file's call map, the row's fields, and its role name. A
 * keyed call (its requestParameters' class leaves the S3 object key out: VALUE_KEY) is a call per
 * object its records read: each record's row is the call's with the record's key in its
 * parameters and object ARNs (`heads` + key, with `others`), under scanIdentity(familyId, key).
 */
export interface GroupCall {
  /** The identity of a call that is not keyed (a keyed call's rows have one per key). */
  key: string;
  /** Its row with no count yet (as fold.ts's row functions take it). */
  row: CallRow;
  roleName: string | null;
  keyed: boolean;
  heads: string[];
  others: string[];
  /**
   * The call's fold family (familyOf), for a keyed call whatever the key, when the call alone
   * decides it (else worked out per row); undefined for a call without an object key.
   */
  familyId: string | undefined;
  /** The depth a keyed call's keys fold to on arrival (`foldDepth`; Infinity: not folded). */
  depth: number;
}
