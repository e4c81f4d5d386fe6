/**
 * `report.html`: one self-contained file (no external URL; a Content-Security-Policy forbids any
 * fetch): summary cards, the sortable role table, and the granted-vs-used trend drawn as inline
 * SVG on the server side, so the chart shows even with scripts off. The small script only sorts:
 * by clicking a header, or on load from the URL hash (`#sort=unused`, `#sort=name:asc`).
 */
import { REGRESSION_CAUSES } from '../drift/regressions.js';
import type { DriftReport, DriftRole } from '../drift/report.js';
import type { AntiPattern, ServerlessDriftSection } from '../drift/lambda-drift.js';
import { count, plural } from './format.js';

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

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Series {
  label: string;
  cls: string;
  values: (number | null)[];
}

/**
 * A line chart of the series over the run times, with axis labels. The y axis is logarithmic
 * (log10 of 1 + value, labelled at powers of ten): granted counts run to tens of thousands while
 * used ones are often in the tens, and on a linear axis the used line would lie flat on zero.
 * Each line ends with its latest value written out.
 */
export function trendChart(runs: readonly string[], series: readonly Series[], width = 720, height = 240): string {
  const pad = { left: 64, right: 120, top: 16, bottom: 36 };
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = Math.max(1, Math.ceil(Math.log10(1 + Math.max(1, ...all))));
  const x = (i: number): number =>
    runs.length <= 1 ? pad.left + (width - pad.left - pad.right) / 2 : pad.left + (i * (width - pad.left - pad.right)) / (runs.length - 1);
  const y = (v: number): number => pad.top + (height - pad.top - pad.bottom) * (1 - Math.log10(1 + Math.max(0, v)) / top);
  const parts: string[] = [
    `<svg id="trend-chart" role="img" aria-label="granted vs used actions over ${runs.length} run(s), logarithmic scale" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<line class="axis" x1="${pad.left}" y1="${y(0)}" x2="${width - pad.right}" y2="${y(0)}"/>`,
    `<line class="axis" x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${y(0)}"/>`,
    `<text class="tick" x="12" y="${(pad.top + y(0)) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(pad.top + y(0)) / 2})">actions (log scale)</text>`,
  ];
  for (let p = 0; p <= top; p++) {
    const v = p === 0 ? 0 : 10 ** p;
    parts.push(`<text class="tick" x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${count(v)}</text>`);
    if (p > 0) parts.push(`<line class="grid" x1="${pad.left}" y1="${y(v).toFixed(1)}" x2="${width - pad.right}" y2="${y(v).toFixed(1)}"/>`);
  }
  const labelEvery = Math.max(1, Math.ceil(runs.length / 6));
  runs.forEach((at, i) => {
    if (i % labelEvery === 0 || i === runs.length - 1) {
      parts.push(`<text class="tick" x="${x(i).toFixed(1)}" y="${height - 12}" text-anchor="${runs.length > 1 && i === runs.length - 1 ? 'end' : runs.length > 1 && i === 0 ? 'start' : 'middle'}">${escapeHtml(at.slice(0, 10))}</text>`);
    }
  });
  for (const s of series) {
    const points = s.values
      .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    parts.push(`<polyline class="line ${s.cls}" data-series="${escapeHtml(s.label)}" points="${points.join(' ')}"/>`);
    for (const p of points) {
      const [px, py] = p.split(',');
      parts.push(`<circle class="dot ${s.cls}" cx="${px ?? 0}" cy="${py ?? 0}" r="3"/>`);
    }
    const lastIndex = s.values.reduce<number>((last, v, i) => (v === null ? last : i), -1);
    const last = s.values[lastIndex];
    if (last !== undefined && last !== null) {
      parts.push(`<text class="value ${s.cls}" x="${(x(lastIndex) + 8).toFixed(1)}" y="${(y(last) + 4).toFixed(1)}">${escapeHtml(`${count(last)} ${s.label}`)}</text>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

function sparkline(role: DriftRole): string {
  const n = role.trend.granted.length;
  const w = 90;
  const h = 22;
  const max = Math.max(1, ...role.trend.granted.map((v) => v ?? 0));
  const line = (values: (number | null)[], cls: string): string => {
    const pts = values
      .map((v, i) => (v === null ? null : `${(n <= 1 ? w / 2 : (i * (w - 4)) / (n - 1) + 2).toFixed(1)},${(h - 2 - ((h - 4) * v) / max).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    return pts.length === 1 ? `<circle class="${cls}" cx="${pts[0]?.split(',')[0] ?? 0}" cy="${pts[0]?.split(',')[1] ?? 0}" r="2"/>` : `<polyline class="line ${cls}" points="${pts.join(' ')}"/>`;
  };
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" aria-label="trend">${line(role.trend.granted, 'granted')}${line(role.trend.used, 'used')}</svg>`;
}

const COLUMNS: { key: string; label: string; numeric: boolean }[] = [
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

function roleRow(role: DriftRole, rank: number): string {
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
  const riskCell =
    risky.length === 0
      ? '—'
      : risky
          .map((f) => `<span class="risk ${f.severity}" title="${escapeHtml(`${f.reason}: ${f.unused.slice(0, 10).join(', ')}`)}">${escapeHtml(f.rule)}</span>`)
          .join(' ');
  return (
    `<tr class="role" ${data}><td>${rank}</td>` +
    `<td class="name"><details><summary title="${escapeHtml(role.arn)}">${escapeHtml(role.name)}</summary><div class="more"><p>${escapeHtml(role.kind.label)}: ${escapeHtml(role.kind.advice)}</p>` +
    (role.retire !== undefined
      ? `<p class="retire"><b>Retire it</b>: ${escapeHtml(role.retire.check)}.${role.retire.instanceProfiles.length > 0 ? ` Instance profiles: ${escapeHtml(role.retire.instanceProfiles.join(', '))}.` : ''}${role.retire.lambdaFunctions.length > 0 ? ` Lambda functions: ${escapeHtml(role.retire.lambdaFunctions.join(', '))}.` : ''}</p><pre>${escapeHtml(role.retire.commands.join('\n'))}</pre>`
      : `<code>${escapeHtml(role.minimize)}</code>`) +
    `<p>unused: ${escapeHtml(role.unusedActions.slice(0, 40).join(', '))}${role.unusedActions.length > 40 ? ` … ${role.unusedActions.length - 40} more` : ''}</p></div></details></td>` +
    `<td>${role.status === 'active' ? 'active' : '<span class="idle">no activity</span>'}</td>` +
    `<td>${count(role.granted)}</td><td>${count(role.used)}</td><td>${count(role.unused)}</td><td>${role.unusedPercent}%</td>` +
    `<td>${count(role.unobservable)}</td><td>${riskCell}</td><td>${count(denied)}</td>` +
    `<td>${escapeHtml(last.slice(0, 10) || 'never')}${role.lastActivity?.source === 'iam-role-last-used' ? ' (IAM)' : ''}</td>` +
    `<td>${sparkline(role)}</td></tr>`
  );
}

/*
 * Layout for organization scale (500 roles over 20 accounts, 1,280 px): the role table has a fixed
 * layout with bounded columns, long names and ARNs wrap anywhere, risk tags never wrap inside
 * (a tag too long for its cell is cut with an ellipsis; its title says it all).
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
#trend-chart{max-width:100%;height:auto}
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
    rows.forEach(function(r){body.appendChild(r);});});
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){th.removeAttribute('aria-sort');if(th.dataset.key===key)th.setAttribute('aria-sort',dir==='asc'?'ascending':'descending');});
    table.setAttribute('data-sorted',key+':'+dir);
  }
  var input=document.getElementById('role-filter');
  function filterBy(q){q=q.toLowerCase();var shown=0;
    Array.prototype.forEach.call(table.querySelectorAll('tr.role'),function(r){var hit=q===''||(r.dataset.arn||'').toLowerCase().indexOf(q)>=0;r.hidden=!hit;if(hit)shown++;});
    Array.prototype.forEach.call(table.tBodies,function(b){b.hidden=b.querySelector('tr.role:not([hidden])')===null;});
    table.setAttribute('data-shown',String(shown));}
  if(input)input.addEventListener('input',function(){filterBy(input.value);});
  function fromHash(){var f=/filter=([^&]*)/.exec(location.hash);if(f){var q=decodeURIComponent(f[1]);if(input)input.value=q;filterBy(q);}
    var m=/sort=([a-z]+)(?::(asc|desc))?/.exec(location.hash);if(!m)return;
    sortBy(m[1],m[2]||(numeric[m[1]]?'desc':'asc'));}
  table.tHead.addEventListener('click',function(e){var th=e.target.closest('th');if(!th||!th.dataset.key)return;
    var cur=table.getAttribute('data-sorted')||'';var dir=cur===th.dataset.key+':desc'?'asc':cur===th.dataset.key+':asc'?'desc':(numeric[th.dataset.key]?'desc':'asc');
    history.replaceState(null,'','#sort='+th.dataset.key+':'+dir);sortBy(th.dataset.key,dir);});
  window.addEventListener('hashchange',fromHash);fromHash();
})();`;

function card(label: string, value: string, alert = false): string {
  return `<div class="card${alert ? ' alert' : ''}"><b>${escapeHtml(value)}</b>${escapeHtml(label)}</div>`;
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
        `<li><b>${escapeHtml(r.name)}</b>: +${r.newGrants.length} granted, −${r.removedGrants.length} granted, ${r.newlyUsed.length} newly used, ${r.newlyUnused.length} newly unused${r.newRisks.length > 0 ? `, new risks ${escapeHtml(r.newRisks.join(', '))}` : ''}</li>`,
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

/** Column widths of the role table (fixed layout): the role name takes what is left. */
const COLGROUP =
  '<colgroup><col style="width:44px"><col><col style="width:92px"><col style="width:72px"><col style="width:64px"><col style="width:72px">' +
  '<col style="width:72px"><col style="width:104px"><col style="width:190px"><col style="width:64px"><col style="width:100px"><col style="width:110px"></colgroup>';

function accountId(account: string): string {
  return `account-${account === '' ? 'unknown' : account}`;
}

/** With several accounts: one row per account with its totals, linking to its group of roles. */
function accountsHtml(report: DriftReport): string {
  if (report.accounts.length <= 1) return '';
  const rows = report.accounts
    .map(
      (a) =>
        `<tr><td><a href="#${accountId(a.account)}">${escapeHtml(a.account || 'unknown')}</a></td><td>${a.logs === null ? 'not said' : a.logs ? 'yes' : '<b class="idle">none</b>'}</td>` +
        `<td>${count(a.roles)}</td><td>${count(a.active)}</td><td>${count(a.noActivity)}</td><td>${count(a.granted)}</td><td>${count(a.used)}</td>` +
        `<td>${count(a.unused)} (${a.unusedPercent}%)</td><td>${count(a.rolesWithRiskyUnused)}</td></tr>`,
    )
    .join('');
  return (
    `<h3>${escapeHtml(plural(report.accounts.length, 'account'))}</h3><table id="accounts" class="plain"><thead><tr><th>account</th><th>logs</th><th>roles</th><th>active</th><th>no activity</th><th>granted</th><th>used</th><th>unused</th><th>roles with risky unused</th></tr></thead>` +
    `<tbody>${rows}</tbody></table><h3>Roles by account</h3>`
  );
}

/**
 * The role rows: one body for one account; with several, one body per account (in account order)
 * headed by the account and its totals. Sorting reorders rows within each account.
 */
function roleBodies(report: DriftReport): string {
  const ranked = report.roles.map((r, i) => ({ role: r, rank: i + 1 }));
  if (report.accounts.length <= 1) return `<tbody>\n${ranked.map((r) => roleRow(r.role, r.rank)).join('\n')}\n</tbody>`;
  return report.accounts
    .map((a) => {
      const mine = ranked.filter((r) => r.role.account === a.account);
      const head =
        `<tr class="account-head"><th colspan="${COLUMNS.length + 1}">Account ${escapeHtml(a.account || 'unknown')} · ${escapeHtml(plural(a.roles - a.serviceLinked, 'editable role'))}, ` +
        `${count(a.active)} active · ${count(a.granted)} granted, ${count(a.used)} used, ${count(a.unused)} unused (${a.unusedPercent}%) · ${escapeHtml(plural(a.rolesWithRiskyUnused, 'role'))} with risky unused</th></tr>`;
      return `<tbody id="${accountId(a.account)}" data-account="${escapeHtml(a.account)}">${head}\n${mine.map((r) => roleRow(r.role, r.rank)).join('\n')}\n</tbody>`;
    })
    .join('\n');
}

export function renderDriftHtml(report: DriftReport): string {
  const s = report.summary;
  const header = COLUMNS.map((c) => `<th data-key="${c.key}" data-numeric="${c.numeric ? 1 : 0}">${escapeHtml(c.label)}</th>`).join('') + '<th>trend</th>';
  const bodies = roleBodies(report);
  const linked = report.serviceLinked
    .map((r) => `<li>${escapeHtml(report.accounts.length > 1 ? `${r.account || 'unknown'}/${r.name}` : r.name)}: ${count(r.granted)} granted, ${count(r.used)} used</li>`)
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
${trendChart(report.trend.runs, [
  { label: 'granted', cls: 'granted', values: report.trend.granted },
  { label: 'used', cls: 'used', values: report.trend.used },
])}
<h2 id="changes-section">Changes since the previous run</h2>
${changesHtml(report)}
<h2>Roles (click a header to sort)</h2>
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
