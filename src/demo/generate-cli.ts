/**
 * `node dist/demo/generate-cli.js --out DIR [--events N] [--days D] [--seed S] [--now ISO]`:
 * writes a demo account for benchmarks and docs. Progress goes to stderr, the summary to stdout.
 */
import { parseArgs } from 'node:util';
import { generateDemo } from './generate.js';

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      now: { type: 'string' },
    },
    strict: true,
  });
  if (values.out === undefined) throw new Error('--out DIR is required');
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) throw new Error(`--now must be an ISO date, got ${values.now ?? ''}`);
  const started = process.hrtime.bigint();
  let lastReport = 0;
  const manifest = await generateDemo({
    outDir: values.out,
    now,
    days: positiveInteger('days', values.days, 30),
    events: positiveInteger('events', values.events, 20_000),
    seed: positiveInteger('seed', values.seed, 1),
    onProgress: (written, total) => {
      if (written - lastReport >= 100_000 || written === total) {
        lastReport = written;
        process.stderr.write(`\r${written.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} events`);
      }
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write('\n');
  const lines = [
    `account ${manifest.accountId}, ${manifest.window.start} .. ${manifest.window.end}`,
    `${manifest.events} events (+${manifest.duplicateRecords} duplicate records) in ${manifest.files} files, ${(manifest.bytes / 1e6).toFixed(1)} MB gzipped, ${manifest.digestFiles} digest files`,
    `${seconds.toFixed(1)} s, ${Math.round(manifest.events / seconds)} events/s`,
    `logs: ${manifest.logsDir}`,
    `iam:  ${manifest.iamFile}`,
    ...manifest.roles
      .filter((r) => !r.name.startsWith('svc-'))
      .map((r) => `  ${r.name.padEnd(22)} ${String(r.events).padStart(9)} events, ${r.usedActions.length} actions used, ${r.deniedActions.length} denied`),
  ];
  const extra = manifest.roles.filter((r) => r.name.startsWith('svc-')).length;
  if (extra > 0) lines.push(`  + ${extra} svc-NNN roles`);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
