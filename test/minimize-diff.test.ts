/**
 * `minimize --diff` (D12): one per-permission view in every format, and the format's own output is
 * never replaced by a diff. Through the CLI in-process (helpers/run-cli.ts: the same `main` the
 * built CLI runs) on the lambda-s3-dynamodb scenario.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from './helpers/built-cli.js';
import { runCli } from './helpers/run-cli.js';

const FIXTURE = join(ROOT_DIR, 'fixtures', 'lambda-s3-dynamodb');
// The fixture's trail logs its S3 and DynamoDB data events (trail-event-selectors.json, as its golden
// args): without it, data-event actions granted on "*" stay on "*" (inferred per resource).
const ARGS = [
  'minimize',
  '--role',
  'orders-api',
  '--end',
  '2026-10-22T00:00:00Z',
  '--logs',
  join(FIXTURE, 'logs'),
  '--iam',
  join(FIXTURE, 'iam.json'),
  '--trail-config',
  join(FIXTURE, 'trail-event-selectors.json'),
];

interface Plan {
  granted: { actions: number };
  proposed: Array<{ Statement: Array<{ Action?: string | string[]; Resource?: string | string[] }> }>;
  permissionDiff: { removed: number; narrowed: number; kept: number; changes: Array<{ action: string; change: string; from: string[]; to: string[] }> };
}

describe('minimize --diff', () => {
  let json: Plan;
  beforeAll(async () => {
    json = JSON.parse((await runCli([...ARGS, '--format', 'json', '--diff'])).out) as Plan;
  });

  it('classifies every granted action once: removed + narrowed + kept = granted; kept and narrowed = the proposal', () => {
    const d = json.permissionDiff;
    expect(d.removed + d.narrowed + d.kept).toBe(json.granted.actions);
    expect(new Set(d.changes.map((c) => c.action)).size).toBe(d.changes.length);
    const proposedActions = new Set(
      json.proposed.flatMap((doc) => doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : s.Action !== undefined ? [s.Action] : []))),
    );
    expect(new Set(d.changes.filter((c) => c.change !== 'removed').map((c) => c.action))).toEqual(proposedActions);
    // The demo grants everything on "*": every action kept on fewer resources is narrowed from "*".
    for (const c of d.changes.filter((x) => x.change === 'narrowed')) {
      expect(c.from).toContain('*');
      expect(c.to).not.toContain('*');
    }
    expect(d.narrowed).toBeGreaterThan(0);
    expect(d.removed).toBeGreaterThan(0);
  });

  it('the text view lists the same changes, one line each, with the counts of the JSON', async () => {
    const text = (await runCli([...ARGS, '--diff'])).out;
    const d = json.permissionDiff;
    expect(text).toContain(`${d.narrowed} narrowed, ${d.kept} kept as they are, ${d.removed} removed`);
    const removedLines = [...text.matchAll(/^- removed {3}(\S+?)(?:: all (\d+) granted actions)?$/gm)];
    expect(removedLines.reduce((sum, m) => sum + (m[2] !== undefined ? Number(m[2]) : 1), 0)).toBe(d.removed);
    expect(text.match(/^~ narrowed {2}\S+: /gm)).toHaveLength(d.narrowed);
    expect(text.match(/^ {2}kept {6}\S+: /gm)).toHaveLength(d.kept);
  });

  it('--format terraform, cloudformation and sam --diff keep their whole output, with the view as comments', async () => {
    for (const format of ['terraform', 'cloudformation', 'sam']) {
      const plain = await runCli([...ARGS, '--format', format]);
      const diff = await runCli([...ARGS, '--format', format, '--diff']);
      expect(diff.code).toBe(0);
      expect(diff.out.endsWith(plain.out)).toBe(true);
      const head = diff.out.slice(0, diff.out.length - plain.out.length);
      for (const line of head.split('\n').filter((l) => l !== '')) expect(line.startsWith('#')).toBe(true);
      expect(head).toContain(`${json.permissionDiff.removed} removed`);
    }
  });
});
