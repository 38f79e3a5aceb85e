/**
 * `tsx bench/cpu-ab.ts <dir> <dir>… [--rounds 8] [--messages 2500]`: CPU per message of several Relevo
 * builds side by side, for a step's before and after. Each `<dir>` is a checkout or a `git archive`
 * export (with `node_modules` and `.cache/nlu`), built first (`npm run bench:build`); each runs its own
 * server (its own code, through its own bench/support) on its own private Redis. After 2,000 messages of warm-up each, the builds are driven in
 * alternating rounds of a fixed message count (closed loop, 64 conversations), so a burst of someone
 * else's work hits every build alike and their conversations grow alike. Prints, per build, the CPU per
 * message over all rounds (server `process.cpuUsage` + Redis `INFO cpu`) and each round's figure, and
 * what the server's V8 allocated and promoted to the old generation per message over the rounds
 * (`--trace-gc-nvp`, summed per collection), and what each mark-compact cost: its pause, the marking
 * before it (wall time, the main thread's steps and V8's helper threads) and the heap live after it.
 * Bytes allocated hardly move with the load; bytes promoted do (turns in flight outlive scavenges),
 * so compare them only within one run.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type GcTotals, noCollections } from './support/bench-server.js';
import { buildForBench } from './support/build.js';
import { flag } from './support/flags.js';
import { redisCpuMs } from './support/redis-cpu.js';

const ROUNDS = flag('--rounds', 8);
const MESSAGES = flag('--messages', 2500);
const CONVERSATIONS = 64;
const WARM_UP = 2000;

interface Build {
  dir: string;
  run: (messages: number) => Promise<{ messages: number; messagesPerSecond: number; failed: number }>;
  cpuMs: () => Promise<{ server: number; redis: number }>;
  gcTotals: () => GcTotals;
  stop: () => Promise<void>;
}

/** Starts a build's server on its own Redis, with its own modules (the code under test is the build's). */
async function start(dir: string): Promise<Build> {
  const [servers, redisServers, directLine, throughput, connection, load] = await Promise.all([
    import(`${dir}/bench/support/bench-server.ts`),
    import(`${dir}/test/support/redis-server.ts`),
    import(`${dir}/bench/support/directline.ts`),
    import(`${dir}/bench/throughput.ts`),
    import(`${dir}/storage/redis-connection.ts`),
    import(`${dir}/bench/support/load.ts`),
  ]);
  const redis = await redisServers.startRedisServer();
  const server = await servers.startBenchServer('relevo', { REDIS_URL: redis.url }, { traceGc: true });
  const url = `http://127.0.0.1:${server.port}`;
  const conversations = (await directLine.openConversations(url, CONVERSATIONS)).map(
    throughput.directLineRequests,
  );
  const info = await connection.connectRedis({ url: redis.url });
  return {
    dir,
    run: (messages) => load.closedLoop({ url, conversations, durationS: 600, maxRequests: messages }),
    cpuMs: async () => ({ server: await server.cpuMs(), redis: await redisCpuMs(info) }),
    gcTotals: () => server.gcTotals(),
    stop: async () => {
      await info.close();
      await server.stop();
      await redis.stop();
    },
  };
}

const dirs = process.argv
  .slice(2)
  .filter((arg, i, all) => !arg.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (dirs.length === 0) throw new Error('usage: tsx bench/cpu-ab.ts <dir> <dir>… [--rounds N] [--messages N]');
const builds: Build[] = [];
try {
  // Each build runs its own compiled server process (an export older than bench:build, its tsx one).
  for (const dir of dirs) buildForBench(resolve(dir), { ifPresent: true });
  const compiled = dirs.map((dir) => existsSync(resolve(dir, 'dist/bench/support/server-process.js')));
  if (compiled.some((one) => one !== compiled[0]))
    process.stdout.write(
      `warning: ${dirs.filter((_, i) => !compiled[i]).join(', ')} predate bench:build and run under tsx, the others compiled: tsx alone allocates 4-10 % more per message, so the difference is not all the change's\n`,
    );
  for (const dir of dirs) builds.push(await start(resolve(dir)));
  for (const build of builds) await build.run(WARM_UP);
  const used = builds.map(() => ({
    server: 0,
    redis: 0,
    messages: 0,
    failed: 0,
    rounds: [] as number[],
    gc: noCollections(),
  }));
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order too, so no build always runs right after the same one.
    const order = builds.map((_, i) => (round % 2 === 0 ? i : builds.length - 1 - i));
    for (const i of order) {
      const build = builds[i] as Build;
      const sum = used[i] as (typeof used)[number];
      const before = await build.cpuMs();
      const gcBefore = build.gcTotals();
      const result = await build.run(MESSAGES);
      const after = await build.cpuMs();
      const gcAfter = build.gcTotals();
      for (const key of Object.keys(sum.gc) as (keyof GcTotals)[])
        sum.gc[key] += (gcAfter[key] ?? 0) - (gcBefore[key] ?? 0);
      const ms = after.server - before.server + after.redis - before.redis;
      sum.server += after.server - before.server;
      sum.redis += after.redis - before.redis;
      sum.messages += result.messages;
      sum.failed += result.failed;
      sum.rounds.push(Math.round((ms / result.messages) * 1000) / 1000);
    }
  }
  builds.forEach((build, i) => {
    const sum = used[i] as (typeof used)[number];
    const per = (ms: number) => (ms / sum.messages).toFixed(3);
    const kb = (bytes: number) => (bytes / sum.messages / 1024).toFixed(1);
    const { gc } = sum;
    const each = (total: number) => (total / Math.max(gc.markCompacts, 1)).toFixed(1);
    process.stdout.write(
      `${build.dir}: CPU per message ${per(sum.server + sum.redis)} ms (server ${per(sum.server)} + Redis ${per(sum.redis)}) over ${sum.messages} messages, ${sum.failed} failed; rounds ${sum.rounds.join(' ')}\n` +
        `  server heap per message: ${kb(gc.allocatedBytes)} KB allocated, ${kb(gc.promotedBytes)} KB promoted; ${gc.scavenges} scavenges, ${gc.markCompacts} mark-compacts\n` +
        `  per mark-compact: pause ${each(gc.markCompactPauseMs)} ms (marking in it ${each(gc.markCompactMarkMs)}), marking before it ${each(gc.markCompactMarkingWallMs)} ms wall (main thread ${each(gc.markCompactIncrementalMs)}, helper threads ${each(gc.markCompactBackgroundMarkMs)}), ${(gc.markCompactSizeAfterBytes / Math.max(gc.markCompacts, 1) / 1e6).toFixed(1)} MB live after\n`,
    );
    if (sum.failed > 0) process.exitCode = 1;
  });
} finally {
  for (const build of builds) await build.stop();
}
