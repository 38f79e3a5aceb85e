import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores on CI: run files in parallel, but not more workers than the machine has.
    pool: 'forks',
    maxWorkers: 2,
  },
});
