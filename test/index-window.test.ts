/** `--index` answers whole UTC days: without --end the window ends at the start of today (UTC). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UsageReport } from '../src/model.js';
import { runCli } from './helpers/run-cli.js';

describe('usage --index window', () => {
  const index = join(mkdtempSync(join(tmpdir(), 'iamtrim-index-window-')), 'usage.duckdb');
  const now = '2026-10-21T15:30:00Z';

  it('defaults the end to 00:00:00Z today, and refuses a mid-day --end', async () => {
    const built = await runCli(['index', '--logs', join('fixtures', 's3-data-prefixes', 'logs'), '--index', index], { now });
    expect(built.code, built.err).toBe(0);

    const run = await runCli(['usage', '--all-roles', '--index', index, '--days', '20'], { now });
    expect(run.code, run.err).toBe(0);
    const report = JSON.parse(run.out) as UsageReport;
    expect(report.window).toEqual({ start: '2026-10-01T00:00:00Z', end: '2026-10-21T00:00:00Z' });
    expect(report.roles.map((r) => r.role)).toEqual(['arn:aws:iam::123456789012:role/etl-loader']);

    const midDay = await runCli(['usage', '--all-roles', '--index', index, '--days', '20', '--end', now], { now });
    expect(midDay.code).toBe(2);
    expect(midDay.err).toContain('whole UTC days');
  });
});
