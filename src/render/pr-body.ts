/**
 * The pull request body: everything a reviewer needs to approve a permission cut without running
 * anything: what was used (calls, last seen, resources), what goes away (grouped by service and
 * counted, so a role granted `*` still gives a short body), what is kept although unobservable,
 * the self-check, the evidence, the policy diff and how to roll back. Deterministic Markdown.
 */
import type { MinimizePlan } from '../model.js';
import { bytes, count, days, plural } from './format.js';

/** GitHub rejects bodies over 65,536 characters; the diff is cut first. */
export const PR_BODY_LIMIT = 65_000;
const MAX_USED_ROWS = 60;
const MAX_SERVICE_ROWS = 40;
const EXAMPLES = 4;

export interface PrBodyInput {
  plan: MinimizePlan;
  /** Where the policy lives: `infra/iam.tf data.aws_iam_policy_document.app`. */
  target: string;
  diff: string;
  version: string;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function capped<T>(items: readonly T[], max: number, show: (t: T) => string): string {
  const shown = items.slice(0, max).map(show).join(', ');
  return items.length > max ? `${shown} and ${count(items.length - max)} more` : shown;
}

function serviceOf(action: string): string {
  return action.slice(0, Math.max(action.indexOf(':'), 0)) || action;
}

/** A one-line title for the PR and the commit. */
export function prTitle(plan: MinimizePlan): string {
  return `iamtrim: least privilege for ${plan.roleName} (${count(plan.used.length)} of ${count(plan.granted.actions)} actions used in ${days(plan.window.start, plan.window.end)} days)`;
}

function headline(plan: MinimizePlan): string[] {
  const used = plan.used.length;
  const removed = plan.unused.length;
  const pct = plan.granted.actions === 0 ? 0 : (100 * removed) / plan.granted.actions;
  const calls = plan.used.reduce((sum, u) => sum + u.count, 0);
  return [
    `**${plan.roleName}** can do **${plural(plan.granted.actions, 'action')}** in ${plural(plan.granted.services, 'service')}; ` +
      `in the last ${plural(days(plan.window.start, plan.window.end), 'day')} it used **${plural(used, 'action')}** (${plural(calls, 'call')}). ` +
      `This change removes **${plural(removed, 'action')} (${pct.toFixed(1)}%)**.`,
    '',
    '| | Current | Proposed |',
    '|---|---:|---:|',
    `| Actions | ${count(plan.scope.before.actions)} | ${count(plan.scope.after.actions)} |`,
    `| Resources | ${plan.scope.before.resources} | ${count(plan.scope.after.resources)} |`,
    `| Policy documents | ${count(plan.current.length)} | ${count(plan.proposed.length)} |`,
  ];
}

function verificationLine(plan: MinimizePlan): string {
  const v = plan.verification;
  const ok = v.allowed === v.observedCalls && v.newlyAllowed === 0;
  const allowed = v.allowed === v.observedCalls ? `all ${plural(v.observedCalls, 'observed call')}` : `only ${count(v.allowed)} of ${plural(v.observedCalls, 'observed call')}`;
  return `${ok ? '✅' : '❌'} **Verified:** ${allowed} (distinct requests) are allowed by the new policy; it allows ${v.newlyAllowed === 0 ? 'nothing' : plural(v.newlyAllowed, 'request')} the current policy denies.`;
}

function keptTable(plan: MinimizePlan): string[] {
  const rows = [...plan.used].sort((a, b) => b.count - a.count || a.action.localeCompare(b.action));
  const out = [`### Kept: used in the window (${count(rows.length)})`, '', '| Action | Calls | Last seen | Resources |', '|---|---:|---|---|'];
  for (const u of rows.slice(0, MAX_USED_ROWS)) {
    const via = u.via !== undefined && u.via.length > 0 ? ` (via ${u.via.map(code).join(', ')})` : '';
    out.push(`| ${code(u.action)}${via} | ${count(u.count)} | ${u.lastSeen.slice(0, 10)} | ${capped(u.resources, 3, code) || '—'} |`);
  }
  if (rows.length > MAX_USED_ROWS) out.push(`| and ${count(rows.length - MAX_USED_ROWS)} more | | | |`);
  return out;
}

function removedSection(plan: MinimizePlan): string[] {
  const byService = new Map<string, string[]>();
  for (const a of plan.unused) byService.set(serviceOf(a), [...(byService.get(serviceOf(a)) ?? []), a]);
  const services = [...byService].sort(([a, x], [b, y]) => y.length - x.length || a.localeCompare(b));
  const out = [
    `### Removed: not used in the window (${plural(plan.unused.length, 'action')} in ${plural(services.length, 'service')})`,
    '',
  ];
  if (services.length === 0) return [...out, 'Nothing.'];
  out.push('<details><summary>By service</summary>', '', '| Service | Removed | Examples |', '|---|---:|---|');
  for (const [service, actions] of services.slice(0, MAX_SERVICE_ROWS)) out.push(`| ${code(service)} | ${count(actions.length)} | ${capped(actions, EXAMPLES, code)} |`);
  if (services.length > MAX_SERVICE_ROWS) {
    const rest = services.slice(MAX_SERVICE_ROWS);
    out.push(`| and ${plural(rest.length, 'more service')} | ${count(rest.reduce((n, [, a]) => n + a.length, 0))} | |`);
  }
  return [...out, '', '</details>'];
}

function unobservableSection(plan: MinimizePlan): string[] {
  if (plan.unobservable.length === 0) return [];
  const byReason = new Map<string, string[]>();
  for (const u of plan.unobservable) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.action]);
  const out = [`### Kept although CloudTrail cannot show their use (${count(plan.unobservable.length)})`, ''];
  for (const [reason, actions] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`- ${reason}: ${capped(actions, 8, code)}`);
  }
  return [...out, '', 'Pass `--drop-unobservable` to remove them as well.'];
}

function deniedSection(plan: MinimizePlan): string[] {
  if (plan.denied.length === 0) return [];
  const out = ['### Denied attempts (never granted, not added)', '', '| Action | Attempts | Last seen |', '|---|---:|---|'];
  for (const d of plan.denied.slice(0, 20)) out.push(`| ${code(d.action)} | ${count(d.count)} | ${d.lastSeen.slice(0, 10)} |`);
  if (plan.denied.length > 20) out.push(`| and ${count(plan.denied.length - 20)} more | | |`);
  return out;
}

function evidenceSection(plan: MinimizePlan, target: string): string[] {
  const e = plan.evidence;
  const warnings = plan.diagnostics.filter((d) => d.severity !== 'info');
  return [
    '### Evidence',
    '',
    `- Window: ${plan.window.start} to ${plan.window.end}`,
    `- Source: ${e.source}: ${plural(e.files, 'log file')} (${bytes(e.bytes)}), ${plural(e.records, 'record')}` +
      (e.covered.first !== null ? `, events ${e.covered.first} to ${e.covered.last}` : ''),
    `- Role: ${code(plan.role)}; policy rewritten: ${code(target)}`,
    ...(plan.unmapped.length > 0 ? [`- Unmapped calls (the granted actions that may have authorized them are kept: ${count(new Set(plan.unmapped.flatMap((u) => u.kept)).size)}): ${capped(plan.unmapped, 10, (u) => code(`${u.eventSource} ${u.eventName}`))}`] : []),
    ...warnings.map((d) => `- ⚠️ ${d.message}${d.subject !== undefined ? ` (${code(d.subject)})` : ''}`),
  ];
}

function rollbackSection(plan: MinimizePlan): string[] {
  return [
    '### Rolling back',
    '',
    'Revert this pull request (GitHub\'s **Revert** button, or `git revert <merge commit>`) and apply as usual: the previous policy is restored exactly (see the diff).',
    `If something breaks after merging, look for \`AccessDenied\` events by ${code(plan.roleName)} in CloudTrail; a longer \`--days\` window catches periodic jobs.`,
  ];
}

export function renderPrBody(input: PrBodyInput): string {
  const { plan } = input;
  const head = [
    `## Least privilege for ${code(plan.roleName)}`,
    '',
    ...headline(plan),
    '',
    verificationLine(plan),
    '',
    ...keptTable(plan),
    '',
    ...removedSection(plan),
    '',
    ...unobservableSection(plan),
    ...(plan.unobservable.length > 0 ? [''] : []),
    ...deniedSection(plan),
    ...(plan.denied.length > 0 ? [''] : []),
    ...evidenceSection(plan, input.target),
    '',
  ].join('\n');
  const tail = [
    '',
    ...rollbackSection(plan),
    '',
    `<sub>Generated by iamtrim ${input.version} (IAM data ${plan.data.iamData}). Re-running iamtrim updates this pull request.</sub>`,
    `<!-- iamtrim:role=${plan.role} -->`,
    '',
  ].join('\n');
  const room = PR_BODY_LIMIT - head.length - tail.length - 200;
  let diff = input.diff;
  let note = '';
  if (diff.length > room) {
    diff = diff.slice(0, Math.max(0, diff.lastIndexOf('\n', room)));
    note = '\n_The diff is cut here to fit GitHub\'s limit; the full change is in the Files tab._\n';
  }
  return `${head}\n### Policy diff\n\n<details><summary>Current vs. proposed policy</summary>\n\n\`\`\`diff\n${diff}\n\`\`\`\n${note}\n</details>\n${tail}`;
}
