import { describe, expect, it } from 'vitest';
import { median, splitBySize } from '../src/bench/measure.js';
import { BENCH_END, BENCH_START, boundRatio, renderBenchSection, replaceBenchSection, runRatios, type BenchRow } from '../src/bench/report.js';

const measured = (seconds: number) => ({ seconds, peakRssBytes: 300 * 2 ** 20, exitCode: 0 });
const row: BenchRow = {
  events: 1_000_000,
  files: 10,
  compressedBytes: 100e6,
  inflatedBytes: 1300e6,
  medianFileBytes: 300e3,
  maxFileBytes: 1.2e6,
  generateSeconds: null,
  gzipOneSeconds: 12,
  gzipAllSeconds: 6,
  usage: measured(10),
  usageRole: measured(8),
  usageReference: null,
  minimize: measured(12),
  indexBuild: null,
  indexNoop: null,
  indexedMinimize: null,
  indexedUsage: null,
  loads: ['usage 1.00 1.00 1.00'],
};

describe('bench report', () => {
  it('relates the cold scan to the all-cores decompression bound', () => {
    expect(boundRatio(10, 6)).toBeCloseTo(0.6);
    expect(boundRatio(3, 6)).toBeCloseTo(2);
  });

  it('splits files into groups of about equal compressed size, every file once', () => {
    const files = [5, 1, 4, 2, 3, 3].map((size, i) => ({ path: `f${i}`, size }));
    const groups = splitBySize(files, 2);
    expect(groups.flat().sort()).toEqual(files.map((f) => f.path).sort());
    const sums = groups.map((g) => g.reduce((s, p) => s + (files.find((f) => f.path === p)?.size ?? 0), 0));
    expect(Math.abs((sums[0] ?? 0) - (sums[1] ?? 0))).toBeLessThanOrEqual(1);
  });

  it('replaces only the generated section of the document', () => {
    const section = renderBenchSection([row], 'test machine', 2);
    expect(section).toContain('0.60 / 0.75 / 0.50');
    const doc = `# Performance\n\nintro\n\n${BENCH_START}\nold\n${BENCH_END}\n\n## Analysis\nkept\n`;
    const next = replaceBenchSection(doc, section);
    expect(next).toContain('intro');
    expect(next).toContain('## Analysis\nkept');
    expect(next).not.toContain('\nold\n');
    expect(replaceBenchSection(next, section)).toBe(next);
  });

  it('takes each run against the bound measured just before it and reports the median of three', () => {
    // bound 3 s then scan 4 s: 0.75; 3/5 = 0.6; 2.8/3.5 = 0.8 -> median 0.75
    const ratios = runRatios([3, 3, 2.8], [4, 5, 3.5]);
    expect(ratios.runs.map((r) => r.toFixed(2))).toEqual(['0.75', '0.60', '0.80']);
    expect(ratios.median).toBeCloseTo(0.75);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('reports repeated runs, the libdeflate bound and the installed tarball against the checkout', () => {
    const repeated: BenchRow = {
      ...row,
      gzipAllRuns: [3, 3, 2.8],
      libdeflateAllRuns: [2, 2.5, 2],
      usageRuns: [4, 5, 3.5],
      usageTarballRuns: [measured(4.4), measured(5), measured(4)],
    };
    const section = renderBenchSection([repeated], 'test machine', 2);
    const line = section.split('\n').find((l) => l.startsWith('| 1,000,000 | 3.00, 3.00, 2.80'));
    expect(line).toBeDefined();
    // libdeflate: 2/4 = 0.50, 2.5/5 = 0.50, 2/3.5 = 0.57 -> 0.50; tarball: checkout median 4 / tarball median 4.4 = 0.91
    expect(line).toContain('**0.75** (0.75, 0.60, 0.80)');
    expect(line).toContain('**0.50** (0.50, 0.50, 0.57)');
    expect(line).toMatch(/4\.40, 5\.00, 4\.00 \| 0\.91 \|$/);
    // A row from an older results.json (no runs) gets no line in that table.
    expect(renderBenchSection([row], 'test machine', 2)).not.toContain('Repeated runs');
  });
});
