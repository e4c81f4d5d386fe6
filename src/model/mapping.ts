/**
 * Mapping artefacts: a call row -> the permissions it needed (`MappedCall`), and the `Diagnostic`
 * values every stage reports expected conditions with.
 */
import type { ActionId, Arn } from './iam.js';

export type Severity = 'info' | 'warning' | 'error';

/** Expected conditions (unmapped event, widened resource, skipped file) flow into reports as values. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** What the diagnostic is about: an action, `eventSource:eventName`, a file. */
  subject?: string;
  count?: number;
}

/** How a call ended, as far as authorization is concerned. */
export type CallOutcome =
  /** Succeeded, or failed after authorization (NoSuchKey, conflicts, conditional checks): usage. */
  | 'authorized'
  /** AccessDenied and friends: an attempt, never a grant. */
  | 'denied'
  /**
   * Failed without showing that authorization passed: authentication failures (InvalidClientTokenId,
   * RequestExpired, ExpiredToken), throttling, validation errors. Neither usage nor a denied attempt.
   */
  | 'failed';

export interface RequiredPermission {
  action: ActionId;
  /** ARNs or narrowest derivable patterns; `*` when the action has no resource type. */
  resources: Arn[];
  /** Why this permission is needed when it is not the call's own action (PassRole, KMS on behalf…). */
  via?: string;
}

export type MappedCall =
  | { kind: 'mapped'; outcome: CallOutcome; permissions: RequiredPermission[]; diagnostics: Diagnostic[] }
  /** Needs no permission (sts:GetCallerIdentity) or is not an API call by the principal. */
  | { kind: 'ignored'; reason: string; diagnostics: Diagnostic[] }
  /** `service`: the IAM prefix of the eventSource, for the fail-safe that keeps what the call may have needed. */
  | { kind: 'unmapped'; outcome: CallOutcome; diagnostics: Diagnostic[]; service?: string };
