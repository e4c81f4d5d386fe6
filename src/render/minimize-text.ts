/**
 * The text summary a person reads in five seconds, then the proposed policy.
 * "app-api can do 1,412 actions in 38 services; it used 9 actions in 3 services in the last
 * 30 days (12,480 calls)".
 */
import type { MinimizePlan, PolicyShare } from '../model.js';
import { bytes, count, days, json, plural } from './format.js';

/** How many names a text list shows before "and N more, see --format json". */
export const NAMES_SHOWN = 12;

/** Names in full, up to `cap`; beyond it an explicit count and where to see the rest. */
export function names(list: readonly string[], cap = NAMES_SHOWN): string {
  if (list.length <= cap) return list.join(', ');
  return `${list.slice(0, cap).join(', ')} and ${count(list.length - cap)} more, see --format json`;
}

function services(actions: readonly string[]): number {
  return new Set(actions.map((a) => a.slice(0, a.indexOf(':')))).size;
}

function afterScope(after: MinimizePlan['scope']['after']): string {
  const total = plural(after.actions, 'action');
  if (after.anyResource === 0) return `${total} on ${plural(after.resources, 'resource')}`;
  const specific = after.actions - after.anyResource;
  if (specific === 0) return `${total}, all on any resource`;
  return `${total}: ${count(specific)} on ${plural(after.resources, 'resource')}, ${count(after.anyResource)} on any resource`;
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
  lines.push(`Proposed: from ${plural(before.actions, 'action')} on ${before.resources} to ${afterScope(after)}.`);
  const v = plan.verification;
  lines.push(
    `Verified: the proposal allows ${v.allowed === v.observedCalls ? 'all' : `${count(v.allowed)} of`} ` +
      `${plural(v.observedCalls, 'observed (action, resource) pair')} of mapped calls; ` +
      `it allows ${v.newlyAllowed === 0 ? 'nothing' : plural(v.newlyAllowed, 'request')} the current policy denies.`,
  );
  const f = v.failSafe;
  if (f.unmappedCalls + f.unresolvedCalls > 0) {
    const parts = [
      ...(f.unmappedCalls > 0 ? [`${plural(f.unmappedCalls, 'unmapped call')} (${plural(f.unmappedEvents, 'event')})`] : []),
      ...(f.unresolvedCalls > 0 ? [`${plural(f.unresolvedCalls, 'call')} with unresolved resources (${plural(f.unresolvedEvents, 'event')})`] : []),
    ];
    lines.push(
      `Not verified pair by pair: ${parts.join(' and ')}; ${plural(f.actions, 'granted action')} that may have authorized them ${f.actions === 1 ? 'is' : 'are'} kept (fail-safe, below).`,
    );
  }
  const e = plan.evidence;
  lines.push(
    `Evidence: ${plural(e.files, 'log file')} (${bytes(e.bytes)}), ${plural(e.records, 'record')} from ${e.source}` +
      (e.covered.first !== null ? `, events ${e.covered.first} to ${e.covered.last}` : '') +
      (e.skippedFiles.length > 0 ? `; ${plural(e.skippedFiles.length, 'file')} SKIPPED` : '') +
      '.',
  );
  if (plan.denied.length > 0) {
    lines.push(`Denied attempts (never granted): ${plan.denied.map((d) => `${d.action} x${count(d.count)}`).join(', ')}.`);
  }
  if (plan.unobservable.length > 0) {
    const reasons = new Map<string, string[]>();
    for (const u of plan.unobservable) reasons.set(u.reason, [...(reasons.get(u.reason) ?? []), u.action]);
    const ranked = [...reasons].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
    lines.push(`Kept because the logs cannot show their use: ${plural(plan.unobservable.length, 'action')} (--drop-unobservable removes them):`);
    for (const [reason, actions] of ranked) lines.push(`  ${String(actions.length).padStart(5)}  ${reason}`, `         ${names(actions)}`);
  }
  const parts = plan.observability.partlyUnobservable;
  if (parts.length > 0) {
    lines.push(`Used, and kept also where the logs cannot show their use: ${plural(parts.length, 'action')}:`);
    for (const p of parts) lines.push(`  ${p.action} on ${(p.resources ?? []).join(', ')}`);
  }
  if (plan.unobservable.length > 0 || parts.length > 0) {
    const o = plan.observability;
    lines.push(
      o.basis === 'trail-selectors'
        ? `What the logs cannot show: from the trail's event selectors (${o.source}${o.trail !== undefined ? `, ${o.trail}` : ''}).`
        : o.basis === 'event-data-store-selectors'
          ? o.selectorsUnknown === true
            ? `What the logs cannot show: the event data store's selectors are unknown (${o.source} denied): every data-event permission kept; grant cloudtrail:GetEventDataStore or pass --trail-config FILE (aws cloudtrail get-event-data-store output).`
            : `What the logs cannot show: from the event data store's selectors (${o.source}${o.eventDataStore !== undefined ? `, ${o.eventDataStore}` : ''}).`
          : "What the logs cannot show: inferred per resource from the logs (pass --trail-config or --trail for the trail's own event selectors).",
    );
  }
  if (plan.observability.basis === 'event-data-store-selectors') for (const note of plan.observability.notes ?? []) lines.push(`Evidence coverage: ${note}.`);
  const la = plan.lastAccessed;
  if (la !== undefined) {
    lines.push(
      `IAM last-accessed data (${la.origin}, as of ${la.asOf.slice(0, 10)}): ${plural(la.kept.length, 'action')} not seen in the window but attempted within ${la.days} days, kept as granted today` +
        (la.kept.length > 0 ? ':' : '.'),
    );
    for (const k of la.kept) lines.push(`  ${k.action}  last ${k.level === 'action' ? 'accessed' : 'service access'} ${k.lastAccessed.slice(0, 10)}`);
    lines.push(
      `  (IAM counts denied attempts as accesses, and knows only the actions it tracks; ${la.granularity === 'ACTION_LEVEL' ? 'others are judged by their service' : 'this report is service-level'}.)`,
    );
  }
  if (plan.usedNotGranted.length > 0) {
    lines.push(`Used but not granted by these policies (not proposed): ${plan.usedNotGranted.join(', ')}.`);
  }
  const authorized = plan.unmapped.filter((u) => u.match !== 'denied-only');
  if (authorized.length > 0) {
    const events = authorized.reduce((sum, u) => sum + u.count - u.denied, 0);
    const kept = new Set(authorized.flatMap((u) => u.kept));
    lines.push(
      `${plural(authorized.length, 'call')} unmapped (${plural(events, 'event')}): kept ${plural(kept.size, 'action')} for them (kept: unmapped call; --strict refuses instead):`,
    );
    for (const u of authorized) {
      const what =
        u.match === 'none'
          ? `nothing of ${u.service} is granted today, nothing to keep`
          : `kept ${u.match === 'action' ? '' : `every granted ${u.service} action: `}${names(u.kept)}`;
      lines.push(`  ${u.eventSource} ${u.eventName} x${count(u.count - u.denied)}: ${what}`);
    }
  }
  const deniedOnly = plan.unmapped.filter((u) => u.match === 'denied-only');
  if (deniedOnly.length > 0)
    lines.push(`Unmapped denied attempts (nothing kept): ${deniedOnly.map((u) => `${u.eventSource} ${u.eventName} x${count(u.count)}`).join(', ')}.`);
  const unresolved = plan.kept.filter((k) => k.reason === 'kept: unresolved resource');
  if (unresolved.length > 0) {
    lines.push(`Kept for resources the events do not name (kept: unresolved resource), as granted today:`);
    for (const k of unresolved) lines.push(`  ${k.action} for ${k.resources.join(', ')} (${names(k.calls)}; ${plural(k.events, 'event')})`);
  }
  for (const d of plan.diagnostics.filter((d) => d.severity !== 'info')) {
    lines.push(`${d.severity}: ${d.message}${d.subject !== undefined ? ` [${d.subject}]` : ''}`);
  }
  if (plan.policies.length > 0) {
    lines.push("Per policy (`pr` writes one policy's share; --format json has each document):");
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
    case 'grace':
      return `${what}: kept as it is: ${share.graceReason ?? 'grace period'}`;
    case 'replace-aws-managed':
      return `${what}: ${figures}; not editable: replacing the attachment with a customer-managed policy holding its share is a separate change`;
  }
}
