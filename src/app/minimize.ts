/**
 * The `minimize` use case: usage of one role -> diff against its grant -> checked proposal.
 * Pure apart from the source it is handed; the result is the serialisable plan that every
 * renderer (text, JSON, diff, Terraform, PR body) reads.
 */
import { diffPermissions } from '../diff/diff-permissions.js';
import { InputError } from '../errors.js';
import { findRole } from '../iam/find-role.js';
import type { IamCatalog } from '../iam/catalog.js';
import type { Diagnostic, Evidence, IamSnapshot, MinimizePlan, PlanUnmappedCall, RoleGrant, RoleUsage, TimeWindow } from '../model.js';
import type { LastAccessedReport } from '../iam/last-accessed.js';
import type { UsageSource } from '../ingest/source.js';
import { policyShares } from '../policy/per-policy.js';
import { describeDayGaps } from '../ingest/local/coverage.js';
import type { TrailSelection } from '../diff/trail-selectors.js';
import { proposePolicy, type ProposalOptions } from '../policy/propose.js';
import { mergeDiagnostics, reduceUsage, type CallMapper } from '../usage/reduce.js';
import { noEvidenceMessage } from './usage.js';

export interface MinimizeInput {
  role: string;
  window: TimeWindow;
  proposal: ProposalOptions;
  /** Propose even when there is no evidence (zero events). Off by default: no evidence is not "unused". */
  allowEmpty: boolean;
  /**
   * Propose even when the logs cover only part of the window (see `windowGaps`). Off by default:
   * a permission used only in the uncovered days would look unused.
   */
  allowPartialWindow?: boolean;
  /** The trail's event selectors; without them unobservability is inferred per resource from the logs. */
  trailSelection?: TrailSelection;
  /** Refuse (InputError, exit 3) when an authorized call has no mapping, instead of keeping its service's grant. */
  strict?: boolean;
  /**
   * Policies whose current version, and roles, younger than this many days (to the window's end)
   * are kept as they are in the per-policy shares (`grace`); 0 or absent: no grace.
   */
  graceDays?: number;
  /** IAM last-accessed evidence for the role (`--last-accessed`, `--last-accessed-days`). */
  lastAccessed?: { report: LastAccessedReport; days: number };
}

/**
 * `catalog` and `mapCall` may still be loading (promises): they then load on the main thread while
 * the scan's workers start and read (the CLI passes them so).
 */
export interface MinimizeDeps {
  catalog: IamCatalog | Promise<IamCatalog>;
  mapCall: CallMapper | Promise<CallMapper>;
  source: UsageSource;
  iam: IamSnapshot;
}

function emptyUsage(role: string): RoleUsage {
  return { role, events: 0, calls: [], used: [], denied: [], unmapped: [], diagnostics: [] };
}

/**
 * How far the logs' first and last events may sit inside the window before the window counts as
 * not covered. A busy trail has events every minute; a day absorbs delivery lag (CloudTrail
 * delivers within ~15 minutes, an hourly `aws s3 sync` adds an hour) and quiet nights.
 */
export const COVERAGE_SLACK_MS = 86_400_000;

/** A stretch at the start or end of the window in which the logs hold no event at all. */
export interface CoverageGap {
  edge: 'start' | 'end';
  from: string;
  to: string;
  days: number;
}

/**
 * The parts of the window the evidence does not cover: the logs start well after the window
 * starts (logs not synced that far back, trail created later, files pruned) or stop well before it
 * ends (a stale sync). Gaps inside the covered range are not detected. No dated events at all is
 * the no-evidence case, handled before this.
 */
export function windowGaps(window: TimeWindow, evidence: Evidence): CoverageGap[] {
  const { first, last } = evidence.covered;
  if (first === null || last === null) return [];
  const gaps: CoverageGap[] = [];
  const gap = (edge: CoverageGap['edge'], from: string, to: string): void => {
    const ms = Date.parse(to) - Date.parse(from);
    if (ms > COVERAGE_SLACK_MS) gaps.push({ edge, from, to, days: Math.round((ms / 86_400_000) * 10) / 10 });
  };
  gap('start', window.start, first);
  gap('end', last, window.end);
  return gaps;
}

/**
 * Every uncovered part of the window in one phrase: the edges (no events at all) and the days
 * inside it on which a region that delivers through the day has no log file (`evidence.coverage`).
 */
function describeGaps(gaps: readonly CoverageGap[], evidence: Evidence): string {
  const edges = gaps.map((g) => `no events at all from ${g.from} to ${g.to} (${g.days} days)`);
  const inside = evidence.coverage?.gaps ?? [];
  return [...edges, ...(inside.length > 0 ? [describeDayGaps(inside)] : [])].join('; and ');
}

function hasGaps(gaps: readonly CoverageGap[], evidence: Evidence): boolean {
  return gaps.length > 0 || (evidence.coverage?.gaps.length ?? 0) > 0;
}

/** The account of a role ARN (`arn:aws:iam::<account>:role/...`), or undefined. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * The accounts the logs come from when they do not include `account` (the IAM snapshot's), else
 * undefined. Logs whose accounts are unknown (no delivery paths, no attributed call) say nothing.
 */
export function accountMismatch(account: string | undefined, evidence: Evidence): string[] | undefined {
  const logs = evidence.accounts ?? [];
  if (account === undefined || logs.length === 0 || logs.includes(account)) return undefined;
  return logs;
}

function accountList(accounts: readonly string[]): string {
  return accounts.length <= 5 ? accounts.join(', ') : `${accounts.slice(0, 5).join(', ')} and ${accounts.length - 5} more`;
}

export async function runMinimize(deps: MinimizeDeps, input: MinimizeInput): Promise<MinimizePlan> {
  const grant: RoleGrant = findRole(deps.iam, input.role);
  if (grant.serviceLinked) {
    throw new InputError(
      `role ${grant.name} is a service-linked role (path ${grant.path}): AWS manages its policy and it cannot be edited, so no policy is proposed`,
      { hint: 'minimize the roles you manage; drift lists service-linked roles apart' },
    );
  }
  const scan = await deps.source.scan({ roles: { kind: 'roles', arns: [grant.arn], names: [] }, window: input.window });
  const [catalog, mapCall] = await Promise.all([deps.catalog, deps.mapCall]);
  const report = reduceUsage(scan, mapCall);
  const usage = report.roles.find((r) => r.role === grant.arn) ?? emptyUsage(grant.arn);
  const account = accountOfArn(grant.arn);
  const otherAccounts = accountMismatch(account, scan.evidence);
  if (otherAccounts !== undefined && input.allowPartialWindow !== true && !input.allowEmpty) {
    throw new InputError(
      `the logs are from account ${accountList(otherAccounts)}, but role ${grant.name} is in account ${account ?? '?'} (${deps.iam.source}): ` +
        `its calls in its own account are not in these logs, so no policy is proposed`,
      {
        hint: `point --logs at account ${account ?? '?'}'s trail (AWSLogs/${account ?? '?'}/...), or pass --allow-partial-window to propose from these logs only`,
      },
    );
  }
  if (usage.events === 0 && !input.allowEmpty) {
    throw new InputError(noEvidenceMessage(`role ${grant.name}`, input.window, scan.evidence), {
      hint: "widen --days, check --logs points at this account's trail, or pass --allow-empty to propose from no evidence (removes every permission)",
    });
  }
  const gaps = windowGaps(input.window, scan.evidence);
  if (hasGaps(gaps, scan.evidence) && usage.events > 0 && input.allowPartialWindow !== true && !input.allowEmpty) {
    throw new InputError(
      `the logs do not cover the window ${input.window.start} to ${input.window.end}: ${describeGaps(gaps, scan.evidence)}; ` +
        `a permission used only then would look unused, so no policy is proposed`,
      {
        hint: 'sync the missing logs, narrow the window to what they cover (--end, --days), or pass --allow-partial-window to propose from the covered part only',
      },
    );
  }
  const unmappedAuthorized = usage.unmapped.some((u) => u.count > u.denied);
  if (usage.events > 0 && usage.used.length === 0 && !unmappedAuthorized && !input.allowEmpty) {
    const denied = usage.denied.reduce((sum, d) => sum + d.count, 0);
    throw new InputError(
      `role ${grant.name} made ${usage.events} call(s) between ${input.window.start} and ${input.window.end}, none of them authorized (${denied} denied, ${usage.events - denied} needing no permission or unmapped): there is no usage to keep`,
      { hint: 'widen --days, or pass --allow-empty to propose removing every permission' },
    );
  }
  const diff = diffPermissions({
    catalog,
    grant,
    usage,
    evidence: scan.evidence,
    ...(input.lastAccessed !== undefined ? { lastAccessed: input.lastAccessed } : {}),
    ...(input.trailSelection !== undefined ? { trailSelection: input.trailSelection } : {}),
  });
  if (input.strict === true && diff.unmappedKeeps.length > 0) {
    const names = diff.unmappedKeeps.map((u) => `${u.call} x${u.events}`).join(', ');
    throw new InputError(`--strict: ${diff.unmappedKeeps.length} call(s) by ${grant.name} have no mapping: ${names}`, {
      hint: "add mapping rows for them (docs/mapping.md), or drop --strict to keep their service's granted actions through the fail-safe",
    });
  }
  const proposal = proposePolicy({ catalog, grant, usage, diff, options: input.proposal });
  const diagnostics: Diagnostic[] = [...usage.diagnostics, ...proposal.diagnostics];
  diagnostics.push(...evidenceDiagnostics(input.window, scan.evidence, usage.events, gaps));
  if (otherAccounts !== undefined)
    diagnostics.push({
      code: 'account-mismatch',
      severity: 'warning',
      message: `the logs are from account ${accountList(otherAccounts)}, not from the role's account ${account ?? '?'}: its calls there are unknown and permissions used only there look unused`,
    });
  return {
    role: grant.arn,
    roleName: grant.name,
    window: input.window,
    evidence: {
      ...scan.evidence,
      denied: usage.denied.reduce((sum, d) => sum + d.count, 0),
      unmapped: usage.unmapped.reduce((sum, u) => sum + u.count, 0),
    },
    granted: { actions: diff.granted.length, services: diff.services },
    used: usage.used,
    unused: diff.unused,
    unobservable: diff.unobservable,
    observability: { ...diff.observability, partlyUnobservable: diff.unobservableParts },
    denied: usage.denied,
    unmapped: usage.unmapped.map((u): PlanUnmappedCall => {
      const keep = diff.unmappedKeeps.find((k) => k.call === `${u.eventSource} ${u.eventName}`);
      return { ...u, kept: keep?.actions ?? [], match: keep?.match ?? 'denied-only' };
    }),
    kept: diff.kept,
    usedNotGranted: diff.usedNotGranted,
    calls: usage.calls,
    current: grant.policies.map((p) => p.document),
    proposed: proposal.policies,
    policies: policyShares(catalog, grant, proposal.policies, input.graceDays !== undefined ? { days: input.graceDays, now: input.window.end } : undefined),
    verification: proposal.verification,
    scope: proposal.scope,
    ...(input.lastAccessed !== undefined
      ? {
          lastAccessed: {
            origin: input.lastAccessed.report.origin,
            asOf: input.lastAccessed.report.asOf,
            days: input.lastAccessed.days,
            granularity: input.lastAccessed.report.granularity,
            kept: diff.recentlyAccessed,
          },
        }
      : {}),
    diagnostics: mergeDiagnostics(diagnostics),
    data: { iamData: catalog.version },
  };
}

/**
 * Warnings that travel with a proposal made from incomplete evidence, so the output itself says
 * what is missing: skipped files (by name), invalid records, no events, uncovered days.
 */
export function evidenceDiagnostics(window: TimeWindow, evidence: Evidence, events: number, gaps: readonly CoverageGap[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const skipped = evidence.skippedFiles;
  if (skipped.length > 0) {
    const names =
      skipped
        .slice(0, 5)
        .map((f) => f.file)
        .join(', ') + (skipped.length > 5 ? `, … and ${skipped.length - 5} more` : '');
    out.push({
      code: 'skipped-files',
      severity: 'warning',
      message: `${skipped.length} unreadable log file(s) were skipped (--skip-bad-files); the events in them are unknown and not counted: ${names}`,
      count: skipped.length,
    });
  }
  if (evidence.invalidRecords > 0) {
    out.push({
      code: 'invalid-records',
      severity: 'warning',
      message: `${evidence.invalidRecords} record(s) without eventSource or a readable eventTime were skipped`,
      count: evidence.invalidRecords,
    });
  }
  if (events === 0) {
    out.push({
      code: 'no-evidence',
      severity: 'warning',
      message: `no events by this role between ${window.start} and ${window.end} (--allow-empty): every permission is proposed for removal without evidence`,
    });
  }
  if (hasGaps(gaps, evidence)) {
    out.push({
      code: 'partial-window',
      severity: 'warning',
      message: `the logs do not cover the whole window: ${describeGaps(gaps, evidence)}; permissions used only then look unused`,
    });
  }
  out.push(...deliveryDiagnostics(evidence));
  return out;
}

/**
 * What the delivery paths leave unknown or unjudged, and the duplicate copies read once: said in
 * the output so nobody takes an unchecked window for a complete one.
 */
export function deliveryDiagnostics(evidence: Evidence): Diagnostic[] {
  const out: Diagnostic[] = [];
  const coverage = evidence.coverage;
  if (coverage !== undefined && coverage.undatedFiles > 0) {
    out.push({
      code: 'coverage-unknown',
      severity: 'warning',
      count: coverage.undatedFiles,
      message:
        coverage.basis === 'unknown'
          ? `the ${coverage.undatedFiles} log file(s) carry no delivery account, region and date in their names or paths (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/): missing days inside the window cannot be detected`
          : `${coverage.undatedFiles} log file(s) carry no delivery account, region and date in their names or paths: the days they cover are unknown, and missing days were looked for in the other files only`,
    });
  }
  const quiet = coverage?.regions.filter((r) => !r.judged) ?? [];
  if (quiet.length > 0) {
    out.push({
      code: 'coverage-not-judged',
      severity: 'info',
      count: quiet.length,
      message: `${quiet.length} region(s) deliver too rarely for a day without files to mean a missing delivery; their missing days are not judged: ${quiet
        .slice(0, 5)
        .map((r) => `${r.account} ${r.region} (${r.days} of ${coverage?.windowDays ?? '?'} days)`)
        .join(', ')}${quiet.length > 5 ? `, … and ${quiet.length - 5} more` : ''}`,
    });
  }
  const duplicates = evidence.duplicateFiles ?? [];
  if (duplicates.length > 0) {
    out.push({
      code: 'duplicate-files',
      severity: 'info',
      count: duplicates.length,
      message: `${duplicates.length} file(s) are a second copy of a delivery file and were not read again (each delivery counted once): ${duplicates
        .slice(0, 3)
        .map((d) => `${d.file} (same as ${d.sameAs})`)
        .join(', ')}${duplicates.length > 3 ? `, … and ${duplicates.length - 3} more` : ''}`,
    });
  }
  return out;
}
