/**
 * One role of report.html: its row in the role table, and the detail row under it that opens with
 * the role's name (a `<details>`; CSS shows the next row while it is open). The detail says, in
 * this order, what a reviewer reads first: the used actions with their last call, the risky unused
 * permissions with their reason and concrete actions, the advice for the role's kind and its
 * command, the unused actions, and the granted/used counts over the runs.
 */
import type { DriftRole } from '../drift/report.js';
import type { RiskFinding } from '../drift/risk.js';
import { andMore, riskActions, usedByLastCall } from '../drift/role-detail.js';
import { escapeHtml, sparkline } from './drift-html-chart.js';
import { count, plural } from './format.js';

/** Items shown per list in a role's detail; the rest is counted ("and N more") and in report.json. */
const USED_SHOWN = 12;
const RISK_ACTIONS_SHOWN = 10;
const UNUSED_SHOWN = 40;
/** Risk tags in the table's cell; the detail row lists every one. */
const RISK_TAGS_SHOWN = 3;
/** Runs written out in a role's trend line (the latest ones). */
const TREND_RUNS_SHOWN = 6;

export const COLUMNS: { key: string; label: string; numeric: boolean }[] = [
  { key: 'rank', label: '#', numeric: true },
  { key: 'name', label: 'role', numeric: false },
  { key: 'status', label: 'status', numeric: false },
  { key: 'granted', label: 'granted', numeric: true },
  { key: 'used', label: 'used', numeric: true },
  { key: 'unused', label: 'unused', numeric: true },
  { key: 'unusedpct', label: 'unused %', numeric: true },
  { key: 'unobservable', label: 'unobservable', numeric: true },
  { key: 'risk', label: 'risky unused', numeric: true },
  { key: 'denied', label: 'denied', numeric: true },
  { key: 'last', label: 'last activity', numeric: false },
];

/** Column widths of the role table (fixed layout): the role name takes what is left. */
export const COLGROUP =
  '<colgroup><col style="width:44px"><col><col style="width:92px"><col style="width:72px"><col style="width:64px"><col style="width:72px">' +
  '<col style="width:72px"><col style="width:104px"><col style="width:190px"><col style="width:64px"><col style="width:100px"><col style="width:110px"></colgroup>';

/** `<code>a, b, c</code> and 7 more actions`: one element for the list keeps 500 roles' lists small. */
function codeList(items: readonly string[], shown: number, noun: 'action' | 'pattern' = 'action'): string {
  return `<code>${escapeHtml(items.slice(0, shown).join(', '))}</code>${escapeHtml(andMore(items, shown, noun))}`;
}

/** Used actions, most recent call first (then by name), each with the day of its last call. */
function usedHtml(role: DriftRole): string {
  if (role.usedLastSeen.length === 0) return `<p class="used-actions"><b>Used</b>: none in the window.</p>`;
  const used = usedByLastCall(role);
  const items = used
    .slice(0, USED_SHOWN)
    .map(
      (u) =>
        `<code>${escapeHtml(u.action)}</code> <span class="seen" title="${escapeHtml(`${count(u.count)} successful call(s), last ${u.lastSeen}`)}">${escapeHtml(u.lastSeen.slice(0, 10) || 'unknown')}</span>`,
    );
  const more = andMore(
    used.map((u) => u.action),
    USED_SHOWN,
  );
  return `<p class="used-actions"><b>Used (${count(role.usedLastSeen.length)}, last call first)</b>: ${items.join(', ')}${escapeHtml(more)}</p>`;
}

/** A finding's concrete unused actions; for a wildcard rule the pattern and the unused actions behind it. */
function riskActionsHtml(role: DriftRole, finding: RiskFinding): string {
  const { patterns, actions } = riskActions(role, finding);
  if (patterns === null) return `Unused: ${codeList(actions, RISK_ACTIONS_SHOWN)}`;
  return `Granted as ${codeList(patterns, RISK_ACTIONS_SHOWN, 'pattern')}, ${escapeHtml(plural(finding.unusedCount, 'unused action'))}: ${codeList(actions, RISK_ACTIONS_SHOWN)}`;
}

/** Each risky unused permission: its rule, severity and category, the reason, and the actions. */
function risksHtml(role: DriftRole): string {
  const risky = role.risks.filter((r) => r.unusedCount > 0);
  if (risky.length === 0) return '';
  const items = risky.map(
    (f) =>
      `<li><span class="risk ${f.severity}">${escapeHtml(f.rule)}</span> ${escapeHtml(f.severity)}, ${escapeHtml(f.category.replace(/-/g, ' '))}: ` +
      `<span class="reason">${escapeHtml(f.reason)}.</span> ${riskActionsHtml(role, f)}</li>`,
  );
  return `<div class="risk-details"><b>Risky unused (${count(risky.length)})</b><ul>${items.join('')}</ul></div>`;
}

/** The role's granted/used counts over the latest runs, written out (the sparkline draws them). */
function trendHtml(role: DriftRole): string {
  const n = role.trend.granted.length;
  if (n < 2) return '';
  const from = Math.max(0, n - TREND_RUNS_SHOWN);
  const points: string[] = [];
  for (let i = from; i < n; i++) {
    const g = role.trend.granted[i] ?? null;
    const u = role.trend.used[i] ?? null;
    points.push(g === null ? 'absent' : `${count(g)} / ${count(u ?? 0)}`);
  }
  return `<p class="role-trend">Granted / used over ${n > TREND_RUNS_SHOWN ? `the last ${TREND_RUNS_SHOWN} of ${n}` : n} runs: ${escapeHtml(points.join(' → '))}</p>`;
}

function adviceHtml(role: DriftRole): string {
  const kind = `<p>${escapeHtml(role.kind.label)}: ${escapeHtml(role.kind.advice)}</p>`;
  if (role.retire === undefined) return `${kind}<p><code>${escapeHtml(role.minimize)}</code></p>`;
  const r = role.retire;
  return (
    `${kind}<p class="retire"><b>Retire it</b>: ${escapeHtml(r.check)}.` +
    `${r.instanceProfiles.length > 0 ? ` Instance profiles: ${escapeHtml(r.instanceProfiles.join(', '))}.` : ''}` +
    `${r.lambdaFunctions.length > 0 ? ` Lambda functions: ${escapeHtml(r.lambdaFunctions.join(', '))}.` : ''}</p><pre>${escapeHtml(r.commands.join('\n'))}</pre>`
  );
}

function detailRow(role: DriftRole): string {
  const unused = role.unusedActions.length === 0 ? '' : `<p class="unused-actions"><b>Unused</b>: ${codeList(role.unusedActions, UNUSED_SHOWN)}</p>`;
  return (
    `<tr class="role-detail"><td colspan="${COLUMNS.length + 1}"><div class="more">` +
    `${usedHtml(role)}${risksHtml(role)}${adviceHtml(role)}${unused}${trendHtml(role)}</div></td></tr>`
  );
}

/** The role's row (sortable by its data attributes) and, right after it, its detail row. */
export function roleRows(role: DriftRole, rank: number): string {
  const denied = role.deniedAttempts.reduce((s, d) => s + d.count, 0);
  const risky = role.risks.filter((r) => r.unusedCount > 0);
  const last = role.lastActivity?.at ?? '';
  const attrs = {
    rank,
    name: role.name,
    arn: role.arn,
    status: role.status,
    granted: role.granted,
    used: role.used,
    unused: role.unused,
    unusedpct: role.unusedPercent,
    unobservable: role.unobservable,
    risk: role.riskScore,
    denied,
    last,
  };
  const data = Object.entries(attrs)
    .map(([k, v]) => `data-${k}="${escapeHtml(String(v))}"`)
    .join(' ');
  // The cell stays a few lines high (an admin role matches most rules): the detail row lists them all.
  const tags = risky.slice(0, RISK_TAGS_SHOWN).map((f) => `<span class="risk ${f.severity}" title="${escapeHtml(f.reason)}">${escapeHtml(f.rule)}</span>`);
  if (risky.length > RISK_TAGS_SHOWN) tags.push(`<span class="more-risks">+${count(risky.length - RISK_TAGS_SHOWN)} more</span>`);
  const riskCell = risky.length === 0 ? '—' : tags.join(' ');
  return (
    `<tr class="role" ${data}><td>${rank}</td>` +
    `<td class="name"><details><summary title="${escapeHtml(role.arn)}">${escapeHtml(role.name)}</summary></details></td>` +
    `<td>${role.status === 'active' ? 'active' : '<span class="idle">no activity</span>'}</td>` +
    `<td>${count(role.granted)}</td><td>${count(role.used)}</td><td>${count(role.unused)}</td><td>${role.unusedPercent}%</td>` +
    `<td>${count(role.unobservable)}</td><td>${riskCell}</td><td>${count(denied)}</td>` +
    `<td>${escapeHtml(last.slice(0, 10) || 'never')}${role.lastActivity?.source === 'iam-role-last-used' ? ' (IAM)' : ''}</td>` +
    `<td>${sparkline(role)}</td></tr>\n${detailRow(role)}`
  );
}
