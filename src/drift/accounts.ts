/**
 * Which accounts a live multi-account drift run reads (`--assume-role-pattern`), and how the ones
 * it could not evaluate are reported. Pure: the accounts come from the scan and the flags.
 */
import { compareText } from '../util/compare-text.js';
import type { DriftAccountNotEvaluated, DriftAlert, HistoryView } from './report.js';

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
