/**
 * Joins a run with the history before it: the changes since the previous run (new grants, newly
 * used, newly unused, new risky grants, roles added and removed) and the granted-vs-used trend.
 * Pure: the history store reads the earlier runs; this only compares values.
 */
import { type IamCatalog } from '../iam/catalog.js';
import { compareText } from '../util/compare-text.js';
import { compactActions } from './compact-actions.js';
import { accountTrend } from './accounts.js';
import type { DriftChanges, DriftReport, HistoryView, RoleChange, RoleRecord, RunRecord } from './report.js';
import { historyRegressions, sortRegressions, type Denial } from './regressions.js';

function minus(a: readonly string[], b: ReadonlySet<string>): string[] {
  return a.filter((x) => !b.has(x));
}

function unusedSet(role: RoleRecord): Set<string> {
  const excluded = new Set([...role.used, ...role.unobservable]);
  return new Set(role.granted.filter((a) => !excluded.has(a)));
}

/** The changes between two runs; roles are matched by ARN. */
export function compareRuns(catalog: IamCatalog, previous: RunRecord, current: RunRecord): DriftChanges {
  const before = new Map(previous.roles.map((r) => [r.arn, r]));
  const after = new Map(current.roles.map((r) => [r.arn, r]));
  const rolesAdded = current.roles
    .filter((r) => !before.has(r.arn))
    .map((r) => r.name)
    .sort(compareText);
  const rolesRemoved = previous.roles
    .filter((r) => !after.has(r.arn))
    .map((r) => r.name)
    .sort(compareText);
  const newRisks: string[] = [];
  const roles: RoleChange[] = [];
  for (const now of current.roles) {
    const then = before.get(now.arn);
    if (then === undefined) {
      for (const rule of now.riskRules) newRisks.push(`${now.name}: ${rule}`);
      continue;
    }
    const grantedThen = new Set(then.granted);
    const grantedNow = new Set(now.granted);
    const usedThen = new Set(then.used);
    const unusedThen = unusedSet(then);
    const risksThen = new Set(then.riskRules);
    // Sets are concrete actions: the counts are taken before compacting whole services to `service:*`.
    const newGrants = minus(now.granted, grantedThen);
    const removedGrants = minus(then.granted, grantedNow);
    const newlyUsed = minus(now.used, usedThen);
    const newlyUnused = [...unusedSet(now)].filter((a) => !unusedThen.has(a));
    const change: RoleChange = {
      name: now.name,
      arn: now.arn,
      newGrants: compactActions(catalog, newGrants),
      removedGrants: compactActions(catalog, removedGrants),
      newlyUsed: compactActions(catalog, newlyUsed),
      newlyUnused: compactActions(catalog, newlyUnused),
      actionCounts: {
        newGrants: newGrants.length,
        removedGrants: removedGrants.length,
        newlyUsed: newlyUsed.length,
        newlyUnused: newlyUnused.length,
      },
      newRisks: minus(now.riskRules, risksThen),
    };
    for (const rule of change.newRisks) newRisks.push(`${now.name}: ${rule}`);
    const counts = change.actionCounts;
    const changed = counts.newGrants + counts.removedGrants + counts.newlyUsed + counts.newlyUnused + change.newRisks.length > 0;
    if (changed) roles.push(change);
  }
  roles.sort((a, b) => compareText(a.name, b.name));
  return { previousRun: previous.at, rolesAdded, rolesRemoved, newRisks: newRisks.sort(compareText), roles };
}

/** The report with its history parts filled: `store` is where the runs are kept. */
export function applyHistory(
  catalog: IamCatalog,
  report: DriftReport,
  record: RunRecord,
  history: HistoryView,
  denials: ReadonlyMap<string, readonly Denial[]> = new Map(),
): DriftReport {
  // Used in the previous run, not granted now: a regression even when the window shows no call yet.
  const regressions = [...report.regressions];
  if (history.previous !== null) {
    const before = new Map(history.previous.roles.map((r) => [r.arn, r]));
    for (const now of record.roles) {
      const then = before.get(now.arn);
      if (then === undefined || now.serviceLinked) continue;
      const already = new Set(report.regressions.filter((r) => r.roleArn === now.arn).map((r) => r.action));
      regressions.push(...historyRegressions(then, new Set(now.granted), already, denials.get(now.arn) ?? []));
    }
  }
  const runs = [...history.trend.map((t) => t.at), report.generatedAt];
  const seriesOf = (arn: string, current: { granted: number; used: number }) => ({
    granted: [...history.trend.map((t) => t.roles.get(arn)?.granted ?? null), current.granted],
    used: [...history.trend.map((t) => t.roles.get(arn)?.used ?? null), current.used],
  });
  const withTrend = <T extends { arn: string; granted: number; used: number }>(role: T): T => ({
    ...role,
    trend: seriesOf(role.arn, role),
  });
  const editable = new Set(report.roles.map((r) => r.arn));
  const sum = (t: HistoryView['trend'][number], key: 'granted' | 'used'): number => {
    let total = 0;
    for (const [arn, counts] of t.roles) if (editable.has(arn)) total += counts[key];
    return total;
  };
  const roles = report.roles.map(withTrend);
  return {
    ...report,
    regressions: sortRegressions(regressions),
    accounts: report.accounts.map((a) => ({ ...a, trend: accountTrend(roles, a.account, runs.length) })),
    roles,
    serviceLinked: report.serviceLinked.map(withTrend),
    history: { store: history.store, runs: history.runs + 1, previousRun: history.previous?.at ?? null },
    changes: history.previous === null ? null : compareRuns(catalog, history.previous, record),
    trend: {
      runs,
      granted: [...history.trend.map((t) => sum(t, 'granted')), report.summary.granted],
      used: [...history.trend.map((t) => sum(t, 'used')), report.summary.used],
    },
  };
}
