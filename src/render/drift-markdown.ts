/**
 * `report.md`: the drift report for a PR comment or a wiki page. GitHub comments are limited to
 * 65,536 characters, so long lists are cut (saying how many more are in report.json).
 */
import type { DriftChanges, DriftReport, DriftRole } from '../drift/report.js';
import { count, plural } from './format.js';
import { compareText } from '../util/compare-text.js';
import { renderServerlessMarkdown } from '../drift/lambda-drift.js';
import { REGRESSION_CAUSES } from '../drift/regressions.js';
import { andMore, riskActions, usedByLastCall } from '../drift/role-detail.js';

/** Rows of the ranked role table; the rest is in report.json. */
export const MARKDOWN_ROLE_ROWS = 40;
const LIST_ITEMS = 12;
/** Used actions written per role, and concrete actions per risk (report.html shows 12 and 10). */
const USED_ITEMS = 6;
const RISK_ITEMS = 8;
/** Entries written per list of a role's changes. */
const CHANGE_ITEMS = 5;

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function list(items: readonly string[], limit = LIST_ITEMS): string {
  if (items.length === 0) return '—';
  const shown = items.slice(0, limit).map(code).join(', ');
  return items.length > limit ? `${shown} and ${count(items.length - limit)} more` : shown;
}

/** A role's actions (or granted patterns), cut, saying what the rest counts. */
function actionList(items: readonly string[], limit: number, noun: 'action' | 'pattern' = 'action'): string {
  if (items.length === 0) return '—';
  return `${items.slice(0, limit).map(code).join(', ')}${andMore(items, limit, noun)}`;
}

/** A list of a role's changes: how many concrete actions it stands for, then its entries, cut as a role's detail is. */
function changeCell(entries: readonly string[], actions: number): string {
  if (entries.length === 0) return '—';
  return `${plural(actions, 'action')}: ${entries.slice(0, CHANGE_ITEMS).map(code).join(', ')}${andMore(entries, CHANGE_ITEMS, 'action', 'changed')}`;
}

function lastActivity(role: DriftRole): string {
  if (role.lastActivity === null) return 'never seen';
  const day = role.lastActivity.at.slice(0, 10);
  return role.lastActivity.source === 'cloudtrail' ? day : `${day} (IAM)`;
}

function trendText(role: DriftRole): string {
  const points = role.trend.granted.map((g, i) => (g === null ? null : `${g}/${role.trend.used[i] ?? 0}`)).filter((p): p is string => p !== null);
  if (points.length < 2) return '—';
  return `${points[0] ?? ''} → ${points[points.length - 1] ?? ''}`;
}

function roleRow(role: DriftRole, rank: number): string {
  const risky = role.risks.filter((r) => r.unusedCount > 0).map((r) => r.rule);
  return `| ${rank} | ${code(role.name)} | ${count(role.granted)} | ${count(role.used)} | ${count(role.unused)} (${role.unusedPercent}%) | ${count(role.unobservable)} | ${risky.length > 0 ? cell(risky.join(', ')) : '—'} | ${count(role.deniedAttempts.reduce((s, d) => s + d.count, 0))} | ${lastActivity(role)} | ${trendText(role)} |`;
}

/** `a` (2026-06-23), `b` (2026-06-20) and N more: the used actions, last call first, with its day. */
function usedText(role: DriftRole): string {
  const used = usedByLastCall(role);
  if (used.length === 0) return 'none in the window';
  const shown = used
    .slice(0, USED_ITEMS)
    .map((u) => `${code(u.action)} (${u.lastSeen.slice(0, 10) || 'no call recorded'})`)
    .join(', ');
  const actions = used.map((u) => u.action);
  return `${shown}${andMore(actions, USED_ITEMS)}`;
}

/** Under a role table: each listed role's used actions, so a reviewer sees what it needs before what it does not. */
function usedLines(report: DriftReport, roles: readonly DriftRole[]): string[] {
  if (roles.length === 0) return [];
  return ['', 'Used actions, last call first (day of the last call):', '', ...roles.map((r) => `- ${code(roleLabel(report, r))}: ${usedText(r)}`)];
}

function changesSection(changes: DriftChanges | null, report: DriftReport): string[] {
  const lines = ['## Changes since the previous run', ''];
  if (changes === null) {
    lines.push(
      report.history.store === null ? 'History is off (`--no-history`): no comparison.' : 'First run in this history: it is the baseline for the next one.',
      '',
    );
    return lines;
  }
  lines.push(`Compared with the run of ${changes.previousRun}.`, '');
  lines.push(`- Roles added: ${list(changes.rolesAdded)}`);
  lines.push(`- Roles removed: ${list(changes.rolesRemoved)}`);
  lines.push(`- New risky grants: ${list(changes.newRisks)}`);
  lines.push('');
  if (changes.roles.length === 0) {
    lines.push('No role changed its grants or usage.', '');
    return lines;
  }
  lines.push(
    'Each action cell gives how many concrete actions changed, then lists them; a `service:*` entry stands for every action of the service.',
    '',
    '| role | new grants | removed grants | newly used | newly unused | new risks |',
    '|---|---|---|---|---|---|',
  );
  for (const c of changes.roles.slice(0, MARKDOWN_ROLE_ROWS)) {
    const n = c.actionCounts;
    lines.push(
      `| ${code(c.name)} | ${changeCell(c.newGrants, n.newGrants)} | ${changeCell(c.removedGrants, n.removedGrants)} | ${changeCell(c.newlyUsed, n.newlyUsed)} | ${changeCell(c.newlyUnused, n.newlyUnused)} | ${list(c.newRisks, CHANGE_ITEMS)} |`,
    );
  }
  if (changes.roles.length > MARKDOWN_ROLE_ROWS) lines.push('', `${count(changes.roles.length - MARKDOWN_ROLE_ROWS)} more changed roles in report.json.`);
  lines.push('');
  return lines;
}

function regressionsSection(report: DriftReport): string[] {
  const list = report.regressions;
  if (list.length === 0) return ['## Regressions', '', 'None: no call that worked is now ungranted or denied.', ''];
  const lines = [
    `## Regressions: ${plural(list.length, 'call')} that worked and will fail`,
    '',
    'Each was used successfully (in this window or the previous run) and is no longer granted, or was denied after working. Restore the grant or confirm the job is gone.',
    '',
    '| role | action | resource | last success | first denial | why |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of list.slice(0, MARKDOWN_ROLE_ROWS)) {
    lines.push(
      `| ${code(r.role)} | ${code(r.action)} | ${r.resource !== null ? code(r.resource) : '(not recorded)'} | ${r.lastSuccess ?? '—'} | ${r.firstDenial ?? 'none yet'} | ${REGRESSION_CAUSES[r.cause]} |`,
    );
  }
  if (list.length > MARKDOWN_ROLE_ROWS) lines.push('', `${count(list.length - MARKDOWN_ROLE_ROWS)} more regressions in report.json.`);
  lines.push('');
  return lines;
}

/** A role's name, preceded by its account when the report covers several (names repeat across accounts). */
function roleLabel(report: DriftReport, role: DriftRole): string {
  return report.accounts.length > 1 ? `${role.account || 'unknown'}/${role.name}` : role.name;
}

const ROLE_HEADER = [
  '| # | role | granted | used | unused | unobservable | risky unused | denied | last activity | trend granted/used |',
  '|---|---|---|---|---|---|---|---|---|---|',
];

function logsCell(logs: boolean | null): string {
  return logs === null ? 'not said' : logs ? 'yes' : '**none**';
}

/**
 * The accounts table: with several accounts, or with accounts asked for and not evaluated (their
 * reason in the row: the role could not be assumed, or no evidence in the logs), in account order.
 */
function accountsTable(report: DriftReport): string[] {
  const missing = report.accountsNotEvaluated ?? [];
  if (report.accounts.length <= 1 && missing.length === 0) return [];
  const dash = ' — |'.repeat(8);
  const rows = [
    ...report.accounts.map((a) => ({
      account: a.account,
      row: `| ${code(a.account || 'unknown')} | yes | ${logsCell(a.logs)} | ${count(a.roles)} | ${count(a.active)} | ${count(a.noActivity)} | ${count(a.granted)} | ${count(a.used)} | ${count(a.unused)} (${a.unusedPercent}%) | ${count(a.rolesWithRiskyUnused)} |`,
    })),
    ...missing.map((m) => ({ account: m.account, row: `| ${code(m.account)} | **no**: ${cell(m.reason)} |${dash}` })),
  ].sort((a, b) => compareText(a.account, b.account));
  return [
    `## Accounts (${count(report.accounts.length)} evaluated${missing.length > 0 ? `, ${count(missing.length)} not evaluated` : ''})`,
    '',
    '| account | evaluated | logs | roles | active | no activity | granted | used | unused | risky unused roles |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => r.row),
    '',
  ];
}

/**
 * The ranked role table; with several accounts (`--iam DIR`), the roles grouped under their
 * account (the row budget shared between accounts, at least 5 each), after the accounts table.
 */
function rolesSection(report: DriftReport): string[] {
  const active = report.roles.filter((r) => r.status === 'active');
  if (report.accounts.length <= 1) {
    const lines = [...accountsTable(report), '## Roles, riskiest excess first', '', ...ROLE_HEADER];
    const shown = active.slice(0, MARKDOWN_ROLE_ROWS);
    shown.forEach((role, i) => lines.push(roleRow(role, i + 1)));
    lines.push(...usedLines(report, shown));
    if (active.length > MARKDOWN_ROLE_ROWS) lines.push('', `${count(active.length - MARKDOWN_ROLE_ROWS)} more roles in report.json / report.html.`);
    return lines;
  }
  const lines = [...accountsTable(report), '## Roles by account, riskiest excess first'];
  const perAccount = Math.max(5, Math.floor(MARKDOWN_ROLE_ROWS / report.accounts.length));
  for (const a of report.accounts) {
    const mine = active.filter((r) => r.account === a.account);
    lines.push('', `### Account ${a.account || 'unknown'}`, '');
    if (mine.length === 0) {
      lines.push('No active role.');
      continue;
    }
    lines.push(...ROLE_HEADER);
    const shown = mine.slice(0, perAccount);
    shown.forEach((role, i) => lines.push(roleRow(role, i + 1)));
    lines.push(...usedLines(report, shown));
    if (mine.length > perAccount) lines.push('', `${count(mine.length - perAccount)} more roles of this account in report.json / report.html.`);
  }
  return lines;
}

export function renderDriftMarkdown(report: DriftReport): string {
  const s = report.summary;
  const lines: string[] = [
    '# IAM least-privilege drift',
    '',
    `${report.window.start} to ${report.window.end} · ${report.evidence.source} (${plural(report.evidence.events, 'event')}) · ${report.iam.source} · generated ${report.generatedAt}`,
    '',
    ...(report.alerts ?? []).flatMap((a) => [`> **Warning (${a.code}):** ${a.message}`, '']),
    ...regressionsSection(report),
    `**${plural(s.roles - s.serviceLinked, 'editable role')}**: ${count(s.active)} active, ${count(s.noActivity)} with no activity; ` +
      `${count(s.granted)} granted actions, ${count(s.used)} used, **${count(s.unused)} unused (${s.unusedPercent}%)**; ` +
      `**${plural(s.rolesWithRiskyUnused, 'role')} with risky unused permissions**; ${plural(s.deniedAttempts, 'denied attempt')}.`,
    '',
    ...changesSection(report.changes, report),
    ...renderServerlessMarkdown(report.serverless),
    ...rolesSection(report),
  ];
  lines.push('', '## Unused roles (no activity in the window)', '');
  if (report.unusedRoles.length === 0) lines.push('None.');
  else {
    // By role, not by name: names repeat across accounts (`--iam DIR`).
    const idle = report.roles.filter((r) => r.status === 'no-activity').sort((a, b) => compareText(a.name, b.name) || compareText(a.account, b.account));
    for (const role of idle.slice(0, MARKDOWN_ROLE_ROWS)) {
      lines.push(`- ${code(roleLabel(report, role))} (${role.kind.label}): ${count(role.granted)} granted, last activity ${lastActivity(role)}`);
      const retire = role.retire;
      if (retire !== undefined) {
        const refs = [
          retire.instanceProfiles.length > 0 ? `instance profiles ${list(retire.instanceProfiles)}` : '',
          retire.lambdaFunctions.length > 0 ? `Lambda functions ${list(retire.lambdaFunctions)}` : '',
        ].filter((x) => x !== '');
        lines.push(
          `  - **Retire it** (no activity for ${retire.lastActivity === null ? 'as long as IAM knows' : `${retire.days}+ days`}): ${refs.length > 0 ? `still referenced by ${refs.join(' and ')}; ` : ''}${retire.check}.`,
          `  - ${retire.commands.map(code).join(' → ')}`,
        );
      }
    }
    if (report.unusedRoles.length > MARKDOWN_ROLE_ROWS) lines.push(`- … ${count(report.unusedRoles.length - MARKDOWN_ROLE_ROWS)} more in report.json`);
  }
  if (report.unattachedPolicies !== undefined && report.unattachedPolicies.length > 0) {
    lines.push(
      '',
      '## Customer-managed policies attached to nothing',
      '',
      list(
        report.unattachedPolicies.map((p) => p.arn),
        LIST_ITEMS * 4,
      ),
    );
  }
  lines.push('', '## Risky unused permissions', '');
  const risky = report.roles.filter((r) => r.riskyUnused > 0);
  if (risky.length === 0) lines.push('None.');
  else lines.push("Each rule's reason is written at the first role that has it.", '');
  // At 500 roles the same dozen reasons repeated under every admin role took most of this section.
  const explained = new Set<string>();
  for (const role of risky.slice(0, 15)) {
    lines.push(`### ${roleLabel(report, role)}`, '');
    for (const f of role.risks.filter((r) => r.unusedCount > 0)) {
      const { patterns, actions } = riskActions(role, f);
      const concrete =
        patterns === null
          ? actionList(actions, RISK_ITEMS)
          : `granted as ${actionList(patterns, RISK_ITEMS, 'pattern')}, ${plural(f.unusedCount, 'unused action')}: ${actionList(actions, RISK_ITEMS)}`;
      lines.push(`- **${f.rule}** (${f.category}, ${f.severity}): ${concrete}.${explained.has(f.rule) ? '' : ` ${f.reason}.`}`);
      explained.add(f.rule);
    }
    lines.push(
      '',
      role.retire !== undefined
        ? 'Unused: retire it (see Unused roles) rather than minimize it.'
        : `${role.kind.label}: ${role.kind.advice}. Minimize: ${code(role.minimize)}`,
      '',
    );
  }
  if (risky.length > 15) lines.push(`${count(risky.length - 15)} more roles with risky unused permissions in report.json.`, '');
  lines.push('', '## Service-linked roles (cannot be edited)', '');
  if (report.serviceLinked.length === 0) lines.push('None.');
  for (const role of report.serviceLinked) {
    lines.push(`- ${code(roleLabel(report, role))}: ${count(role.granted)} granted, ${count(role.used)} used, last activity ${lastActivity(role)}`);
  }
  if (report.diagnostics.length > 0) {
    lines.push('', '## Notes', '');
    for (const d of report.diagnostics.slice(0, 20)) lines.push(`- ${d.severity}: ${d.message}${d.subject !== undefined ? ` (${code(d.subject)})` : ''}`);
  }
  lines.push(
    '',
    `<sub>iamtrim ${report.tool.version} · IAM data ${report.data.iamData} · risk table ${report.data.riskTable} · ${plural(report.history.runs, 'run')} in history · unobservable permissions are never counted as unused</sub>`,
    '',
  );
  return lines.join('\n');
}
