/**
 * The plan: what `minimize` proposes and why (`MinimizePlan`, read by renderers, `pr` and drift).
 */
import type { ActionId, PolicyDocument } from './iam.js';
import type { Evidence, TimeWindow } from './ingest.js';
import type { Diagnostic } from './mapping.js';
import type { CallUsage, DeniedAttempt, PermissionUsage, UnmappedCall } from './usage.js';

/** A granted permission CloudTrail cannot show being used, with why: kept unless dropped explicitly. */
export interface UnobservablePermission {
  action: ActionId;
  reason: string;
  /**
   * The granted resource patterns the logs cannot show (a data-event action whose other granted
   * resources are logged); absent when the action is unobservable wherever it is granted.
   */
  resources?: string[];
}

/**
 * How unobservability was decided: from the trail's own event selectors, from a CloudTrail Lake
 * event data store's selectors (`selectorsUnknown` when they could not be read: every data-event
 * permission kept; `notes` when the store's reach leaves the role's calls out), or inferred from the logs.
 */
export type ObservabilityBasis =
  | { basis: 'trail-selectors'; source: string; trail?: string }
  | { basis: 'event-data-store-selectors'; source: string; eventDataStore?: string; selectorsUnknown?: true; notes?: string[] }
  | { basis: 'inferred-from-logs' };

/** What the self-check proved, and what it could not (calls kept through the fail-safe). */
export interface ProposalVerification {
  /** Distinct (action, resource) pairs of mapped, resolved calls the current policies allow. */
  observedCalls: number;
  /** Of those, allowed by the proposal (must equal observedCalls). */
  allowed: number;
  /** Proposed requests the current policy denies (must be 0). */
  newlyAllowed: number;
  /**
   * Calls the mapping could not translate exactly, whose possible permissions were kept as granted
   * today (`diff/fail-safe.ts`): their true pairs are unknown, so they are not among the verified
   * pairs; the kept permissions are checked to be in the proposal.
   */
  failSafe: { unmappedCalls: number; unmappedEvents: number; unresolvedCalls: number; unresolvedEvents: number; actions: number };
}

/**
 * How much the proposal narrows the grant. `after.resources`: distinct Resource/NotResource entries
 * other than `*`; `after.anyResource`: proposed actions allowed on `Resource: "*"` or through a
 * NotResource (any resource).
 */
export interface ProposalScope {
  before: { actions: number; resources: string };
  after: { actions: number; resources: number; anyResource: number };
}

export type KeptReason = 'kept: unmapped call' | 'kept: unresolved resource';

/** One permission kept through the fail-safe (the plan's `kept` list; `diff/fail-safe.ts`). */
export interface KeptPermission {
  action: ActionId;
  reason: KeptReason;
  /** `eventSource eventName` of the calls it is kept for, sorted. */
  calls: string[];
  /** Authorized events of those calls. */
  events: number;
  /**
   * `named`: kept on `resources`, the ARNs the records name; `granted`: kept on today's grant for
   * the action, restricted to entries that may overlap `resources` when those are given (the
   * mapper's patterns for an unresolved resource), else every entry.
   */
  scope: 'named' | 'granted';
  resources: string[];
}

/** What the fail-safe did for one authorized unmapped call. */
export interface UnmappedKeep {
  call: string;
  service: string;
  events: number;
  /** Granted actions kept for it (empty: the role is granted nothing of that service today). */
  actions: ActionId[];
  /** `action`: the catalogue action named like the call; `service`: every granted action of the service. */
  match: 'action' | 'service' | 'none';
}

/** An unmapped call in the plan, with the granted actions the fail-safe kept for it. */
export type PlanUnmappedCall = UnmappedCall & { kept: ActionId[]; match: UnmappedKeep['match'] | 'denied-only' };

/** What happens to one policy: rewritten, left as is, emptied (delete or detach it), or an AWS-managed attachment replaced. */
export type ShareChange = 'edit' | 'unchanged' | 'remove' | 'replace-aws-managed' | 'keep-aws-managed' | 'grace';

/** One policy's share of a role's merged proposal. */
export interface PolicyShare {
  kind: 'inline' | 'managed';
  name: string;
  /** Managed policies only. */
  arn?: string;
  /** AWS-managed (`arn:aws:iam::aws:policy/...`): not editable. */
  awsManaged: boolean;
  change: ShareChange;
  /** Today's document (canonical). */
  current: PolicyDocument;
  /** This policy's share of the merged proposal (canonical); no statements: nothing of it is needed. */
  proposed: PolicyDocument;
  /** Concrete actions this document grants today / keeps in its share. */
  grantedActions: number;
  keptActions: number;
  /** Concrete actions this document grants today and its share no longer does (sorted). */
  removedActions: string[];
  /** Managed policies: every principal it is attached to (see RolePolicy.attachedTo); absent when unknown. */
  attachedTo?: string[];
  /** change `grace`: why the policy is kept as it is (a version or role younger than --grace-days). */
  graceReason?: string;
}

/** A granted action IAM's last-accessed data shows attempted recently (`iam/last-accessed.ts`). */
export interface LastAccessedKeep {
  action: ActionId;
  /** The date IAM reports (the action's own, or its service's), ISO-8601. */
  lastAccessed: string;
  /** `action`: IAM tracks this action; `service`: only the service's date is known. */
  level: 'action' | 'service';
}

/** The IAM last-accessed evidence a plan used (`--last-accessed`), and what it kept. */
export interface PlanLastAccessed {
  /** A file path, or `live IAM`. */
  origin: string;
  /** When IAM completed the report. */
  asOf: string;
  /** `--last-accessed-days`: an attempt within this many days of `asOf` keeps the permission. */
  days: number;
  granularity: 'SERVICE_LEVEL' | 'ACTION_LEVEL';
  kept: LastAccessedKeep[];
}

/** The plan: everything known about one role's grant and usage, and the checked proposal. */
export interface MinimizePlan {
  role: string;
  roleName: string;
  window: TimeWindow;
  evidence: Evidence & { denied: number; unmapped: number };
  granted: { actions: number; services: number };
  used: PermissionUsage[];
  unused: string[];
  unobservable: UnobservablePermission[];
  /**
   * How unobservability was decided (the trail's event selectors, or inferred per resource from the
   * logs), and the used actions also kept on granted resources the logs cannot show.
   */
  observability: ObservabilityBasis & { partlyUnobservable: UnobservablePermission[] };
  denied: DeniedAttempt[];
  /** Calls with no mapping row, each with the granted actions the fail-safe kept for it. */
  unmapped: PlanUnmappedCall[];
  /** Permissions kept through the fail-safe, with reason, calls and event count (`diff/fail-safe.ts`). */
  kept: KeptPermission[];
  usedNotGranted: string[];
  calls: CallUsage[];
  current: PolicyDocument[];
  proposed: PolicyDocument[];
  /**
   * Per policy that grants the role anything (inline and attached managed; not the boundary): its
   * share of `proposed` (src/policy/per-policy.ts). `proposed` is the merged view `minimize`
   * prints; `pr` writes one share.
   */
  policies: PolicyShare[];
  verification: ProposalVerification;
  scope: ProposalScope;
  /** Present with `--last-accessed`: IAM's own evidence beyond the window, and what it kept. */
  lastAccessed?: PlanLastAccessed;
  diagnostics: Diagnostic[];
  /** Reference data the plan was computed with. */
  data: { iamData: string };
}
