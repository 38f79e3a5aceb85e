/**
 * `tsx bench/idle-heap.ts <dir> <dir>… [--runs 4] [--redis]`: what an idle Relevo server keeps alive,
 * for a step's before and after. Each `<dir>` is a built checkout or `git archive` export (`npm run
 * build`, with `node_modules` and `.cache/nlu`). In alternating runs, each build's `createRelevo`
 * (memory storage, or with `--redis` a private redis-server) starts in a fresh `node` with `npm start`'s
 * flags, listens, and runs three full GCs under `--trace-gc-nvp`. Prints per build the medians of: the
 * time from the process's start to listening, the heap used after the GCs (and its old and large-object
 * spaces), and the marking and pause of the last two full GCs — what every mark-compact pays for the
 * heap that is there before any turn runs. Deterministic to ~0.1 MB; the times move with the load.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startRedisServer } from '../test/support/redis-server.js';
import { START_FLAGS } from './support/bench-server.js';
import { flag } from './support/flags.js';

const RUNS = flag('--runs', 4);

// Runs in the child: the build's own modules, from its dist/.
const CHILD = `
import { getHeapSpaceStatistics } from 'node:v8';
const dist = process.env.BENCH_DIST;
const { createRelevo } = await import(dist + '/bots/relevo.js');
const { loadConfig } = await import(dist + '/bots/config.js');
const { silentLogger } = await import(dist + '/core/logger.js');
const redis = process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {};
const relevo = await createRelevo({ config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...redis }), logger: silentLogger });
await relevo.listen();
const listeningMs = performance.now();
for (let i = 0; i < 3; i += 1) { gc(); await new Promise((r) => setTimeout(r, 100)); }
const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
process.stdout.write('RESULT ' + JSON.stringify({ listeningMs, heapUsed: process.memoryUsage().heapUsed, old: spaces.old_space, large: spaces.large_object_space }) + '\\n');
await relevo.close();
process.exit(0);
`;

interface Run {
  listeningMs: number;
  heapUsed: number;
  old: number;
  large: number;
  markMs: number;
  pauseMs: number;
}

async function once(dir: string, redisUrl: string | undefined): Promise<Run> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', ...START_FLAGS, '--trace-gc-nvp', '--input-type=module', '-e', CHILD],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', BENCH_DIST: `${dir}/dist`, BENCH_REDIS_URL: redisUrl ?? '' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    },
  );
  const result = JSON.parse(/^RESULT (.*)$/m.exec(stdout)?.[1] ?? 'null') as Omit<Run, 'markMs' | 'pauseMs'>;
  // The forced GCs are the last mark-compacts; the first of the three also collects start-up garbage.
  const fullGcs = stdout.split('\n').filter((line) => /\bgc=mc\b/.test(line));
  const field = (name: string) =>
    fullGcs
      .slice(-2)
      .reduce((sum, line) => sum + Number(new RegExp(`\\s${name}=([\\d.]+)`).exec(line)?.[1]), 0) / 2;
  return { ...result, markMs: field('mark'), pauseMs: field('pause') };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const dirs = process.argv
  .slice(2)
  .filter((arg, i, all) => !arg.startsWith('--') && !all[i - 1]?.startsWith('--runs'))
  .map((dir) => resolve(dir));
if (dirs.length === 0) throw new Error('usage: tsx bench/idle-heap.ts <dir> <dir>… [--runs N] [--redis]');
const redis = process.argv.includes('--redis') ? await startRedisServer() : undefined;
try {
  const runs = dirs.map((): Run[] => []);
  for (let round = 0; round < RUNS; round += 1) {
    const order = dirs.map((_, i) => (round % 2 === 0 ? i : dirs.length - 1 - i));
    for (const i of order) (runs[i] as Run[]).push(await once(dirs[i] as string, redis?.url));
  }
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  dirs.forEach((dir, i) => {
    const all = runs[i] as Run[];
    const of = (key: keyof Run) => median(all.map((run) => run[key]));
    process.stdout.write(
      `${dir}${redis ? ' (Redis)' : ''}: heap used after GC ${mb(of('heapUsed'))} MB (old space ${mb(of('old'))}, large objects ${mb(of('large'))}); ` +
        `full GC marking ${of('markMs').toFixed(1)} ms, pause ${of('pauseMs').toFixed(1)} ms; listening ${Math.round(of('listeningMs'))} ms after start ` +
        `(medians of ${all.length}; listening ${all.map((run) => Math.round(run.listeningMs)).join(' ')})\n`,
    );
  });
} finally {
  await redis?.stop();
}
