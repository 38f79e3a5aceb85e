import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    // Generous: process tests start real servers, and CI machines are small and sometimes busy.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: run files in parallel, but not more workers than the machine has.
    pool: 'forks',
    // restify loads spdy, which touches a deprecated Node binding on import; the warning is noise.
    execArgv: ['--disable-warning=DEP0111'],
    maxWorkers: 2,
  },
});
