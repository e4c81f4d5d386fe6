/**
 * The domain vocabulary shared by every stage. Wire formats keep AWS casing (`Effect`, `Action`);
 * everything else is camelCase. Stage artefacts (usage, plan) are plain JSON-serialisable values.
 */

/** An IAM action in its canonical case, e.g. `s3:GetObject`. */
export type ActionId = string;
/** An ARN or an ARN pattern with `*` / `?` wildcards. */
export type Arn = string;
/** The full IAM role ARN including its path, e.g. `arn:aws:iam::123456789012:role/service/app-api`. */
export type RoleArn = string;

// ---------------------------------------------------------------------------------------------
// IAM policy documents (wire format)
// ---------------------------------------------------------------------------------------------

export type ConditionValue = string | number | boolean | ReadonlyArray<string | number | boolean>;
/** `{ "StringEquals": { "aws:RequestedRegion": ["eu-west-1"] } }` */
export type ConditionBlock = Record<string, Record<string, ConditionValue>>;

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: ConditionBlock;
  Principal?: unknown;
  NotPrincipal?: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
}

/** One policy as it applies to a role: inline, attached managed, or the permissions boundary. */
export interface RolePolicy {
  kind: 'inline' | 'managed' | 'boundary';
  name: string;
  /** Managed policies only. */
  arn?: string;
  document: PolicyDocument;
  /**
   * Managed policies: every principal (role, user, group ARN) it is attached to, this role
   * included, when the snapshot lists them (authorization details do); absent when unknown.
   */
  attachedTo?: string[];
  /** Managed policies: when the default version was created (ISO-8601), when the snapshot says. */
  versionDate?: string;
}

/** What a role is granted, read from an authorization-details file or live IAM. */
export interface RoleGrant {
  arn: RoleArn;
  name: string;
  path: string;
  accountId: string;
  /** Identity policies: inline and attached managed. */
  policies: RolePolicy[];
  boundary?: RolePolicy;
  /** Service-linked roles (path `/aws-service-role/`) cannot be edited. */
  serviceLinked: boolean;
  /** ISO-8601, from RoleLastUsed when the snapshot has it. */
  lastUsed?: string;
  /** ISO-8601, when the role was created (authorization details give it). */
  createDate?: string;
  /** The trust policy (AssumeRolePolicyDocument) when the snapshot has it: who can assume the role. */
  trust?: PolicyDocument;
}

export interface IamSnapshot extends IamIdentity {
  /** Where the snapshot came from: a file path or `live IAM (account …)`. */
  source: string;
  roles: RoleGrant[];
  /**
   * Customer-managed policies attached to no role, user or group and used as no permissions
   * boundary (AttachmentCount and PermissionsBoundaryUsageCount both 0). Absent when unknown.
   */
  unattachedPolicies?: NamedIamEntity[];
}

/** An IAM entity known by ARN, name and path (`/` or `/service-role/`). */
export interface NamedIamEntity {
  arn: string;
  name: string;
  path: string;
}

/** An instance profile and the role ARNs it holds (at most one today). */
export interface InstanceProfileEntity extends NamedIamEntity {
  roles: string[];
}

/**
 * What the IAM snapshot says about resource identity, for the mapper: which roles, users, instance
 * profiles and managed policies exist, with their paths. `IamSnapshot` is one.
 */
export interface IamIdentity {
  roles: readonly NamedIamEntity[];
  users?: readonly NamedIamEntity[];
  instanceProfiles?: readonly InstanceProfileEntity[];
  policies?: readonly NamedIamEntity[];
}

// ---------------------------------------------------------------------------------------------
// Ingest: the grouped rows a usage source returns (same shape from DuckDB, Athena, APIs)
// ---------------------------------------------------------------------------------------------

export interface TimeWindow {
  /** Inclusive, ISO-8601 UTC. */
  start: string;
  /** Exclusive, ISO-8601 UTC. */
  end: string;
}

/** Which principals a scan attributes events to. */
export type RoleFilter =
  | { kind: 'all' }
  | { kind: 'roles'; arns: readonly RoleArn[]; names: readonly string[] };

export interface UsageQuery {
  roles: RoleFilter;
  window: TimeWindow;
}

/**
 * One group of identical calls by one role: same call, region, account, error code and the
 * same resource-identifying request parameters. Counts and first/last seen aggregate the group.
 */
export interface CallRow {
  roleArn: RoleArn;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  recipientAccountId: string;
  /** `Management`, `Data`, … or `` when the record has none. */
  eventCategory: string;
  /** Raw CloudTrail `errorCode`, null for success. */
  errorCode: string | null;
  /** Set when an AWS service made the call with the role's credentials (`userIdentity.invokedBy`). */
  invokedBy: string | null;
  /** Resource-identifying request parameters, by the names in `mapping/data/request-keys.json`. */
  params: Record<string, string>;
  /** `resources[].ARN` of the records, sorted, de-duplicated. */
  resourceArns: string[];
  /**
   * Set when the S3 object key (`params.key`) and the object ARN in `resourceArns` were folded to
   * this many `/`-separated segments because the call had more than `FOLD_LIMIT` distinct keys
   * (see `ingest/fold.ts`): the key is then either a prefix followed by `/*` or a key no longer
   * than the depth. Absent for rows kept exactly as observed. Part of the call key.
   */
  foldedDepth?: number;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

/** What a scan read, so a reviewer can see gaps. Missing evidence is never read as "unused". */
export interface Evidence {
  /** Description of the source, e.g. `local logs ./logs` or `athena db.table`. */
  source: string;
  files: number;
  bytes: number;
  /** Files that could not be read and were skipped (only with --skip-bad-files). */
  skippedFiles: SkippedFile[];
  /** All records read in the scanned files, any principal, any time. */
  records: number;
  /** Records without eventSource or a readable eventTime: counted, never attributed. */
  invalidRecords: number;
  /** API-call events attributed to the requested role(s) inside the window. */
  events: number;
  /** Earliest and latest eventTime seen in the scanned files (any principal). */
  covered: { first: string | null; last: string | null };
  /** Earliest and latest delivery dates of all log files found, pruned ones included (local files). */
  logDates?: { first: string | null; last: string | null };
  /** Log files not read because their delivery date lies outside the padded window. */
  prunedFiles?: number;
  /** eventSources for which the logs contain data events (eventCategory Data) in the window. */
  dataEventSources: string[];
  /**
   * Which (account, region, day) of the window the delivery file names and paths cover, and the
   * days missing inside it (local files; `src/ingest/local/coverage.ts`). Absent for sources
   * without delivery files (Athena, Lake, LookupEvents).
   */
  coverage?: DeliveryCoverage;
  /**
   * Accounts the logs come from: the `AWSLogs/<account>/` paths and delivery names, and the
   * recipientAccountId of the calls attributed. Empty when neither says.
   */
  accounts?: string[];
  /** Files read once because the same delivery file is there twice (`.json` and `.json.gz`). */
  duplicateFiles?: DuplicateFile[];
}

/** See `Evidence.coverage`. */
export interface DeliveryCoverage {
  /** `delivery-paths` when some file has a dated delivery name or path; `unknown` when none has. */
  basis: 'delivery-paths' | 'unknown';
  /** UTC days the window touches. */
  windowDays: number;
  /** Files read whose name and path carry no account, region and day: their coverage is unknown. */
  undatedFiles: number;
  regions: DeliveryRegion[];
  /** Days inside the window without a file, for regions that deliver through the day. */
  gaps: CoverageGapDays[];
}

export interface DeliveryRegion {
  account: string;
  region: string;
  /** Days of the window with at least one file. */
  days: number;
  files: number;
  /** Average distinct delivery hours on those days. */
  activeHoursPerDay: number;
  /** Whether its missing days count as gaps (it delivers through the day); quiet regions are not judged. */
  judged: boolean;
}

export interface CoverageGapDays {
  account: string;
  region: string;
  /** First and last missing UTC day, inclusive. */
  from: string;
  to: string;
  days: number;
}

export interface DuplicateFile {
  /** The copy not read. */
  file: string;
  /** The file read instead. */
  sameAs: string;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface UsageScan {
  window: TimeWindow;
  rows: CallRow[];
  evidence: Evidence;
}

// ---------------------------------------------------------------------------------------------
// Mapping: a call row -> the permissions it needed
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Usage: the reducer's artefact (`iamtrim usage` prints it)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The plan (what `minimize` proposes and why)
// ---------------------------------------------------------------------------------------------

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

/** How unobservability was decided: from the trail's own event selectors, or inferred from the logs. */
export type ObservabilityBasis =
  | { basis: 'trail-selectors'; source: string; trail?: string }
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

/** The plan: everything known about one role's grant and usage, and the checked proposal. */
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
