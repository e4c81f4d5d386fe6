/**
 * Regressions: an (action, resource) pair a role used successfully, in the window or in an earlier
 * run, that it is no longer granted, or that now fails with AccessDenied (issue 21 item 2, D7). A
 * tightened policy that breaks a job shows up in the same logs iamtrim reads; this names it first.
 *
 * Three sources, each a pure comparison:
 * - `not-granted`: used successfully in the window, not granted by the snapshot (the grant was
 *   removed after the call);
 * - `denied-after-success`: used successfully in the window, then denied (first denial after the
 *   first success) on the same resource;
 * - `removed-since-last-run`: used in the previous run's window, not granted now (the history keeps
 *   actions, not resources, so the resource is `null`).
 */
import type { CallRow, PermissionUsage, RoleUsage } from '../model.js';
import type { CallMapper } from '../usage/reduce.js';
import { compareText } from '../util/compare-text.js';

export interface Regression {
  role: string;
  roleArn: string;
  action: string;
  /** The resource used; null when only the action is known (from the history). */
  resource: string | null;
  cause: 'not-granted' | 'denied-after-success' | 'removed-since-last-run';
  /** Last successful use seen (for history: the previous run's last activity of the role). */
  lastSuccess: string | null;
  /** First AccessDenied on this action (and resource, when known) in the window; null when none yet. */
  firstDenial: string | null;
}

/** A denied call's permission: action, resources, first time seen in the window. */
export interface Denial {
  action: string;
  resources: string[];
  firstSeen: string;
}

/** The denied permissions per role ARN, from the scan's rows (the reducer keeps only counts and last seen). */
export function denialsByRole(rows: readonly CallRow[], mapCall: CallMapper): Map<string, Denial[]> {
  const out = new Map<string, Denial[]>();
  for (const row of rows) {
    if (row.errorCode === null) continue;
    const mapped = mapCall(row);
    if (mapped.kind !== 'mapped' || mapped.outcome !== 'denied') continue;
    const list = out.get(row.roleArn) ?? [];
    for (const p of mapped.permissions) list.push({ action: p.action, resources: p.resources, firstSeen: row.firstSeen });
    out.set(row.roleArn, list);
  }
  return out;
}

function firstDenialOf(denials: readonly Denial[], action: string, resource: string | null, after?: string): string | null {
  let first: string | null = null;
  for (const d of denials) {
    if (d.action !== action) continue;
    if (resource !== null && d.resources.length > 0 && !d.resources.includes(resource)) continue;
    if (after !== undefined && d.firstSeen <= after) continue;
    if (first === null || d.firstSeen < first) first = d.firstSeen;
  }
  return first;
}

/** Regressions seen within the window for one role. */
export function windowRegressions(
  role: { name: string; arn: string },
  usage: Pick<RoleUsage, 'used'>,
  usedNotGranted: readonly string[],
  denials: readonly Denial[],
): Regression[] {
  const out: Regression[] = [];
  const notGranted = new Set(usedNotGranted);
  const usedBy = new Map<string, PermissionUsage>(usage.used.map((u) => [u.action, u]));
  for (const action of notGranted) {
    const u = usedBy.get(action);
    const resources = u === undefined || u.resources.length === 0 ? [null] : u.resources;
    for (const resource of resources) {
      out.push({
        role: role.name,
        roleArn: role.arn,
        action,
        resource,
        cause: 'not-granted',
        lastSuccess: u?.lastSeen ?? null,
        firstDenial: firstDenialOf(denials, action, resource),
      });
    }
  }
  for (const u of usage.used) {
    if (notGranted.has(u.action)) continue;
    for (const resource of u.resources.length === 0 ? [null] : u.resources) {
      // Denied after the first success on the same resource: the grant, or a condition, changed.
      const firstDenial = firstDenialOf(denials, u.action, resource, u.firstSeen);
      if (firstDenial !== null)
        out.push({ role: role.name, roleArn: role.arn, action: u.action, resource, cause: 'denied-after-success', lastSuccess: u.lastSeen, firstDenial });
    }
  }
  return out;
}

/** Regressions against the previous run: actions it saw used that the role is no longer granted. */
export function historyRegressions(
  previous: { name: string; arn: string; used: readonly string[]; lastActivity: string | null },
  grantedNow: ReadonlySet<string>,
  already: ReadonlySet<string>,
  denials: readonly Denial[],
): Regression[] {
  return previous.used
    .filter((action) => !grantedNow.has(action) && !already.has(action))
    .map((action) => ({
      role: previous.name,
      roleArn: previous.arn,
      action,
      resource: null,
      cause: 'removed-since-last-run' as const,
      lastSuccess: previous.lastActivity,
      firstDenial: firstDenialOf(denials, action, null),
    }));
}

export function sortRegressions(list: readonly Regression[]): Regression[] {
  return [...list].sort((a, b) => compareText(a.role, b.role) || compareText(a.action, b.action) || compareText(a.resource ?? '', b.resource ?? ''));
}

export const REGRESSION_CAUSES: Readonly<Record<Regression['cause'], string>> = {
  'not-granted': 'used in the window, no longer granted',
  'denied-after-success': 'worked, then AccessDenied',
  'removed-since-last-run': 'used in the previous run, no longer granted',
};
