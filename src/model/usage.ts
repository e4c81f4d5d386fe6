/**
 * Usage artefacts: the reducer's per-role usage (`RoleUsage`, `UsageReport`; `iamtrim usage` prints it).
 */
import type { ActionId, Arn, RoleArn } from './iam.js';
import type { Evidence, TimeWindow } from './ingest.js';
import type { Diagnostic } from './mapping.js';

export interface CallUsage {
  eventSource: string;
  eventName: string;
  actions: ActionId[];
  resources: Arn[];
  /** Authorized calls. */
  count: number;
  /** Denied attempts. */
  denied: number;
  /**
   * Failed calls that prove no use (authentication failure, throttling, validation error; outcome
   * `failed`): not counted in `count`, never a grant. Absent when zero.
   */
  failed?: number;
  firstSeen: string;
  lastSeen: string;
  /** `mapped`, `ignored: <reason>` or `unmapped`. */
  mapping: string;
  /**
   * S3 object keys of this call folded to a prefix (more than `FOLD_LIMIT` distinct keys, see
   * `ingest/fold.ts`): `key` is `prefix/*` (or a key no longer than `depth` segments) and stands for
   * every key under the prefix; its resources above are the matching `arn:…:s3:::bucket/prefix/*`.
   */
  folded?: FoldedKey[];
}

export interface FoldedKey {
  bucket: string;
  key: string;
  /** Path segments kept. */
  depth: number;
  /** e.g. `folded, >100 distinct keys`. */
  note: string;
}

export interface PermissionUsage {
  action: ActionId;
  resources: Arn[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** Set when the permission was inferred rather than logged (e.g. iam:PassRole). */
  via?: string[];
  /**
   * The resources above that are folded S3 key prefixes (`arn:…:s3:::bucket/prefix/*` standing for
   * more than `FOLD_LIMIT` distinct keys under it; see `ingest/fold.ts`), not observed patterns.
   */
  folded?: Arn[];
  /**
   * The resources above that are patterns standing for ARNs the events did not let the mapper
   * resolve (`arn:…:instance/*`), with the calls that needed them: the fail-safe keeps today's
   * grant for these rather than drop the action (see `diff/fail-safe.ts`). Folded S3 prefixes and
   * `*` are not listed.
   */
  unresolved?: UnresolvedResource[];
}

export interface UnresolvedResource {
  resource: Arn;
  /** `eventSource eventName` of the calls that needed it. */
  calls: string[];
  /** Authorized events of those calls that needed it. */
  count: number;
}

export interface DeniedAttempt {
  action: ActionId;
  count: number;
  /** First denial in the window (a regression's "first denial"). */
  firstSeen: string;
  lastSeen: string;
  /** The resources the denied requests named (the mapper's ARNs), sorted: what `pr --restore` re-grants. */
  resources: Arn[];
}

/**
 * A permission whose calls all failed without proving authorization (outcome `failed`: throttling,
 * authentication or validation errors). Never usage; kept as granted today (the role does make the
 * call, and whether it is allowed is unknown).
 */
export interface FailedAttempt {
  action: ActionId;
  count: number;
  lastSeen: string;
  /** The error codes seen, sorted. */
  errorCodes: string[];
}

export interface UnmappedCall {
  eventSource: string;
  eventName: string;
  /** Every event of the call (authorized and denied). */
  count: number;
  /** Of `count`, the denied attempts (never kept). */
  denied: number;
  /** IAM service prefix of the eventSource (the fail-safe keeps that service's granted actions). */
  service: string;
  /** ARNs the authorized events name in `resources[]`, sorted. */
  resources: Arn[];
}

export interface RoleUsage {
  role: RoleArn;
  /** API-call events attributed to the role in the window (authorized + denied + ignored). */
  events: number;
  calls: CallUsage[];
  /** Authorized permissions, sorted by action. */
  used: PermissionUsage[];
  denied: DeniedAttempt[];
  /** Permissions of failed calls (throttling, authentication, validation); absent when none. */
  failed?: FailedAttempt[];
  unmapped: UnmappedCall[];
  diagnostics: Diagnostic[];
}

export interface UsageReport {
  window: TimeWindow;
  evidence: Evidence;
  roles: RoleUsage[];
}
