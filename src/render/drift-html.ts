/**
 * `report.html`: one self-contained file (no external URL; a Content-Security-Policy forbids any
 * fetch): summary cards, the sortable role table, and the granted-vs-used trend drawn as inline
 * SVG on the server side, so the chart shows even with scripts off. The small script only sorts:
 * by clicking a header, or on load from the URL hash (`#sort=unused`, `#sort=name:asc`).
 */
import { REGRESSION_CAUSES } from '../drift/regressions.js';
import type { ChangeActionCounts, DriftReport } from '../drift/report.js';
import type { AntiPattern, ServerlessDriftSection } from '../drift/lambda-drift.js';
import { escapeHtml, trendChart } from './drift-html-chart.js';
import { COLGROUP, COLUMNS, roleRows } from './drift-html-role.js';
import { count, plural } from './format.js';
import { compareText } from '../util/compare-text.js';

function antiPatternsHtml(list: readonly AntiPattern[]): string {
  if (list.length === 0) return '';
  const items = list.map(
    (a) =>
      `<li><b>${escapeHtml(a.kind)}</b> (${escapeHtml(a.severity)}) in ${escapeHtml(a.where)}: <code>${escapeHtml(a.detail)}</code>. ${escapeHtml(a.reason)}.</li>`,
  );
  return `<ul class="anti-patterns">${items.join('')}</ul>`;
}

/** Roles grouped by the Lambda functions that run as them, and the seed-era anti-patterns. */
export function serverlessHtml(section: ServerlessDriftSection | undefined): string {
  if (section === undefined || (section.groups.length === 0 && section.otherRoles.length === 0)) return '';
  const parts: string[] = [];
  if (section.functionsSource !== null) {
    parts.push(`<h2>Lambda functions by execution role</h2><p class="meta">Function data: ${escapeHtml(section.functionsSource)}</p>`);
    parts.push('<div id="functions">');
    for (const g of section.groups) {
      const shared = g.functions.length > 1 ? ` — shared by ${g.functions.length} functions: minimizing the role affects all of them` : '';
      parts.push(
        `<div class="function-group" data-role="${escapeHtml(g.role)}"><h3>${escapeHtml(g.functions.join(', '))} → role <code>${escapeHtml(g.role)}</code>${escapeHtml(shared)}</h3>` +
          `<p>${count(g.used)} of ${count(g.granted)} granted actions used (${g.unusedPercent}% unused).</p>${antiPatternsHtml(g.antiPatterns)}</div>`,
      );
    }
    parts.push('</div>');
  }
  if (section.otherRoles.length > 0) {
    parts.push(`<h2>${section.functionsSource !== null ? 'Anti-patterns in other roles' : 'Anti-patterns'}</h2>`);
    for (const r of section.otherRoles) parts.push(`<h3><code>${escapeHtml(r.role)}</code></h3>${antiPatternsHtml(r.antiPatterns)}`);
  }
  return parts.join('\n');
}

/*
 * Layout for organization scale (500 roles over 20 accounts, 1,280 px): the role table has a fixed
 * layout with bounded columns, long names and ARNs wrap anywhere, risk tags never wrap inside
 * (a tag too long for its cell is cut with an ellipsis; the role's detail row spells it out).
 * A role's detail row spans the table and shows while the details of its name are open (`:has`,
 * and the script's toggle listener where `:has` is missing).
 */
const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733;background:#f7f8fa;overflow-wrap:anywhere}
h1{font-size:22px;margin:0 0 4px}.alert{border:2px solid #b42318;background:#fef3f2;color:#7a271a;padding:10px 12px;margin:12px 0;border-radius:6px}h2{font-size:17px;margin:28px 0 8px}.meta{color:#5b6673;font-size:12px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.card{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:12px 16px;min-width:130px}
.card b{display:block;font-size:24px}.card.alert b{color:#b42318}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border-bottom:1px solid #e6e9ee;padding:5px 8px;text-align:right;vertical-align:top}
table#roles{table-layout:fixed}#roles th{white-space:normal;overflow-wrap:normal}#roles td{overflow:hidden}
#roles th:nth-child(2),#roles td:nth-child(2),#roles th:nth-child(3),#roles td:nth-child(3),table.plain th,table.plain td,tr.account-head th{text-align:left}
th{cursor:pointer;background:#eef1f5;user-select:none}table.plain th{cursor:default}
tr.account-head th{background:#dde6f0;cursor:default;font-weight:600}tr.account-head a{color:inherit}
th[aria-sort=descending]::after{content:" \\25BC"}th[aria-sort=ascending]::after{content:" \\25B2"}
.risk{display:inline-block;max-width:100%;overflow:hidden;text-overflow:ellipsis;vertical-align:bottom;white-space:nowrap;overflow-wrap:normal;border-radius:4px;padding:0 5px;margin:1px;font-size:12px;background:#fff4e5;box-sizing:border-box}.risk.high{background:#fde2e1;color:#912018}
.idle{color:#b54708}summary{cursor:pointer}.more{text-align:left;font-size:12px}.more pre{white-space:pre-wrap;word-break:break-all}code{font-size:12px;word-break:break-all}
svg .line{fill:none;stroke-width:2}svg .granted{stroke:#b42318;fill:#b42318}svg .used{stroke:#027a48;fill:#027a48}svg polyline.line{fill:none}
svg .axis{stroke:#98a2b3}svg .grid{stroke:#e6e9ee}svg .tick{font-size:11px;fill:#5b6673}svg text.value{font-size:12px;stroke:none}.legend span{margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
svg.trend{max-width:100%;height:auto}
.account-trends{display:flex;flex-wrap:wrap;gap:6px}.account-trends figure{margin:0;background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:4px 6px}.account-trends figcaption{font-size:12px}
#roles tr.role-detail{display:none}#roles tr.role-detail.open,#roles tr.role:has(details[open])+tr.role-detail{display:table-row}#roles tr[hidden]{display:none!important}
#roles tr.role-detail td{text-align:left;background:#fbfcfd}.more p{margin:4px 0}.more ul{margin:2px 0 6px;padding-left:18px}.seen,.more-risks{color:#5b6673}.more-risks{font-size:12px;white-space:nowrap}
ul.changes li{margin:2px 0}`;

const SCRIPT = `
(function(){
  var table=document.getElementById('roles');if(!table)return;
  var numeric={};Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){if(th.dataset.key)numeric[th.dataset.key]=th.dataset.numeric==='1';});
  function sortBy(key,dir){
    if(!(key in numeric))return;
    Array.prototype.forEach.call(table.tBodies,function(body){
    var rows=Array.prototype.slice.call(body.querySelectorAll('tr.role'));
    rows.sort(function(a,b){var x=a.dataset[key]||'',y=b.dataset[key]||'';
      var c=numeric[key]?(Number(x)-Number(y)):(x<y?-1:x>y?1:0);
      if(c===0)c=(a.dataset.name<b.dataset.name?-1:1)*(dir==='asc'?1:-1);
      return dir==='asc'?c:-c;});
    rows.forEach(function(r){var d=r.nextElementSibling;body.appendChild(r);if(d&&d.classList.contains('role-detail'))body.appendChild(d);});});
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){th.removeAttribute('aria-sort');if(th.dataset.key===key)th.setAttribute('aria-sort',dir==='asc'?'ascending':'descending');});
    table.setAttribute('data-sorted',key+':'+dir);
  }
  var input=document.getElementById('role-filter');
  function filterBy(q){q=q.toLowerCase();var shown=0;
    Array.prototype.forEach.call(table.querySelectorAll('tr.role'),function(r){var hit=q===''||(r.dataset.arn||'').toLowerCase().indexOf(q)>=0;r.hidden=!hit;if(hit)shown++;
      var d=r.nextElementSibling;if(d&&d.classList.contains('role-detail'))d.hidden=!hit;});
    Array.prototype.forEach.call(table.tBodies,function(b){b.hidden=b.querySelector('tr.role:not([hidden])')===null;});
    table.setAttribute('data-shown',String(shown));}
  if(input)input.addEventListener('input',function(){filterBy(input.value);});
  function fromHash(){var f=/filter=([^&]*)/.exec(location.hash);if(f){var q=decodeURIComponent(f[1]);if(input)input.value=q;filterBy(q);}
    var m=/sort=([a-z]+)(?::(asc|desc))?/.exec(location.hash);if(!m)return;
    sortBy(m[1],m[2]||(numeric[m[1]]?'desc':'asc'));}
  table.tHead.addEventListener('click',function(e){var th=e.target.closest('th');if(!th||!th.dataset.key)return;
    var cur=table.getAttribute('data-sorted')||'';var dir=cur===th.dataset.key+':desc'?'asc':cur===th.dataset.key+':asc'?'desc':(numeric[th.dataset.key]?'desc':'asc');
    history.replaceState(null,'','#sort='+th.dataset.key+':'+dir);sortBy(th.dataset.key,dir);});
  table.addEventListener('toggle',function(e){var t=e.target;if(!t||t.tagName!=='DETAILS')return;var tr=t.closest('tr');var d=tr&&tr.nextElementSibling;
    if(d&&d.classList.contains('role-detail'))d.classList.toggle('open',t.open);},true);
  window.addEventListener('hashchange',fromHash);fromHash();
})();`;

/** With several accounts: each account's granted and used trend (report.json `accounts[].trend`), small multiples on the same log axis kind. */
function accountTrendsHtml(report: DriftReport): string {
  if (report.accounts.length <= 1) return '';
  const figures = report.accounts.map((a) => {
    const chart = trendChart(
      report.trend.runs,
      [
        { label: 'granted', cls: 'granted', values: a.trend.granted },
        { label: 'used', cls: 'used', values: a.trend.used },
      ],
      { width: 232, height: 104, compact: true },
    );
    return `<figure data-account="${escapeHtml(a.account)}"><figcaption>${escapeHtml(a.account || 'unknown')}: ${count(a.granted)} granted, ${count(a.used)} used</figcaption>${chart}</figure>`;
  });
  return `<h3>By account (log scale)</h3><div id="account-trends" class="account-trends">${figures.join('')}</div>`;
}

function card(label: string, value: string, alert = false): string {
  return `<div class="card${alert ? ' alert' : ''}"><b>${escapeHtml(value)}</b>${escapeHtml(label)}</div>`;
}

/** A role's changes in concrete actions (report.json `changes.roles[].actionCounts`), never in `service:*` entries. */
function changeCounts(n: ChangeActionCounts): string {
  return `+${count(n.newGrants)} / −${count(n.removedGrants)} granted actions, ${plural(n.newlyUsed, 'newly used action')}, ${plural(n.newlyUnused, 'newly unused action')}`;
}

function changesHtml(report: DriftReport): string {
  const c = report.changes;
  if (c === null) {
    return `<p>${report.history.store === null ? 'History is off: no comparison.' : 'First run in this history: it is the baseline for the next one.'}</p>`;
  }
  const items = (label: string, values: readonly string[]): string =>
    `<li>${escapeHtml(label)}: ${values.length === 0 ? '—' : escapeHtml(values.slice(0, 30).join(', ')) + (values.length > 30 ? ` … ${values.length - 30} more` : '')}</li>`;
  const roles = c.roles
    .slice(0, 100)
    .map(
      (r) =>
        `<li><b>${escapeHtml(r.name)}</b>: ${changeCounts(r.actionCounts)}${r.newRisks.length > 0 ? `, new risks ${escapeHtml(r.newRisks.join(', '))}` : ''}</li>`,
    )
    .join('');
  return `<p>Compared with the run of ${escapeHtml(c.previousRun)}.</p><ul class="changes" id="changes">${items('Roles added', c.rolesAdded)}${items('Roles removed', c.rolesRemoved)}${items('New risky grants', c.newRisks)}${roles}</ul>`;
}

function regressionsHtml(report: DriftReport): string {
  const list = report.regressions;
  if (list.length === 0) return '<section id="regressions"><h2>Regressions</h2><p>None: no call that worked is now ungranted or denied.</p></section>';
  const rows = list
    .slice(0, 500)
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.role)}</td><td><code>${escapeHtml(r.action)}</code></td><td><code>${escapeHtml(r.resource ?? '(not recorded)')}</code></td>` +
        `<td>${escapeHtml(r.lastSuccess ?? '—')}</td><td>${escapeHtml(r.firstDenial ?? 'none yet')}</td><td>${escapeHtml(REGRESSION_CAUSES[r.cause])}</td></tr>`,
    )
    .join('');
  return (
    `<section id="regressions" class="alert" role="alert"><h2>Regressions: ${escapeHtml(plural(list.length, 'call'))} that worked and will fail</h2>` +
    '<p>Each was used successfully (in this window or the previous run) and is no longer granted, or was denied after working.</p>' +
    `<table class="plain"><thead><tr><th>role</th><th>action</th><th>resource</th><th>last success</th><th>first denial</th><th>why</th></tr></thead><tbody>${rows}</tbody></table>` +
    `${list.length > 500 ? `<p>${count(list.length - 500)} more in report.json.</p>` : ''}</section>`
  );
}

function accountId(account: string): string {
  return `account-${account === '' ? 'unknown' : account}`;
}

/**
 * With several accounts, or accounts asked for and not evaluated: one row per account with its
 * totals (linking to its group of roles), and each account not evaluated with its reason.
 */
function accountsHtml(report: DriftReport): string {
  const missing = report.accountsNotEvaluated ?? [];
  if (report.accounts.length <= 1 && missing.length === 0) return '';
  const several = report.accounts.length > 1;
  const rows = [
    ...report.accounts.map((a) => ({
      account: a.account,
      row:
        `<tr data-account="${escapeHtml(a.account)}"><td>${several ? `<a href="#${accountId(a.account)}">${escapeHtml(a.account || 'unknown')}</a>` : escapeHtml(a.account || 'unknown')}</td><td>yes</td>` +
        `<td>${a.logs === null ? 'not said' : a.logs ? 'yes' : '<b class="idle">none</b>'}</td>` +
        `<td>${count(a.roles)}</td><td>${count(a.active)}</td><td>${count(a.noActivity)}</td><td>${count(a.granted)}</td><td>${count(a.used)}</td>` +
        `<td>${count(a.unused)} (${a.unusedPercent}%)</td><td>${count(a.rolesWithRiskyUnused)}</td></tr>`,
    })),
    ...missing.map((m) => ({
      account: m.account,
      row: `<tr class="not-evaluated" data-account="${escapeHtml(m.account)}"><td>${escapeHtml(m.account)}</td><td colspan="9"><b class="idle">not evaluated</b>: ${escapeHtml(m.reason)}</td></tr>`,
    })),
  ].sort((x, y) => compareText(x.account, y.account));
  const title = `${plural(report.accounts.length, 'account')} evaluated${missing.length > 0 ? `, ${count(missing.length)} not evaluated` : ''}`;
  return (
    `<h3>${escapeHtml(title)}</h3><table id="accounts" class="plain"><thead><tr><th>account</th><th>evaluated</th><th>logs</th><th>roles</th><th>active</th><th>no activity</th><th>granted</th><th>used</th><th>unused</th><th>roles with risky unused</th></tr></thead>` +
    `<tbody>${rows.map((r) => r.row).join('')}</tbody></table>${several ? '<h3>Roles by account</h3>' : ''}`
  );
}

/**
 * The role rows: one body for one account; with several, one body per account (in account order)
 * headed by the account and its totals. Sorting reorders rows within each account.
 */
function roleBodies(report: DriftReport): string {
  const ranked = report.roles.map((r, i) => ({ role: r, rank: i + 1 }));
  if (report.accounts.length <= 1) return `<tbody>\n${ranked.map((r) => roleRows(r.role, r.rank)).join('\n')}\n</tbody>`;
  return report.accounts
    .map((a) => {
      const mine = ranked.filter((r) => r.role.account === a.account);
      const head =
        `<tr class="account-head"><th colspan="${COLUMNS.length + 1}">Account ${escapeHtml(a.account || 'unknown')} · ${escapeHtml(plural(a.roles - a.serviceLinked, 'editable role'))}, ` +
        `${count(a.active)} active · ${count(a.granted)} granted, ${count(a.used)} used, ${count(a.unused)} unused (${a.unusedPercent}%) · ${escapeHtml(plural(a.rolesWithRiskyUnused, 'role'))} with risky unused</th></tr>`;
      return `<tbody id="${accountId(a.account)}" data-account="${escapeHtml(a.account)}">${head}\n${mine.map((r) => roleRows(r.role, r.rank)).join('\n')}\n</tbody>`;
    })
    .join('\n');
}

export function renderDriftHtml(report: DriftReport): string {
  const s = report.summary;
  const header = COLUMNS.map((c) => `<th data-key="${c.key}" data-numeric="${c.numeric ? 1 : 0}">${escapeHtml(c.label)}</th>`).join('') + '<th>trend</th>';
  const bodies = roleBodies(report);
  const linked = report.serviceLinked
    .map(
      (r) =>
        `<li>${escapeHtml(report.accounts.length > 1 ? `${r.account || 'unknown'}/${r.name}` : r.name)}: ${count(r.granted)} granted, ${count(r.used)} used</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>IAM drift report ${escapeHtml(report.generatedAt)}</title><style>${STYLE}</style></head>
<body>
<h1>IAM least-privilege drift</h1>
<div class="meta">${escapeHtml(report.window.start)} to ${escapeHtml(report.window.end)} · ${escapeHtml(report.evidence.source)} (${escapeHtml(plural(report.evidence.events, 'event'))}) · ${escapeHtml(report.iam.source)} · generated ${escapeHtml(report.generatedAt)} · iamtrim ${escapeHtml(report.tool.version)}</div>
${(report.alerts ?? []).map((a) => `<div class="alert" role="alert" id="alert-${escapeHtml(a.code)}"><strong>Warning:</strong> ${escapeHtml(a.message)}</div>`).join('\n')}
${regressionsHtml(report)}
<div class="cards" id="cards">
${card('editable roles', count(s.roles - s.serviceLinked))}${card('unused roles', count(s.noActivity), s.noActivity > 0)}${card('granted actions', count(s.granted))}${card('used', count(s.used))}${card(`unused (${s.unusedPercent}%)`, count(s.unused), s.unused > 0)}${card('roles with risky unused', count(s.rolesWithRiskyUnused), s.rolesWithRiskyUnused > 0)}${card('new risky grants', String(report.changes?.newRisks.length ?? '—'), (report.changes?.newRisks.length ?? 0) > 0)}${card('denied attempts', count(s.deniedAttempts))}
</div>
<h2>Granted vs. used over ${plural(report.trend.runs.length, 'run')}</h2>
<div class="legend"><span><i class="sw" style="background:#b42318"></i>granted</span><span><i class="sw" style="background:#027a48"></i>used</span></div>
${trendChart(
  report.trend.runs,
  [
    { label: 'granted', cls: 'granted', values: report.trend.granted },
    { label: 'used', cls: 'used', values: report.trend.used },
  ],
  { id: 'trend-chart' },
)}
${accountTrendsHtml(report)}
<h2 id="changes-section">Changes since the previous run</h2>
${changesHtml(report)}
<h2>Roles (click a header to sort, a name for its used actions, risks and advice)</h2>
<p><label>Filter roles by name, path or account: <input id="role-filter" type="search" placeholder="part of the role ARN"></label></p>
${accountsHtml(report)}<table id="roles">${COLGROUP}<thead><tr>${header}</tr></thead>
${bodies}
</table>
<h2>Service-linked roles (cannot be edited)</h2>
<ul id="service-linked">${linked || '<li>None.</li>'}</ul>
${serverlessHtml(report.serverless)}
<p class="meta">IAM data ${escapeHtml(report.data.iamData)} · risk table ${escapeHtml(report.data.riskTable)} · ${escapeHtml(plural(report.history.runs, 'run'))} in history · unobservable permissions are never counted as unused.</p>
<script>${SCRIPT}</script>
</body></html>
`;
}
