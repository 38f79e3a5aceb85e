/**
 * `npm run bench`: runs each benchmark in its own process (so one cannot warm or slow another), prints
 * what each printed, then one JSON object with every figure as the last line. Each benchmark measures
 * its baseline in the same run and reports a ratio against it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchmarks = [
  { name: 'webchat', file: 'bench/webchat.ts', args: [] },
  { name: 'nlu', file: 'bench/nlu.ts', args: [] },
  { name: 'ledger', file: 'bench/ledger.ts', args: [] },
].filter((bench) => existsSync(`${root}/${bench.file}`));

const figures: Record<string, unknown> = {};
let failed = false;
for (const bench of benchmarks) {
  process.stdout.write(`\n== ${bench.name} ==\n`);
  const run = spawnSync(
    process.execPath,
    ['--disable-warning=DEP0111', '--import', 'tsx', bench.file, ...bench.args],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 10 * 60 * 1000,
    },
  );
  process.stdout.write(run.stdout);
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0) {
    failed = true;
    process.stdout.write(`${bench.name} failed with exit code ${run.status}\n`);
    continue;
  }
  try {
    figures[bench.name] = JSON.parse(last);
  } catch {
    failed = true;
    process.stdout.write(`${bench.name} did not end with a JSON line\n`);
  }
}
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(failed ? 1 : 0);
