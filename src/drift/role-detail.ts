/**
 * What a role's detail says in every format (report.md, report.html): its used actions in the
 * order a reviewer reads them, and the concrete unused actions behind each risky finding. Pure:
 * both renderers show the same lists, cut to their own length.
 */
import { wildcardRegExp } from '../iam/expand.js';
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
