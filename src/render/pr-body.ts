/**
 * The pull request body: everything a reviewer needs to approve a permission cut without running
 * anything: what was used (calls, last seen, resources), what goes away (grouped by service and
 * counted, so a role granted `*` still gives a short body), what is kept although unobservable,
 * the self-check, the evidence, the policy diff and how to roll back. Deterministic Markdown.
 */
import type { MinimizePlan } from '../model.js';
import { statementCoversAction } from '../iam/evaluate.js';
import type { PolicyDocument, PolicyShare } from '../model.js';
import { compareText } from '../util/compare-text.js';
import { bytes, count, days, plural } from './format.js';

/** GitHub rejects bodies over 65,536 characters; the diff is cut first. */
export const PR_BODY_LIMIT = 65_000;
const MAX_USED_ROWS = 60;
const MAX_SERVICE_ROWS = 40;
const EXAMPLES = 4;

export interface PrBodyInput {
  plan: MinimizePlan;
  /**
   * The policy the change rewrites (its share of the proposal). Absent for a SAM function, whose
   * `Policies:` is the role's whole grant: the body then describes the merged proposal.
   */
  share?: PolicyShare;
  /** Every principal the policy is attached to (the role, and others sharing a managed policy). */
  principals?: readonly string[];
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
export function prTitle(plan: MinimizePlan, share?: PolicyShare): string {
  if (share !== undefined) {
    return `iamtrim: least privilege for ${plan.roleName}: ${share.name} keeps ${count(share.keptActions)} of ${plural(share.grantedActions, 'action')} (${count(plan.used.length)} used in ${days(plan.window.start, plan.window.end)} days)`;
  }
  return `iamtrim: least privilege for ${plan.roleName} (${count(plan.used.length)} of ${count(plan.granted.actions)} actions used in ${days(plan.window.start, plan.window.end)} days)`;
}

/** Whether any Allow statement of these documents names the action (on some resource). */
function grantedBy(documents: readonly PolicyDocument[], action: string): boolean {
  return documents.some((d) => d.Statement.some((s) => s.Effect === 'Allow' && statementCoversAction(s, action)));
}

/** Figures from the one document this change rewrites, and what the role as a whole loses. */
function shareHeadline(plan: MinimizePlan, share: PolicyShare, target: string): string[] {
  const others = plan.policies.filter((p) => p !== share);
  const stillGranted = share.removedActions.filter((a) =>
    grantedBy(
      others.map((o) => o.current),
      a,
    ),
  );
  const lost = share.removedActions.length - stillGranted.length;
  const pct = share.grantedActions === 0 ? 0 : (100 * share.removedActions.length) / share.grantedActions;
  const calls = plan.used.reduce((sum, u) => sum + u.count, 0);
  return [
    `This change rewrites one policy, **${share.name}** (${share.kind}) in ${code(target)}: it grants **${plural(share.grantedActions, 'action')}** today ` +
      `and keeps **${count(share.keptActions)}**; **${plural(share.removedActions.length, 'action')} (${pct.toFixed(1)}%)** are removed from it.`,
    '',
    `${code(plan.roleName)} used ${plural(plan.used.length, 'action')} (${plural(calls, 'call')}) in the last ${plural(days(plan.window.start, plan.window.end), 'day')}. ` +
      (stillGranted.length === 0
        ? `No other policy of the role grants the removed actions, so the role loses all ${count(lost)}.`
        : `The role loses ${count(lost)} of the removed actions; ${count(stillGranted.length)} stay granted by its other policies, which this change does not touch.`),
    '',
    '| This policy | Current | Proposed |',
    '|---|---:|---:|',
    `| Actions | ${count(share.grantedActions)} | ${count(share.keptActions)} |`,
    `| Statements | ${count(share.current.Statement.length)} | ${count(share.proposed.Statement.length)} |`,
  ];
}

/** The role's other policies: they stay attached, with what they grant. */
function othersSection(plan: MinimizePlan, share: PolicyShare): string[] {
  const others = plan.policies.filter((p) => p !== share);
  if (others.length === 0) return [];
  const out = [
    `### Policies that stay attached, unchanged by this PR (${count(others.length)})`,
    '',
    '| Policy | Grants today | Its own share would keep | Next step |',
    '|---|---:|---:|---|',
  ];
  for (const o of others) {
    const next =
      o.change === 'unchanged' || o.change === 'keep-aws-managed'
        ? 'nothing to trim'
        : o.change === 'grace'
          ? `kept as it is: ${o.graceReason ?? 'grace period'}`
          : o.change === 'remove'
            ? `nothing of it is needed: ${o.kind === 'inline' ? 'delete' : 'detach'} it after review`
            : o.awsManaged
              ? 'AWS managed, not editable: replace the attachment with a customer-managed policy holding its share (separate change)'
              : `run \`iamtrim pr\` on the file that defines it`;
    out.push(`| ${code(o.name)} (${o.awsManaged ? 'AWS managed' : o.kind}) | ${count(o.grantedActions)} | ${count(o.keptActions)} | ${next} |`);
  }
  return out;
}

function principalsSection(plan: MinimizePlan, principals: readonly string[]): string[] {
  const list = principals.length > 0 ? principals : [plan.role];
  return [`### Affected principals (${count(list.length)})`, '', ...[...list].sort(compareText).map((p) => `- ${code(p)}`)];
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
  const allowed =
    v.allowed === v.observedCalls
      ? `all ${plural(v.observedCalls, 'observed call')}`
      : `only ${count(v.allowed)} of ${plural(v.observedCalls, 'observed call')}`;
  return `${ok ? '✅' : '❌'} **Verified:** ${allowed} (distinct requests) are allowed by the new policy; it allows ${v.newlyAllowed === 0 ? 'nothing' : plural(v.newlyAllowed, 'request')} the current policy denies.`;
}

function keptTable(plan: MinimizePlan, share: PolicyShare | undefined): string[] {
  const rows = plan.used
    .filter((u) => share === undefined || grantedBy([share.proposed], u.action))
    .sort((a, b) => b.count - a.count || compareText(a.action, b.action));
  const out = [`### Kept: used in the window (${count(rows.length)})`, '', '| Action | Calls | Last seen | Resources |', '|---|---:|---|---|'];
  for (const u of rows.slice(0, MAX_USED_ROWS)) {
    const via = u.via !== undefined && u.via.length > 0 ? ` (via ${u.via.map(code).join(', ')})` : '';
    out.push(`| ${code(u.action)}${via} | ${count(u.count)} | ${u.lastSeen.slice(0, 10)} | ${capped(u.resources, 3, code) || '—'} |`);
  }
  if (rows.length > MAX_USED_ROWS) out.push(`| and ${count(rows.length - MAX_USED_ROWS)} more | | | |`);
  return out;
}

function removedSection(plan: MinimizePlan, share: PolicyShare | undefined): string[] {
  const removed = share !== undefined ? share.removedActions : plan.unused;
  const byService = new Map<string, string[]>();
  for (const a of removed) byService.set(serviceOf(a), [...(byService.get(serviceOf(a)) ?? []), a]);
  const services = [...byService].sort(([a, x], [b, y]) => y.length - x.length || compareText(a, b));
  const out = [
    `### Removed${share !== undefined ? ` from ${share.name}` : ''}: not used in the window (${plural(removed.length, 'action')} in ${plural(services.length, 'service')})`,
    '',
  ];
  if (services.length === 0) return [...out, 'Nothing.'];
  out.push('<details><summary>By service</summary>', '', '| Service | Removed | Examples |', '|---|---:|---|');
  for (const [service, actions] of services.slice(0, MAX_SERVICE_ROWS))
    out.push(`| ${code(service)} | ${count(actions.length)} | ${capped(actions, EXAMPLES, code)} |`);
  if (services.length > MAX_SERVICE_ROWS) {
    const rest = services.slice(MAX_SERVICE_ROWS);
    out.push(`| and ${plural(rest.length, 'more service')} | ${count(rest.reduce((n, [, a]) => n + a.length, 0))} | |`);
  }
  return [...out, '', '</details>'];
}

function unobservableSection(plan: MinimizePlan, share: PolicyShare | undefined): string[] {
  const kept = plan.unobservable.filter((u) => share === undefined || grantedBy([share.proposed], u.action));
  if (kept.length === 0) return [];
  const byReason = new Map<string, string[]>();
  for (const u of kept) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.action]);
  const out = [`### Kept although CloudTrail cannot show their use (${count(kept.length)})`, ''];
  for (const [reason, actions] of [...byReason].sort(([a], [b]) => compareText(a, b))) {
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
    ...(plan.unmapped.length > 0
      ? [
          `- Unmapped calls (the granted actions that may have authorized them are kept: ${count(new Set(plan.unmapped.flatMap((u) => u.kept)).size)}): ${capped(plan.unmapped, 10, (u) => code(`${u.eventSource} ${u.eventName}`))}`,
        ]
      : []),
    ...warnings.map((d) => `- ⚠️ ${d.message}${d.subject !== undefined ? ` (${code(d.subject)})` : ''}`),
  ];
}

function rollbackSection(plan: MinimizePlan, share: PolicyShare | undefined): string[] {
  const previous = share === undefined ? 'the previous policy' : `${code(share.name)} as it was`;
  return [
    '### Rolling back',
    '',
    `Revert this pull request (GitHub's **Revert** button, or \`git revert <merge commit>\`) and apply as usual: ${previous} is restored exactly (see the diff).`,
    `If something breaks after merging, look for \`AccessDenied\` events by ${code(plan.roleName)} in CloudTrail; a longer \`--days\` window catches periodic jobs.`,
  ];
}

function shareVerificationLine(plan: MinimizePlan, share: PolicyShare): string {
  const v = plan.verification;
  const ok = v.allowed === v.observedCalls && v.newlyAllowed === 0;
  const allowed =
    v.allowed === v.observedCalls
      ? `all ${plural(v.observedCalls, 'observed call')}`
      : `only ${count(v.allowed)} of ${plural(v.observedCalls, 'observed call')}`;
  return (
    `${ok ? '✅' : '❌'} **Verified:** ${allowed} (distinct requests) are allowed by the role's proposal, of which ${code(share.name)}'s new version is the part it grants; ` +
    `with the role's other policies unchanged they all stay allowed, and the new version allows nothing the current one does not.`
  );
}

export function renderPrBody(input: PrBodyInput): string {
  const { plan, share } = input;
  const unobservable = unobservableSection(plan, share);
  const head = [
    `## Least privilege for ${code(plan.roleName)}`,
    '',
    ...(share !== undefined ? shareHeadline(plan, share, input.target) : headline(plan)),
    '',
    share !== undefined ? shareVerificationLine(plan, share) : verificationLine(plan),
    '',
    ...(share !== undefined ? [...othersSection(plan, share), ...(plan.policies.length > 1 ? [''] : [])] : []),
    ...principalsSection(plan, input.principals ?? []),
    '',
    ...keptTable(plan, share),
    '',
    ...removedSection(plan, share),
    '',
    ...unobservable,
    ...(unobservable.length > 0 ? [''] : []),
    ...deniedSection(plan),
    ...(plan.denied.length > 0 ? [''] : []),
    ...evidenceSection(plan, input.target),
    '',
  ].join('\n');
  const tail = [
    '',
    ...rollbackSection(plan, share),
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
    note = "\n_The diff is cut here to fit GitHub's limit; the full change is in the Files tab._\n";
  }
  return `${head}\n### Policy diff\n\n<details><summary>Current vs. proposed policy</summary>\n\n\`\`\`diff\n${diff}\n\`\`\`\n${note}\n</details>\n${tail}`;
}
