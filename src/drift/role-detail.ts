/**
 * What a role's detail says in every format (report.md, report.html): its used actions in the
 * order a reviewer reads them, the concrete unused actions behind each risky finding, and what
 * the rest of a cut list counts. Pure: both renderers show the same lists, cut to their own length.
 */
import { wildcardRegExp } from '../iam/expand.js';
import { count } from '../util/count.js';
import type { DriftRole, UsedAction } from './report.js';
import type { RiskFinding } from './risk.js';

/** Used actions, most recent call first (then by name); an action without a recorded call last. */
export function usedByLastCall(role: DriftRole): UsedAction[] {
  return [...role.usedLastSeen].sort((a, b) =>
    a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : a.action < b.action ? -1 : a.action > b.action ? 1 : 0,
  );
}

/** Whether an unused action (or `service:*`) lies behind a wildcard pattern: `*`, `service:*`, or `NotAction a,b`. */
function coveredBy(action: string, pattern: string): boolean {
  if (!pattern.startsWith('NotAction ')) return wildcardRegExp(pattern, true).test(action);
  return !pattern
    .slice('NotAction '.length)
    .split(',')
    .some((p) => wildcardRegExp(p, true).test(action));
}

/**
 * The concrete unused actions of a finding. Most rules list them (`patterns` null); a wildcard
 * rule lists the patterns granted (`*`, `s3:*`, `NotAction iam:*`): then `actions` are the role's
 * unused actions behind them.
 */
export function riskActions(role: DriftRole, finding: RiskFinding): { patterns: string[] | null; actions: string[] } {
  const wildcard = finding.unused.some((p) => p === '*' || p.endsWith(':*') || p.startsWith('NotAction '));
  if (!wildcard) return { patterns: null, actions: finding.unused };
  return { patterns: finding.unused, actions: role.unusedActions.filter((a) => finding.unused.some((p) => coveredBy(a, p))) };
}

/**
 * What follows a cut list of a role's detail or of its changes, in both formats: `and N more` with
 * what N counts. Action lists are compacted (a service whose every action is in the list is one
 * `service:*` entry), so there N counts entries, not actions, and the text says so; a list without
 * `service:*` counts actions (or, for `noun` 'pattern', the granted patterns). `list` names what
 * the entries are (a role's unused actions, or the actions of a change). '' when nothing is cut.
 */
export function andMore(items: readonly string[], shown: number, noun: 'action' | 'pattern' = 'action', list: 'unused' | 'changed' = 'unused'): string {
  const hidden = items.length - shown;
  if (hidden <= 0) return '';
  if (noun === 'action' && items.some((a) => a.endsWith(':*'))) {
    const standsFor = list === 'unused' ? "all of a service's unused actions" : 'every action of the service';
    return ` and ${count(hidden)} more ${hidden === 1 ? 'entry' : 'entries'} (service:* stands for ${standsFor})`;
  }
  return ` and ${count(hidden)} more ${hidden === 1 ? noun : `${noun}s`}`;
}
