/**
 * `npm run test:fast`: the tier to run while editing (under a minute on 2 cores). It leaves out
 * what needs a browser, real git, DuckDB index builds, the built CLI as a child process, npm pack,
 * or generated demo accounts; `npm test` runs everything. test/TESTS.md says where each test lives.
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export const SLOW = [
  // Chromium
  'test/drift-html.test.ts',
  'test/drift-html-accounts.test.ts',
  'test/drift-html-org.test.ts',
  // real git repositories
  'test/pr-github.test.ts',
  'test/pr-shared.test.ts',
  'test/pr-restore.test.ts',
  'test/sam-pr.test.ts',
  'test/pr-cloudformation.test.ts',
  'test/secrets.test.ts',
  'test/action.test.ts',
  'test/github-action-doc.test.ts',
  // usage index builds (DuckDB) and the SQL harness
  'test/index.test.ts',
  'test/index-blocks.test.ts',
  'test/index-window.test.ts',
  'test/fold-e2e.test.ts',
  'test/ingest-cases-sql.test.ts',
  'test/injection.test.ts',
  'test/drift.test.ts',
  // the built CLI as a child process, npm pack, generated demo accounts
  'test/stream-scan.test.ts',
  'test/pack-install.test.ts',
  'test/process-exit.test.ts',
  'test/cli-conventions.test.ts',
  'test/docs-commands.test.ts',
  'test/bad-input-unreadable.test.ts',
  'test/athena-equivalence.test.ts',
  'test/athena-rollup.test.ts',
  'test/demo-generate.test.ts',
  'test/strict-differential.test.ts',
  'test/acceptance-real-datasets.test.ts',
  'test/drift-real.test.ts',
  'test/fail-safe-property.test.ts',
];

export default mergeConfig(base, defineConfig({ test: { exclude: SLOW } }));
