/**
 * Ingest artefacts: the grouped call rows a usage source returns (same shape from every source)
 * and the evidence of what it read (`UsageScan`).
 */
import type { RoleArn } from './iam.js';

export interface TimeWindow {
  /** Inclusive, ISO-8601 UTC. */
  start: string;
  /** Exclusive, ISO-8601 UTC. */
  end: string;
}

/** Which principals a scan attributes events to. */
export type RoleFilter = { kind: 'all' } | { kind: 'roles'; arns: readonly RoleArn[]; names: readonly string[] };

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
