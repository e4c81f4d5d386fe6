import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Tests never reach AWS: no instance-metadata probe from the SDK's credential chain.
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
  },
});
