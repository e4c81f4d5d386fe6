/**
 * `minimize --diff`: what the proposal changes, per permission, the same in every format. Each
 * action the role is granted today is removed, narrowed (kept on fewer resources) or kept as it
 * is; a reviewer reads the change by action, not as a line diff of reordered JSON.
 */
import { actionMatches, asList as list } from '../iam/expand.js';
import type { MinimizePlan, PolicyDocument, Statement } from '../model.js';
import { compareText } from '../util/compare-text.js';

export interface PermissionChange {
  action: string;
  change: 'kept' | 'narrowed' | 'removed';
  /** Resources the current Allow statements name for the action (`*` when any). */
  from: string[];
  /** Resources the proposal allows it on; empty when removed. */
  to: string[];
}

export interface PermissionDiff {
  removed: number;
  narrowed: number;
  kept: number;
  changes: PermissionChange[];
}

/** The resources the Allow statements of `docs` name for `action`; NotResource counts as `*` (broad). */
function resourcesFor(docs: readonly PolicyDocument[], action: string): string[] {
  const out = new Set<string>();
  const allows = (s: Statement): boolean =>
    s.Action !== undefined ? list(s.Action).some((p) => actionMatches(p, action)) : !list(s.NotAction).some((p) => actionMatches(p, action));
  for (const doc of docs) {
    for (const s of doc.Statement) {
      if (s.Effect !== 'Allow' || !allows(s)) continue;
      if (s.NotResource !== undefined) out.add('*');
      for (const r of list(s.Resource)) out.add(r);
    }
  }
  return [...out].sort(compareText);
}

function actionsNamed(docs: readonly PolicyDocument[]): string[] {
  const out = new Set<string>();
  for (const doc of docs) for (const s of doc.Statement) if (s.Effect === 'Allow') for (const a of list(s.Action)) out.add(a);
  return [...out];
}

export function permissionDiff(plan: Pick<MinimizePlan, 'current' | 'proposed' | 'unused' | 'unobservable'>): PermissionDiff {
  const changes: PermissionChange[] = [];
  const proposedActions = new Set(actionsNamed(plan.proposed));
  for (const action of proposedActions) {
    const from = resourcesFor(plan.current, action);
    const to = resourcesFor(plan.proposed, action);
    const same = from.length === to.length && from.every((r, i) => r === to[i]);
    changes.push({ action, change: same ? 'kept' : 'narrowed', from, to });
  }
  // Removed: granted today, not in the proposal (the unused, and the unobservable --drop-unobservable dropped).
  const removed = new Set([...plan.unused, ...plan.unobservable.map((u) => u.action)].filter((a) => !proposedActions.has(a)));
  for (const action of removed) changes.push({ action, change: 'removed', from: resourcesFor(plan.current, action), to: [] });
  const order = { narrowed: 0, kept: 1, removed: 2 } as const;
  changes.sort((a, b) => order[a.change] - order[b.change] || compareText(a.action, b.action));
  const count = (c: PermissionChange['change']): number => changes.filter((x) => x.change === c).length;
  return { removed: count('removed'), narrowed: count('narrowed'), kept: count('kept'), changes };
}

const shown = (resources: readonly string[]): string => (resources.length === 0 ? '(none)' : resources.join(', '));

const serviceOf = (action: string): string => action.slice(0, action.indexOf(':'));

/**
 * The per-permission view as text lines; `prefix` makes them comments in HCL or YAML (`# `). A
 * service the proposal drops entirely is one line (`- removed   ec2: all 612 granted actions`),
 * so an administrator role's view stays readable; the JSON view lists every action.
 */
export function renderPermissionDiff(diff: PermissionDiff, roleName: string, prefix = ''): string {
  const keptServices = new Set(diff.changes.filter((c) => c.change !== 'removed').map((c) => serviceOf(c.action)));
  const removedByService = new Map<string, number>();
  for (const c of diff.changes) if (c.change === 'removed') removedByService.set(serviceOf(c.action), (removedByService.get(serviceOf(c.action)) ?? 0) + 1);
  const lines = [`Per permission, ${roleName} (current -> proposed): ${diff.narrowed} narrowed, ${diff.kept} kept as they are, ${diff.removed} removed`];
  const wholeServicesDone = new Set<string>();
  for (const c of diff.changes) {
    if (c.change === 'narrowed') lines.push(`~ narrowed  ${c.action}: ${shown(c.from)} -> ${shown(c.to)}`);
    else if (c.change === 'kept') lines.push(`  kept      ${c.action}: ${shown(c.to)}`);
    else {
      const service = serviceOf(c.action);
      const n = removedByService.get(service) ?? 0;
      if (keptServices.has(service) || n === 1) lines.push(`- removed   ${c.action}`);
      else if (!wholeServicesDone.has(service)) {
        wholeServicesDone.add(service);
        lines.push(`- removed   ${service}: all ${n} granted actions`);
      }
    }
  }
  return `${lines.map((l) => `${prefix}${l}`.trimEnd()).join('\n')}\n`;
}
