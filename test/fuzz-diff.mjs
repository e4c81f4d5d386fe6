#!/usr/bin/env node
// npm run fuzz:diff -- [--files N] [--seed S]: the differential test (test/strict-differential.test.ts)
// on N mutated files (default 10,000) from PRNG seed S (default 19). See docs/fuzzing.md.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, seed: { type: 'string', default: '19' } } });
for (const [name, value] of Object.entries(values)) {
  if (!/^\d+$/.test(value ?? '')) {
    console.error(`fuzz:diff: --${name} ${value}: expected a whole number`);
    process.exit(2);
  }
}
const run = spawnSync('npx', ['vitest', 'run', 'test/strict-differential.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, IAMTRIM_DIFF_FILES: values.files, IAMTRIM_DIFF_SEED: values.seed },
});
process.exit(run.status ?? 1);
