import { defineConfig } from 'vitest/config';

const CHAOS = 'test/e2e/chaos.test.ts';

const shared: { testTimeout: number; hookTimeout: number; pool: 'forks'; execArgv: string[] } = {
  // Generous: process tests start real servers, and CI machines are small and sometimes busy.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks',
  // restify loads spdy, which touches a deprecated Node binding on import; the warning is noise.
  execArgv: ['--disable-warning=DEP0111'],
};

export default defineConfig({
  test: {
    // Two cores on CI: run files in parallel, but not more workers than the machine has.
    maxWorkers: 2,
    projects: [
      {
        test: {
          ...shared,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [CHAOS],
          globalSetup: ['test/setup/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The chaos test runs alone, after the rest: its four server processes would starve the timed
        // tests of other files on a 2-core machine. It starts its own Redis, and its servers from a build.
        test: {
          ...shared,
          name: 'chaos',
          include: [CHAOS],
          globalSetup: ['test/setup/build-once.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
