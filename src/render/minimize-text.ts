/**
 * The text summary a person reads in five seconds, then the proposed policy.
 * "app-api can do 1,412 actions in 38 services; it used 9 actions in 3 services in the last
 * 30 days (12,480 calls)".
 */
import type { MinimizePlan } from '../app/minimize.js';
import { bytes, count, days, json, plural } from './format.js';

function services(actions: readonly string[]): number {
  return new Set(actions.map((a) => a.slice(0, a.indexOf(':')))).size;
}

export function renderMinimizeText(plan: MinimizePlan): string {
  const usedActions = plan.used.map((u) => u.action);
  const calls = plan.used.length === 0 ? 0 : plan.verification.observedCalls;
  const lines: string[] = [];
  lines.push(
    `${plan.roleName} can do ${plural(plan.granted.actions, 'action')} in ${plural(plan.granted.services, 'service')}; ` +
      `it used ${plural(usedActions.length, 'action')} in ${plural(services(usedActions), 'service')} ` +
      `in the last ${plural(days(plan.window.start, plan.window.end), 'day')} (${plural(plan.evidence.events, 'call')}).`,
  );
  const before = plan.scope.before;
  const after = plan.scope.after;
  lines.push(
    `Proposed: from ${plural(before.actions, 'action')} on ${before.resources} to ${plural(after.actions, 'action')} on ${plural(after.resources, 'resource')}.`,
  );
  lines.push(
    `Verified: all ${plural(plan.verification.allowed, 'observed call')} of ${count(plan.verification.observedCalls)} are allowed by the proposal; ` +
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
    lines.push(
      `Unobservable, kept: ${plural(plan.unobservable.length, 'action')} (${[...reasons].map(([r, n]) => `${count(n)} ${r}`).join('; ')}).`,
    );
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
  lines.push('');
  plan.proposed.forEach((doc, i) => {
    if (plan.proposed.length > 1) lines.push(`# policy ${i + 1} of ${plan.proposed.length}`);
    lines.push(json(doc).trimEnd());
  });
  return `${lines.join('\n')}\n`;
}
