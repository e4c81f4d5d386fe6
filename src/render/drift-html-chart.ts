/**
 * The granted-vs-used charts of report.html, drawn as inline SVG on the server side (they show with
 * scripts off). Every chart uses one logarithmic y axis, ticks 0, 1, 10, 100, … evenly spaced (zero
 * sits one decade below 1): granted counts run to tens of thousands while used ones are often in
 * the tens or ones, and on a linear axis the used line lay flat on zero. Each line carries its
 * values (`data-values`) so a test reads what is drawn.
 */
import type { DriftRole } from '../drift/report.js';
import { count } from './format.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Series {
  label: string;
  cls: string;
  values: readonly (number | null)[];
}

export interface ChartOptions {
  /** The element id (`trend-chart` for the report-wide chart). */
  id?: string;
  width?: number;
  height?: number;
  /** Small multiples: shorter padding, latest values without their label. */
  compact?: boolean;
}

/** The top of the axis as a power of ten: the smallest that holds the largest value, at least 10. */
function decades(values: readonly (number | null)[]): number {
  const all = values.filter((v): v is number => v !== null);
  return Math.max(1, Math.ceil(Math.log10(Math.max(1, ...all))));
}

/** Height fraction of a count on the axis up to 10^top: 0 at the axis, 1 one step up, 10^top at the top. */
function logFraction(value: number, top: number): number {
  return value < 1 ? 0 : (1 + Math.log10(value)) / (top + 1);
}

/** `100000` -> `100k`, `2000000` -> `2M`: tick labels of the small charts. */
function shortCount(v: number): string {
  return v >= 1_000_000 ? `${v / 1_000_000}M` : v >= 1000 ? `${v / 1000}k` : String(v);
}

function valuesAttr(values: readonly (number | null)[]): string {
  return values.map((v) => (v === null ? '' : String(v))).join(',');
}

/** A line chart of the series over the run times, with axis labels and each line's latest value written out. */
export function trendChart(runs: readonly string[], series: readonly Series[], options: ChartOptions = {}): string {
  const { width = 720, height = 240, compact = false } = options;
  const pad = compact ? { left: 44, right: 60, top: 10, bottom: 24 } : { left: 64, right: 120, top: 16, bottom: 36 };
  const top = decades(series.flatMap((s) => s.values));
  const x = (i: number): number =>
    runs.length <= 1 ? pad.left + (width - pad.left - pad.right) / 2 : pad.left + (i * (width - pad.left - pad.right)) / (runs.length - 1);
  const y = (v: number): number => pad.top + (height - pad.top - pad.bottom) * (1 - logFraction(v, top));
  const idAttr = options.id === undefined ? '' : ` id="${escapeHtml(options.id)}"`;
  const parts: string[] = [
    `<svg${idAttr} class="trend" role="img" aria-label="granted vs used actions over ${runs.length} run(s), logarithmic scale" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<line class="axis" x1="${pad.left}" y1="${y(0)}" x2="${width - pad.right}" y2="${y(0)}"/>`,
    `<line class="axis" x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${y(0)}"/>`,
  ];
  if (!compact) {
    parts.push(
      `<text class="tick" x="12" y="${(pad.top + y(0)) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(pad.top + y(0)) / 2})">actions (log scale)</text>`,
    );
  }
  for (let p = -1; p <= top; p++) {
    // Small multiples label zero and every other decade down from the top one past three, in short form.
    if (compact && top > 3 && p >= 0 && (top - p) % 2 === 1) continue;
    const v = p < 0 ? 0 : 10 ** p;
    parts.push(`<text class="tick" x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${compact ? shortCount(v) : count(v)}</text>`);
    if (p >= 0) parts.push(`<line class="grid" x1="${pad.left}" y1="${y(v).toFixed(1)}" x2="${width - pad.right}" y2="${y(v).toFixed(1)}"/>`);
  }
  const labelEvery = Math.max(1, Math.ceil(runs.length / (compact ? 2 : 6)));
  runs.forEach((at, i) => {
    if (i % labelEvery === 0 || i === runs.length - 1) {
      const anchor = runs.length > 1 && i === runs.length - 1 ? 'end' : runs.length > 1 && i === 0 ? 'start' : 'middle';
      parts.push(`<text class="tick" x="${x(i).toFixed(1)}" y="${height - (compact ? 8 : 12)}" text-anchor="${anchor}">${escapeHtml(at.slice(0, 10))}</text>`);
    }
  });
  for (const s of series) {
    const points = s.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p): p is string => p !== null);
    parts.push(`<polyline class="line ${s.cls}" data-series="${escapeHtml(s.label)}" data-values="${valuesAttr(s.values)}" points="${points.join(' ')}"/>`);
    for (const p of points) {
      const [px, py] = p.split(',');
      parts.push(`<circle class="dot ${s.cls}" cx="${px ?? 0}" cy="${py ?? 0}" r="${compact ? 2.5 : 3}"/>`);
    }
    const lastIndex = s.values.reduce<number>((last, v, i) => (v === null ? last : i), -1);
    const last = s.values[lastIndex];
    if (last !== undefined && last !== null) {
      const text = compact ? count(last) : `${count(last)} ${s.label}`;
      parts.push(`<text class="value ${s.cls}" x="${(x(lastIndex) + 6).toFixed(1)}" y="${(y(last) + 4).toFixed(1)}">${escapeHtml(text)}</text>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A role's granted and used trend in a table cell: the same log axis, no labels; the values are its title. */
export function sparkline(role: DriftRole): string {
  const n = role.trend.granted.length;
  const w = 90;
  const h = 22;
  const top = decades([...role.trend.granted, ...role.trend.used]);
  const line = (values: readonly (number | null)[], cls: string): string => {
    const pts = values
      .map((v, i) => (v === null ? null : `${(n <= 1 ? w / 2 : (i * (w - 4)) / (n - 1) + 2).toFixed(1)},${(h - 1 - (h - 2) * logFraction(v, top)).toFixed(1)}`))
      .filter((p): p is string => p !== null);
    const [cx, cy] = (pts[0] ?? '0,0').split(',');
    return pts.length === 1
      ? `<circle class="${cls}" data-values="${valuesAttr(values)}" cx="${cx ?? 0}" cy="${cy ?? 0}" r="2"/>`
      : `<polyline class="line ${cls}" data-values="${valuesAttr(values)}" points="${pts.join(' ')}"/>`;
  };
  const latest = (values: readonly (number | null)[]): string => count([...values].reverse().find((v) => v !== null) ?? 0);
  const title = `granted ${latest(role.trend.granted)}, used ${latest(role.trend.used)} (latest of ${n} run${n === 1 ? '' : 's'}; log scale)`;
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${line(role.trend.granted, 'granted')}${line(role.trend.used, 'used')}</svg>`;
}
