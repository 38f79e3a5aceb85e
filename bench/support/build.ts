/**
 * `npm run bench:build` in a checkout: the product's dist/ as `npm run build` makes it, and the bench's
 * server process compiled beside it (tsconfig.bench.json), so the servers under test run the JavaScript
 * `npm start` runs. Prints a progress line; throws with tsc's output if the build fails.
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';

/** Builds `dir`; with `ifPresent`, a checkout without a `bench:build` script (an older export) is left as it is. */
export function buildForBench(dir: string, options: { ifPresent?: boolean } = {}): void {
  process.stdout.write(`building ${relative(process.cwd(), dir) || '.'} (npm run bench:build) …\n`);
  const startedAt = performance.now();
  const run = spawnSync(
    'npm',
    ['run', '--silent', ...(options.ifPresent ? ['--if-present'] : []), 'bench:build'],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  if (run.status !== 0)
    throw new Error(
      `npm run bench:build failed in ${dir} (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`,
    );
  process.stdout.write(`built in ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
}
