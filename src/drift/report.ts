/**
 * The drift report: the serialisable artefact every drift renderer (JSON, Markdown, HTML) reads,
 * and the run record the history store keeps. Both are plain JSON values.
 */
import type { Diagnostic, TimeWindow } from '../model.js';
import type { LastAccessedKeep } from '../model.js';
import type { RiskFinding } from './risk.js';
import type { ServerlessDriftSection } from './lambda-drift.js';
import type { Regression } from './regressions.js';

/** Where the last activity of a role comes from: the logs in the window, or IAM's RoleLastUsed. */
export interface LastActivity {
  at: string;
  source: 'cloudtrail' | 'iam-role-last-used';
}

/** Granted vs. used counts of one role over the stored runs, aligned with `DriftReport.trend.runs`. */
export interface RoleTrend {
  granted: (number | null)[];
  used: (number | null)[];
}

/** A used action of a role: successful calls in the window and the last one's time ('' when the usage kept none). */
export interface UsedAction {
  action: string;
  count: number;
  lastSeen: string;
}

export interface DriftRole {
  name: string;
  arn: string;
  /** The 12-digit account of the role's ARN ('' when the ARN names none). */
  account: string;
  path: string;
  /** Service-linked roles cannot be edited: they are reported apart and never ranked. */
  serviceLinked: boolean;
  /** `no-activity`: no API call by the role in the window (an unused role). */
  status: 'active' | 'no-activity';
  events: number;
  /** Concrete granted actions and their services. */
  granted: number;
  services: number;
  used: number;
  unused: number;
  /** `unused / granted`, 0-100 with one decimal; 0 when nothing is granted. */
  unusedPercent: number;
  unobservable: number;
  /** With `--last-accessed`: granted actions not seen in the window that IAM saw attempted within the days (kept, not unused). */
  lastAccessedKept?: LastAccessedKeep[];
  usedActions: string[];
  /** `usedActions` with their call counts and last-seen times, same order. */
  usedLastSeen: UsedAction[];
  /** Unused actions, with a whole service written `service:*` when every catalogue action of it is unused. */
  unusedActions: string[];
  usedNotGranted: string[];
  /** Every risky grant (see data/risk.json); `riskyUnused` counts those with an unused part. */
  risks: RiskFinding[];
  riskyUnused: number;
  /** Ranking weight of the risky-unused findings (high 10, medium 3). */
  riskScore: number;
  deniedAttempts: { action: string; count: number; lastSeen: string }[];
  lastActivity: LastActivity | null;
  /** The command that proposes this role's minimized policy (not to run for a role to retire: it has no evidence). */
  minimize: string;
  /** What kind of role it is, from its trust policy (data/role-kinds.json), and advice that fits it. */
  kind: { id: string; label: string; advice: string };
  /** For a role with no activity in the window and none (RoleLastUsed) for `--retire-after-days`: how to retire it. */
  retire?: Retirement;
  trend: RoleTrend;
}

/** A retirement recommendation: what to detach and delete, and what still references the role. */
export interface Retirement {
  /** Last activity known (RoleLastUsed), null when never used. */
  lastActivity: string | null;
  days: number;
  detach: string[];
  deleteInline: string[];
  instanceProfiles: string[];
  lambdaFunctions: string[];
  /** What else to check for this kind of role before deleting it. */
  check: string;
  /** The AWS CLI commands, in order. */
  commands: string[];
}

/**
 * What changed for one role since the previous run. Action lists use the `service:*` short form,
 * so their length counts entries; `actionCounts` says how many concrete actions each stands for.
 */
export interface RoleChange {
  name: string;
  arn: string;
  newGrants: string[];
  removedGrants: string[];
  newlyUsed: string[];
  newlyUnused: string[];
  /** Concrete actions behind each list above (a `service:*` entry counts every catalogue action of the service). */
  actionCounts: ChangeActionCounts;
  /** Risk rule ids granted now and not before. */
  newRisks: string[];
}

export interface ChangeActionCounts {
  newGrants: number;
  removedGrants: number;
  newlyUsed: number;
  newlyUnused: number;
}

export interface DriftChanges {
  previousRun: string;
  rolesAdded: string[];
  rolesRemoved: string[];
  /** Risk rule ids of added roles count as new risks: `newRisks` lists `role: rule` pairs over all roles. */
  newRisks: string[];
  roles: RoleChange[];
}

export interface DriftSummary {
  roles: number;
  active: number;
  noActivity: number;
  serviceLinked: number;
  granted: number;
  used: number;
  unused: number;
  unusedPercent: number;
  rolesWithRiskyUnused: number;
  deniedAttempts: number;
}

/** One account's share of the report (`--iam DIR` merges one snapshot per account). */
export interface DriftAccount extends Omit<DriftSummary, 'deniedAttempts'> {
  account: string;
  /** Whether the logs come from this account: null when the logs do not say which accounts they hold. */
  logs: boolean | null;
  /**
   * Granted and used over the runs of `DriftReport.trend.runs`, summed over the account's editable
   * roles of this run (as the report-wide trend); null for a run none of them was in.
   */
  trend: RoleTrend;
}

export interface DriftReport {
  tool: { name: 'iamtrim'; version: string };
  generatedAt: string;
  window: TimeWindow;
  evidence: {
    source: string;
    files: number;
    records: number;
    events: number;
    covered: { first: string | null; last: string | null };
    dataEventSources: string[];
    scans: number;
  };
  iam: { source: string; roles: number };
  data: { iamData: string; riskTable: string };
  summary: DriftSummary;
  /**
   * Calls that worked and will not (or already do not): used successfully, in the window or the
   * previous run, and no longer granted, or denied after working. Shown first in every format;
   * `--fail-on regression` exits 1 on any.
   */
  regressions: Regression[];
  /** Per-account totals (editable roles only, as `summary`), by account id; one entry for a one-account snapshot. */
  accounts: DriftAccount[];
  /** Editable roles, ranked by risky unused permissions (then unused, then name). */
  roles: DriftRole[];
  /** Names of editable roles with no activity in the window. */
  unusedRoles: string[];
  /** Customer-managed policies attached to nothing (no role, user, group or boundary); absent when the snapshot cannot tell. */
  unattachedPolicies?: { arn: string; name: string }[];
  serviceLinked: DriftRole[];
  history: { store: string | null; runs: number; previousRun: string | null };
  /** Null on the first run (or without history): there is nothing to compare with. */
  changes: DriftChanges | null;
  /** Run times of the trend series, oldest first; the current run is last. */
  trend: { runs: string[]; granted: number[]; used: number[] };
  diagnostics: Diagnostic[];
  /**
   * What makes the whole report unreliable, shown first in every format: logs from other accounts
   * than the IAM snapshot's (every role then reads as unused for want of evidence), days of the
   * window without logs. Absent when there is none.
   */
  alerts?: DriftAlert[];
  /**
   * Accounts asked for (`--assume-role-pattern`, `--accounts`) whose roles are not in this report:
   * the role could not be assumed or IAM not read (the reason), or the logs hold no evidence of the
   * account (`no evidence in the logs`). Their roles are neither used nor unused. Absent when none.
   */
  accountsNotEvaluated?: DriftAccountNotEvaluated[];
  /** Roles grouped by Lambda function (with --lambda) and statement-level anti-patterns. */
  serverless?: ServerlessDriftSection;
}

/** An account whose roles were not evaluated, and why ("not evaluated: <reason>"). */
export interface DriftAccountNotEvaluated {
  account: string;
  reason: string;
}

export interface DriftAlert {
  code: 'account-mismatch' | 'accounts-without-logs' | 'accounts-not-evaluated' | 'accounts-without-evidence' | 'partial-window';
  message: string;
  /** For account-mismatch and accounts-without-logs: the snapshot's accounts and the logs'. */
  accounts?: { snapshot: string[]; logs: string[] };
}

/** One role in one run, as the history store keeps it. Sets are sorted concrete actions. */
export interface RoleRecord {
  arn: string;
  name: string;
  serviceLinked: boolean;
  events: number;
  granted: string[];
  used: string[];
  unobservable: string[];
  /** Unused is derived: granted minus used minus unobservable. */
  unusedCount: number;
  riskRules: string[];
  riskyUnused: number;
  lastActivity: string | null;
}

export interface RunRecord {
  at: string;
  window: TimeWindow;
  source: string;
  iamSource: string;
  iamData: string;
  roles: RoleRecord[];
}

/** What the history store hands back about earlier runs. */
export interface HistoryView {
  store: string;
  /** Number of runs stored before this one. */
  runs: number;
  previous: RunRecord | null;
  /** Oldest first, at most the trend length, without the current run. */
  trend: { at: string; roles: Map<string, { granted: number; used: number }> }[];
}
