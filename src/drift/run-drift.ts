/**
 * The `drift` use case: every selected role of an account, granted vs. used, with the risk of the
 * excess. One scan of the usage source serves all roles (never one per role): its rows are
 * reduced per role and diffed against each grant. Pure apart from the source it is handed; the
 * history (previous run, trend) is joined afterwards by `applyHistory`.
 */
import { diffPermissions } from '../diff/diff-permissions.js';
import type { LastAccessedReport } from '../iam/last-accessed.js';
import type { TrailSelection } from '../diff/trail-selectors.js';
import { InputError, UsageError } from '../errors.js';
import { closestNames } from '../iam/find-role.js';
import { type IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { wildcardRegExp } from '../iam/expand.js';
import type { UsageSource } from '../ingest/source.js';
import type { Diagnostic, IamSnapshot, RoleFilter, RoleGrant, RoleUsage, TimeWindow, UsageScan } from '../model.js';
import { accountOfArn, evidenceDiagnostics, windowGaps } from '../app/minimize.js';
import { noEvidenceMessage } from '../app/usage.js';
import { mergeDiagnostics, reduceUsage, type CallMapper } from '../usage/reduce.js';
import { compactActions } from './compact-actions.js';
import { denialsByRole, sortRegressions, windowRegressions, type Denial, type Regression } from './regressions.js';
import type { DriftAccountNotEvaluated, DriftAlert, DriftReport, DriftRole, LastActivity, RoleRecord, RunRecord } from './report.js';
import { accountTotals, logAccounts, notEvaluatedAlerts } from './accounts.js';
import { percent } from '../util/percent.js';
import { riskScore, type RiskMatcher } from './risk.js';
import { roleKind } from './role-kind.js';
import { usedWithLastSeen } from './used-actions.js';
import type { Retirement } from './report.js';

/**
 * How to retire a role nobody uses (D5): the instance profiles that hold it, the Lambda functions
 * that name it, the managed policies to detach and the inline ones to delete, as AWS CLI commands
 * in the order IAM requires before DeleteRole.
 */
export function retirementOf(
  grant: RoleGrant,
  iam: IamSnapshot,
  functions: ReadonlyArray<{ name: string; role: string }>,
  check: string,
  lastActivity: string | null,
  days: number,
): Retirement {
  const name = shellQuote(grant.name);
  const detach = grant.policies
    .filter((p) => p.kind === 'managed' && p.arn !== undefined)
    .map((p) => p.arn ?? '')
    .sort(compareText);
  const deleteInline = grant.policies
    .filter((p) => p.kind === 'inline')
    .map((p) => p.name)
    .sort(compareText);
  const instanceProfiles = (iam.instanceProfiles ?? [])
    .filter((p) => p.roles.includes(grant.arn))
    .map((p) => p.name)
    .sort(compareText);
  const lambdaFunctions = functions
    .filter((f) => f.role === grant.arn)
    .map((f) => f.name)
    .sort(compareText);
  return {
    lastActivity,
    days,
    detach,
    deleteInline,
    instanceProfiles,
    lambdaFunctions,
    check,
    commands: [
      ...instanceProfiles.map((p) => `aws iam remove-role-from-instance-profile --instance-profile-name ${shellQuote(p)} --role-name ${name}`),
      ...detach.map((arn) => `aws iam detach-role-policy --role-name ${name} --policy-arn ${shellQuote(arn)}`),
      ...deleteInline.map((p) => `aws iam delete-role-policy --role-name ${name} --policy-name ${shellQuote(p)}`),
      ...(grant.boundary !== undefined ? [`aws iam delete-role-permissions-boundary --role-name ${name}`] : []),
      `aws iam delete-role --role-name ${name}`,
    ],
  };
}

export interface DriftDeps {
  catalog: IamCatalog;
  mapCall: CallMapper;
  source: UsageSource;
  iam: IamSnapshot;
  risk: RiskMatcher;
  /** The trail's event selectors (`--trail-config`, `--trail`); without them unobservability is inferred per resource. */
  trailSelection?: TrailSelection;
  /**
   * The one scan, when it was made before the snapshot (`--assume-role-pattern` reads the accounts
   * the logs name): for every role (`{kind:'all'}`), so `source` is not asked again.
   */
  scanned?: UsageScan;
}

export interface DriftInput {
  window: TimeWindow;
  /** Role-name globs (`*`, `?`); empty selects every role. */
  include: readonly string[];
  exclude: readonly string[];
  /** Report even when the scan found no events at all (every role would read as unused). */
  allowEmpty: boolean;
  /** `iamtrim minimize` arguments shared by every role (source, IAM file, window), already quoted. */
  minimizeArgs: string;
  now: Date;
  toolVersion: string;
  /** A role with no activity in the window and no RoleLastUsed within this many days gets a retirement recommendation. */
  retireAfterDays?: number;
  /** Lambda functions (name, execution role ARN), to name those still using a role to retire. */
  functions?: ReadonlyArray<{ name: string; role: string }>;
  /** IAM last-accessed reports by lower-case role name (`--last-accessed`), read within `days`. */
  lastAccessed?: { reports: ReadonlyMap<string, LastAccessedReport>; days: number };
  /** Accounts asked for whose IAM was not read (`--assume-role-pattern`), with the reason: reported, never dropped. */
  notEvaluated?: readonly DriftAccountNotEvaluated[];
  /** Arguments the minimize command of a role needs for its account (the role to assume there), already quoted. */
  accountArgs?: (account: string) => string;
}

export interface DriftResult {
  /** The report without history: `history`, `changes` and `trend` say "no history" until applyHistory. */
  report: DriftReport;
  record: RunRecord;
  /** The window's denied permissions per role ARN, for the regressions against the history. */
  denials: Map<string, Denial[]>;
}

function globMatcher(globs: readonly string[]): (role: RoleGrant) => boolean {
  const patterns = globs.map((g) => ({ re: wildcardRegExp(g, true), onArn: g.startsWith('arn:') }));
  return (role) => patterns.some((p) => p.re.test(p.onArn ? role.arn : role.name));
}

/** The roles `--roles` / `--exclude` select; a `--roles` glob that matches nothing is a usage error. */
export function selectRoles(iam: IamSnapshot, include: readonly string[], exclude: readonly string[]): RoleGrant[] {
  for (const glob of include) {
    if (!iam.roles.some(globMatcher([glob]))) {
      const suggestions = closestNames(
        glob.replace(/[*?]/g, ''),
        iam.roles.map((r) => r.name),
      );
      throw new UsageError(`--roles ${glob}: matches none of the ${iam.roles.length} roles in ${iam.source}`, {
        hint: suggestions.length > 0 ? `role names look like ${suggestions.join(', ')}` : 'check the account the snapshot came from',
      });
    }
  }
  const included = include.length === 0 ? () => true : globMatcher(include);
  const excluded = exclude.length === 0 ? () => false : globMatcher(exclude);
  return iam.roles.filter((r) => included(r) && !excluded(r)).sort((a, b) => compareText(a.name, b.name));
}

function emptyUsage(role: string): RoleUsage {
  return { role, events: 0, calls: [], used: [], denied: [], unmapped: [], diagnostics: [] };
}

function lastActivityOf(usage: RoleUsage, grant: RoleGrant): LastActivity | null {
  let last: string | null = null;
  for (const call of usage.calls) if (last === null || call.lastSeen > last) last = call.lastSeen;
  if (last !== null) return { at: last, source: 'cloudtrail' };
  return grant.lastUsed !== undefined ? { at: grant.lastUsed, source: 'iam-role-last-used' } : null;
}

/** Ranks editable roles: heaviest risky-unused first, then most unused, then by name. */
export function compareRoles(a: DriftRole, b: DriftRole): number {
  return b.riskScore - a.riskScore || b.unused - a.unused || compareText(a.name, b.name);
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export async function runDrift(deps: DriftDeps, input: DriftInput): Promise<DriftResult> {
  const roles = selectRoles(deps.iam, input.include, input.exclude);
  if (roles.length === 0) {
    throw new UsageError(`--exclude ${input.exclude.join(',')}: excludes every selected role`, {
      hint: 'narrow the --exclude glob',
    });
  }
  const filter: RoleFilter = roles.length === deps.iam.roles.length ? { kind: 'all' } : { kind: 'roles', arns: roles.map((r) => r.arn), names: [] };
  // The one scan: all selected roles at once.
  const scan = deps.scanned ?? (await deps.source.scan({ roles: filter, window: input.window }));
  if (scan.evidence.events === 0 && !input.allowEmpty) {
    throw new InputError(noEvidenceMessage(`any of the ${roles.length} ${roles.length === 1 ? 'role' : 'roles'}`, input.window, scan.evidence), {
      hint: "widen --days, check --logs points at this account's trail, or pass --allow-empty to report every role as unused",
    });
  }
  const usage = reduceUsage(scan, deps.mapCall);
  const byRole = new Map(usage.roles.map((r) => [r.role, r]));
  const selected = new Set(roles.map((r) => r.arn));
  const diagnostics: Diagnostic[] = [];
  const strangers = usage.roles.filter((r) => !selected.has(r.role) && !deps.iam.roles.some((g) => g.arn === r.role));
  if (strangers.length > 0) {
    diagnostics.push({
      code: 'roles-not-in-snapshot',
      severity: 'info',
      message: `${strangers.length} role(s) made calls in the window but are not in ${deps.iam.source} (another account, or deleted)`,
      count: strangers.length,
    });
  }
  if (scan.evidence.skippedFiles.length > 0) {
    diagnostics.push({
      code: 'skipped-files',
      severity: 'warning',
      message: `${scan.evidence.skippedFiles.length} unreadable log file(s) were skipped (--skip-bad-files); usage in them is missing`,
      count: scan.evidence.skippedFiles.length,
    });
  }

  // Role names repeat across accounts: with several, each role's minimize command names it by ARN.
  const manyAccounts = new Set(deps.iam.roles.map((r) => accountOfArn(r.arn) ?? '')).size > 1;
  const driftRoles: DriftRole[] = [];
  const records: RoleRecord[] = [];
  const denials = denialsByRole(scan.rows, deps.mapCall);
  const regressions: Regression[] = [];
  for (const grant of roles) {
    const roleUsage = byRole.get(grant.arn) ?? emptyUsage(grant.arn);
    const report = input.lastAccessed?.reports.get(grant.name.toLowerCase());
    const diff = diffPermissions({
      catalog: deps.catalog,
      grant,
      usage: roleUsage,
      evidence: scan.evidence,
      ...(report !== undefined && input.lastAccessed !== undefined ? { lastAccessed: { report, days: input.lastAccessed.days } } : {}),
      ...(deps.trailSelection !== undefined ? { trailSelection: deps.trailSelection } : {}),
    });
    const risks = deps.risk.assess(grant, diff);
    if (!grant.serviceLinked) regressions.push(...windowRegressions(grant, roleUsage, diff.usedNotGranted, denials.get(grant.arn) ?? []));
    const lastActivity = lastActivityOf(roleUsage, grant);
    const kind = roleKind(grant);
    const retireAfter = input.retireAfterDays ?? 90;
    const idleDays = lastActivity === null ? null : Math.floor((input.now.getTime() - Date.parse(lastActivity.at)) / 86_400_000);
    const retire =
      roleUsage.events === 0 && !grant.serviceLinked && (idleDays === null || idleDays >= retireAfter)
        ? retirementOf(grant, deps.iam, input.functions ?? [], kind.retire, lastActivity?.at ?? null, retireAfter)
        : undefined;
    driftRoles.push({
      name: grant.name,
      arn: grant.arn,
      account: accountOfArn(grant.arn) ?? '',
      path: grant.path,
      serviceLinked: grant.serviceLinked,
      status: roleUsage.events > 0 ? 'active' : 'no-activity',
      events: roleUsage.events,
      granted: diff.granted.length,
      services: diff.services,
      used: diff.used.length,
      unused: diff.unused.length,
      unusedPercent: percent(diff.unused.length, diff.granted.length),
      unobservable: diff.unobservable.length,
      ...(report !== undefined ? { lastAccessedKept: diff.recentlyAccessed } : {}),
      usedActions: diff.used,
      usedLastSeen: usedWithLastSeen(deps.catalog, roleUsage, diff.used),
      unusedActions: compactActions(deps.catalog, diff.unused),
      usedNotGranted: diff.usedNotGranted,
      risks,
      riskyUnused: risks.filter((r) => r.unusedCount > 0).length,
      riskScore: riskScore(risks),
      deniedAttempts: diff.deniedAttempts,
      lastActivity,
      minimize: [
        `iamtrim minimize --role ${shellQuote(manyAccounts ? grant.arn : grant.name)}`,
        input.minimizeArgs,
        input.accountArgs?.(accountOfArn(grant.arn) ?? '') ?? '',
      ]
        .filter((part) => part !== '')
        .join(' '),
      kind: { id: kind.kind, label: kind.label, advice: kind.advice },
      ...(retire !== undefined ? { retire } : {}),
      trend: { granted: [], used: [] },
    });
    records.push({
      arn: grant.arn,
      name: grant.name,
      serviceLinked: grant.serviceLinked,
      events: roleUsage.events,
      granted: diff.granted,
      used: diff.used,
      unobservable: diff.unobservable.map((u) => u.action),
      unusedCount: diff.unused.length,
      riskRules: risks.map((r) => r.rule).sort(compareText),
      riskyUnused: risks.filter((r) => r.unusedCount > 0).length,
      lastActivity: lastActivity?.at ?? null,
    });
  }

  const editable = driftRoles.filter((r) => !r.serviceLinked).sort(compareRoles);
  const serviceLinked = driftRoles.filter((r) => r.serviceLinked);
  const granted = editable.reduce((s, r) => s + r.granted, 0);
  const used = editable.reduce((s, r) => s + r.used, 0);
  const unused = editable.reduce((s, r) => s + r.unused, 0);
  const generatedAt = input.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const report: DriftReport = {
    tool: { name: 'iamtrim', version: input.toolVersion },
    generatedAt,
    window: input.window,
    evidence: {
      source: scan.evidence.source,
      files: scan.evidence.files,
      records: scan.evidence.records,
      events: scan.evidence.events,
      covered: scan.evidence.covered,
      dataEventSources: scan.evidence.dataEventSources,
      scans: 1,
    },
    iam: { source: deps.iam.source, roles: deps.iam.roles.length },
    data: { iamData: deps.catalog.version, riskTable: deps.risk.version },
    summary: {
      roles: driftRoles.length,
      active: editable.filter((r) => r.status === 'active').length,
      noActivity: editable.filter((r) => r.status === 'no-activity').length,
      serviceLinked: serviceLinked.length,
      granted,
      used,
      unused,
      unusedPercent: percent(unused, granted),
      rolesWithRiskyUnused: editable.filter((r) => r.riskyUnused > 0).length,
      deniedAttempts: driftRoles.reduce((s, r) => s + r.deniedAttempts.reduce((t, d) => t + d.count, 0), 0),
    },
    regressions: sortRegressions(regressions),
    accounts: accountTotals(driftRoles, logAccounts(scan)),
    roles: editable,
    unusedRoles: editable
      .filter((r) => r.status === 'no-activity')
      .map((r) => r.name)
      .sort(compareText),
    ...(deps.iam.unattachedPolicies !== undefined ? { unattachedPolicies: deps.iam.unattachedPolicies.map((p) => ({ arn: p.arn, name: p.name })) } : {}),
    serviceLinked,
    history: { store: null, runs: 0, previousRun: null },
    changes: null,
    trend: { runs: [generatedAt], granted: [granted], used: [used] },
    diagnostics: mergeDiagnostics([
      ...diagnostics,
      ...usage.roles.filter((r) => selected.has(r.role)).flatMap((r) => r.diagnostics.filter((d) => d.severity !== 'info')),
    ]),
  };
  const alerts = [...notEvaluatedAlerts(input.notEvaluated ?? [], deps.iam.roles.length), ...driftAlerts(deps.iam, input.window, scan)];
  if ((input.notEvaluated ?? []).length > 0) report.accountsNotEvaluated = [...(input.notEvaluated ?? [])];
  if (alerts.length > 0) report.alerts = alerts;
  for (const role of driftRoles) role.trend = { granted: [role.granted], used: [role.used] };
  const record: RunRecord = {
    at: generatedAt,
    window: input.window,
    source: scan.evidence.source,
    iamSource: deps.iam.source,
    iamData: deps.catalog.version,
    roles: records.sort((a, b) => compareText(a.arn, b.arn)),
  };
  return { report, record, denials };
}

/**
 * The report-wide alerts: logs that are not the snapshot's account (newcomer D4: 70 roles read as
 * unused with only an info line in report.json), and days of the window the logs miss.
 */
export function driftAlerts(iam: IamSnapshot, window: TimeWindow, scan: UsageScan): DriftAlert[] {
  const alerts: DriftAlert[] = [];
  const snapshot = [...new Set(iam.roles.map((r) => accountOfArn(r.arn)).filter((a): a is string => a !== undefined))].sort(compareText);
  const logs = logAccounts(scan);
  const unlogged = snapshot.filter((a) => !logs.includes(a));
  if (snapshot.length > 0 && logs.length > 0 && !logs.some((a) => snapshot.includes(a))) {
    alerts.push({
      code: 'account-mismatch',
      accounts: { snapshot, logs },
      message:
        `The logs are from account ${logs.slice(0, 5).join(', ')}${logs.length > 5 ? ` and ${logs.length - 5} more` : ''}, but the IAM snapshot ${iam.source} is account ${snapshot.join(', ')}: ` +
        `no call by its roles can be in these logs, so every role below reads as unused for want of evidence, not because it is unused. Point --logs at that account's trail.`,
    });
  } else if (logs.length > 0 && unlogged.length > 0) {
    // Several snapshots (--iam DIR), logs from only some of their accounts: the others' roles have no evidence.
    const roles = iam.roles.filter((r) => unlogged.includes(accountOfArn(r.arn) ?? '')).length;
    alerts.push({
      code: 'accounts-without-logs',
      accounts: { snapshot, logs },
      message:
        `${unlogged.length} of the ${snapshot.length} accounts in the IAM snapshot ${iam.source} have no logs here (${unlogged.slice(0, 5).join(', ')}${unlogged.length > 5 ? ` and ${unlogged.length - 5} more` : ''}): ` +
        `their ${roles} ${roles === 1 ? 'role reads' : 'roles read'} as unused for want of evidence, not because they are unused. Add those accounts' trails to --logs.`,
    });
  }
  const edges = windowGaps(window, scan.evidence);
  if (edges.length > 0 || (scan.evidence.coverage?.gaps.length ?? 0) > 0) {
    const diagnostic = evidenceDiagnostics(window, scan.evidence, 1, edges).find((d) => d.code === 'partial-window');
    if (diagnostic !== undefined)
      alerts.push({ code: 'partial-window', message: `${diagnostic.message.charAt(0).toUpperCase()}${diagnostic.message.slice(1)}.` });
  }
  return alerts;
}
