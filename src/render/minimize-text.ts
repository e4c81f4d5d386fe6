/**
 * The text summary a person reads in five seconds, then the proposed policy.
 * "app-api can do 1,412 actions in 38 services; it used 9 actions in 3 services in the last
 * 30 days (12,480 calls)".
 */
import type { MinimizePlan, PolicyShare } from '../model.js';
import { bytes, count, days, json, plural } from './format.js';

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function services(actions: readonly string[]): number {
  return new Set(actions.map((a) => a.slice(0, a.indexOf(':')))).size;
}

export function renderMinimizeText(plan: MinimizePlan): string {
  const usedActions = plan.used.map((u) => u.action);
  const calls = plan.calls.reduce((sum, c) => sum + c.count, 0);
  const lines: string[] = [];
  lines.push(
    `${plan.roleName} can do ${plural(plan.granted.actions, 'action')} in ${plural(plan.granted.services, 'service')}; ` +
      `it used ${plural(usedActions.length, 'action')} in ${plural(services(usedActions), 'service')} ` +
      `in the last ${plural(days(plan.window.start, plan.window.end), 'day')} (${plural(calls, 'call')}).`,
  );
  const before = plan.scope.before;
  const after = plan.scope.after;
  lines.push(
    `Proposed: from ${plural(before.actions, 'action')} on ${before.resources} to ${plural(after.actions, 'action')} on ${plural(after.resources, 'resource')}.`,
  );
  lines.push(
    `Verified: the proposal allows ${plan.verification.allowed === plan.verification.observedCalls ? 'all' : `${count(plan.verification.allowed)} of`} ` +
      `${plural(plan.verification.observedCalls, 'observed (action, resource) pair')}; ` +
      `it allows ${plan.verification.newlyAllowed === 0 ? 'nothing' : plural(plan.verification.newlyAllowed, 'request')} the current policy denies.`,
  );
  const e = plan.evidence;
  lines.push(
    `Evidence: ${plural(e.files, 'log file')} (${bytes(e.bytes)}), ${plural(e.records, 'record')} from ${e.source}` +
      (e.covered.first !== null ? `, events ${e.covered.first} to ${e.covered.last}` : '') +
      (e.skippedFiles.length > 0 ? `; ${plural(e.skippedFiles.length, 'file')} SKIPPED` : '') +
      '.',
  );
  if (plan.denied.length > 0) {
    lines.push(
      `Denied attempts (never granted): ${plan.denied.map((d) => `${d.action} x${count(d.count)}`).join(', ')}.`,
    );
  }
  if (plan.unobservable.length > 0) {
    const reasons = new Map<string, number>();
    for (const u of plan.unobservable) reasons.set(u.reason, (reasons.get(u.reason) ?? 0) + 1);
    const ranked = [...reasons].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    lines.push(
      `Kept because the logs cannot show their use: ${plural(plan.unobservable.length, 'action')} (--drop-unobservable removes them; --format json lists each):`,
    );
    for (const [reason, n] of ranked.slice(0, 5)) lines.push(`  ${String(n).padStart(5)}  ${clip(reason, 110)}`);
    if (ranked.length > 5) lines.push(`         … and ${plural(ranked.length - 5, 'other reason')}`);
  }
  if (plan.usedNotGranted.length > 0) {
    lines.push(`Used but not granted by these policies (not proposed): ${plan.usedNotGranted.join(', ')}.`);
  }
  if (plan.unmapped.length > 0) {
    lines.push(
      `Unmapped calls (not translated; permissions they need may be missing): ${plan.unmapped.map((u) => `${u.eventSource} ${u.eventName} x${count(u.count)}`).join(', ')}.`,
    );
  }
  for (const d of plan.diagnostics.filter((d) => d.severity !== 'info')) {
    lines.push(`${d.severity}: ${d.message}${d.subject !== undefined ? ` [${d.subject}]` : ''}`);
  }
  if (plan.policies.length > 0) {
    lines.push('Per policy (`pr` writes one policy\'s share; --format json has each document):');
    for (const share of plan.policies) lines.push(`  ${shareLine(share)}`);
  }
  lines.push('');
  plan.proposed.forEach((doc, i) => {
    if (plan.proposed.length > 1) lines.push(`# policy ${i + 1} of ${plan.proposed.length}`);
    lines.push(json(doc).trimEnd());
  });
  return `${lines.join('\n')}\n`;
}

/** `app-common (managed): keeps 3 of 135 actions, removes 132`, and what to do with it. */
export function shareLine(share: PolicyShare): string {
  const what = `${share.name} (${share.awsManaged ? 'AWS managed' : share.kind})`;
  const figures = `keeps ${count(share.keptActions)} of ${plural(share.grantedActions, 'action')}`;
  switch (share.change) {
    case 'unchanged':
    case 'keep-aws-managed':
      return `${what}: ${figures}; unchanged`;
    case 'remove':
      return `${what}: ${figures}; nothing of it is needed (${share.kind === 'inline' ? 'delete it' : 'detach it'})`;
    case 'edit':
      return `${what}: ${figures}, removes ${count(share.removedActions.length)}`;
    case 'replace-aws-managed':
      return `${what}: ${figures}; not editable: replacing the attachment with a customer-managed policy holding its share is a separate change`;
  }
}
