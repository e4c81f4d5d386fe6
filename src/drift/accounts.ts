/**
 * The accounts of a drift report: which a live multi-account run reads (`--assume-role-pattern`),
 * how the ones it could not evaluate are reported, and each account's totals and trend. Pure: the
 * accounts come from the scan, the flags and the roles.
 */
import type { UsageScan } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { percent } from '../util/percent.js';
import type { DriftAccount, DriftAccountNotEvaluated, DriftAlert, DriftRole, HistoryView, RoleTrend } from './report.js';

/** The reason given for an account of `--accounts` that the logs never mention. */
export const NO_EVIDENCE = 'no evidence in the logs';

/**
 * The accounts to read: those the logs name (delivery paths, recipientAccountId), or `--accounts`.
 * A listed account the logs never mention is not read: its roles would all read as unused for want
 * of evidence, so it is reported as having none instead.
 */
export function planAccounts(logs: readonly string[], given: readonly string[] | undefined): { read: string[]; noEvidence: string[] } {
  if (given === undefined) return { read: [...logs].sort(compareText), noEvidence: [] };
  return {
    read: given.filter((a) => logs.includes(a)).sort(compareText),
    noEvidence: given.filter((a) => !logs.includes(a)).sort(compareText),
  };
}

function listed(accounts: readonly DriftAccountNotEvaluated[]): string {
  return accounts.map((a) => `${a.account} not evaluated: ${a.reason}`).join('; ');
}

/** The alerts for accounts not evaluated: shown first in every format, one per kind. */
export function notEvaluatedAlerts(accounts: readonly DriftAccountNotEvaluated[], roles: number): DriftAlert[] {
  const alerts: DriftAlert[] = [];
  const failed = accounts.filter((a) => a.reason !== NO_EVIDENCE);
  const silent = accounts.filter((a) => a.reason === NO_EVIDENCE);
  if (failed.length > 0) {
    alerts.push({
      code: 'accounts-not-evaluated',
      message:
        `${failed.length} ${failed.length === 1 ? 'account was' : 'accounts were'} not evaluated, so ${failed.length === 1 ? 'its' : 'their'} roles are missing from this report (neither used nor unused; the ${roles} roles below are from the other accounts): ` +
        `${listed(failed)}. Check that the role exists in ${failed.length === 1 ? 'that account' : 'those accounts'} and trusts the caller.`,
    });
  }
  if (silent.length > 0) {
    alerts.push({
      code: 'accounts-without-evidence',
      message:
        `${silent.length} ${silent.length === 1 ? 'account' : 'accounts'} of --accounts ${silent.length === 1 ? 'has' : 'have'} no evidence in the logs, so ${silent.length === 1 ? 'its' : 'their'} roles were not evaluated (not "unused"): ` +
        `${listed(silent)}. Add ${silent.length === 1 ? "that account's trail" : "those accounts' trails"} to the logs.`,
    });
  }
  return alerts;
}

/**
 * The history as far as it concerns the accounts evaluated now: roles of other accounts are left
 * out of the previous run and the trend, so an account missing from this run does not read as
 * "roles removed" (nor its roles as new on its return).
 */
export function historyOfAccounts(history: HistoryView, evaluated: ReadonlySet<string>, accountOf: (arn: string) => string | undefined): HistoryView {
  const keep = (arn: string): boolean => evaluated.has(accountOf(arn) ?? '');
  return {
    ...history,
    previous: history.previous === null ? null : { ...history.previous, roles: history.previous.roles.filter((r) => keep(r.arn)) },
    trend: history.trend.map((t) => ({ ...t, roles: new Map([...t.roles].filter(([arn]) => keep(arn))) })),
  };
}

/** The 12-digit accounts the logs come from (delivery paths and recipientAccountId), sorted. */
export function logAccounts(scan: UsageScan): string[] {
  return [...new Set([...(scan.evidence.accounts ?? []), ...scan.rows.map((r) => r.recipientAccountId).filter((a) => /^\d{12}$/.test(a))])].sort(compareText);
}

/** Per-account totals of the editable roles, by account id, with whether the logs hold the account. */
export function accountTotals(roles: readonly DriftRole[], logs: readonly string[]): DriftAccount[] {
  const accounts = [...new Set(roles.map((r) => r.account))].sort(compareText);
  return accounts.map((account) => {
    const all = roles.filter((r) => r.account === account);
    const editable = all.filter((r) => !r.serviceLinked);
    const granted = editable.reduce((s, r) => s + r.granted, 0);
    const unused = editable.reduce((s, r) => s + r.unused, 0);
    const used = editable.reduce((s, r) => s + r.used, 0);
    return {
      account,
      logs: logs.length === 0 ? null : logs.includes(account),
      roles: all.length,
      active: editable.filter((r) => r.status === 'active').length,
      noActivity: editable.filter((r) => r.status === 'no-activity').length,
      serviceLinked: all.length - editable.length,
      granted,
      used,
      unused,
      unusedPercent: percent(unused, granted),
      rolesWithRiskyUnused: editable.filter((r) => r.riskyUnused > 0).length,
      // This run only (null without an editable role, as accountTrend); applyHistory puts the earlier runs before it.
      trend: editable.length > 0 ? { granted: [granted], used: [used] } : { granted: [null], used: [null] },
    };
  });
}

/**
 * One account's granted and used trend over `runs` runs (aligned with the report's `trend.runs`):
 * per run, the sums over its editable roles (as the report-wide trend sums every editable role);
 * null for a run none of them was in.
 */
export function accountTrend(roles: readonly DriftRole[], account: string, runs: number): RoleTrend {
  const mine = roles.filter((r) => r.account === account && !r.serviceLinked);
  const sum = (key: 'granted' | 'used', i: number): number | null => {
    const values = mine.map((r) => r.trend[key][i] ?? null).filter((v): v is number => v !== null);
    return values.length === 0 ? null : values.reduce((s, v) => s + v, 0);
  };
  return {
    granted: Array.from({ length: runs }, (_, i) => sum('granted', i)),
    used: Array.from({ length: runs }, (_, i) => sum('used', i)),
  };
}
