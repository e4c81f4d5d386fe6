import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Files that need a module graph of their own: they replace modules (`vi.mock`), which a graph
 * shared with other files would already hold unmocked. Every other file shares its worker's
 * module graph with the files before it (`isolate: false`): the source, the AWS SDK, DuckDB and
 * iam-simulate are imported once per worker instead of once per file. Those files leave no state
 * behind (environment changes are restored; the modules' own caches are of pure data).
 */
export const ISOLATED = ['test/bad-input-unreadable.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker per core. Vitest's default leaves a core to its main process, which only waits:
    // on 2 cores that ran the files one at a time (210 s against 108 s for the suite).
    maxWorkers: availableParallelism(),
    // Tests never reach AWS: no instance-metadata probe from the SDK's credential chain. The SDK's
    // notice about future Node versions (our pinned clients run on Node 20) is noise in test logs.
    env: { AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts', ...ISOLATED.map((f) => `!${f}`)], isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});
