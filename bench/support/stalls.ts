/**
 * What the machine was doing while the slowest messages of a latency run waited: for each stretch of
 * them, how long the server, Redis and the load generator ran and how long each sat ready on a run queue
 * waiting for a core (bench/support/schedule.ts), the server's GC pauses inside it, and how slowly Redis
 * answered a PING sent every 5 ms on a connection of its own. A stretch in which the server mostly
 * waited for a core is the machine; one in which it ran flat out is its own work; one in which Redis
 * answered PINGs late is Redis.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';
import type { SlowStretch } from './load.js';
import type { GcPause } from './observe.js';
import { type Schedule, sampleSchedule } from './schedule.js';

export interface StallWatch {
  /** Stops watching; explains each stretch with what was recorded, and the whole watch likewise. */
  explain(stretches: SlowStretch[], gcPauses: GcPause[]): Promise<{ stalls: Stall[]; whole: Stall }>;
}

export interface Stall {
  /** Milliseconds from the first slow message due to the last one answered, and how many there were. */
  ms: number;
  messages: number;
  serverOnCpuMs?: number;
  serverWaitingForCpuMs?: number;
  /** The server's other threads (V8's GC helpers and compiler, libuv's pool): on a CPU, and waiting. */
  serverThreadsOnCpuMs?: number;
  serverThreadsWaitingForCpuMs?: number;
  redisOnCpuMs?: number;
  redisWaitingForCpuMs?: number;
  generatorOnCpuMs?: number;
  generatorWaitingForCpuMs?: number;
  serverGcMs: number;
  /** Mark-compact pauses that began inside (the rest of `serverGcMs` is scavenges). */
  serverMarkCompacts: number;
  redisPingMaxMs: number;
}

const PING_EVERY_MS = 5;

export async function watchStalls(
  pids: { server: number; redis: number },
  redisUrl: string,
): Promise<StallWatch> {
  const probe = createClient({ url: redisUrl });
  probe.on('error', () => {});
  await probe.connect();
  const pings: [number, number][] = [];
  let watching = true;
  const pinging = (async () => {
    while (watching) {
      const sentAt = performance.now();
      await probe.ping();
      pings.push([performance.timeOrigin + sentAt, performance.now() - sentAt]);
      await sleep(PING_EVERY_MS);
    }
  })();
  const stopSampling = sampleSchedule({ ...pids, generator: process.pid }, ['server']);
  const startedAt = performance.timeOrigin + performance.now();
  return {
    async explain(stretches, gcPauses) {
      watching = false;
      await pinging;
      await probe.quit();
      const schedule = stopSampling();
      const run = { fromMs: startedAt, toMs: performance.timeOrigin + performance.now(), messages: 0 };
      return {
        stalls: stretches.map((stretch) => explain(stretch, schedule, gcPauses, pings)),
        whole: explain(run, schedule, gcPauses, pings),
      };
    },
  };
}

function explain(
  { fromMs, toMs, messages }: SlowStretch,
  schedule: Schedule,
  gcPauses: GcPause[],
  pings: [number, number][],
): Stall {
  const inside = ([at]: [number, ...number[]]) => at >= fromMs && at <= toMs;
  const server = schedule.between('server', fromMs, toMs);
  const serverThreads = schedule.between('server:threads', fromMs, toMs);
  const redis = schedule.between('redis', fromMs, toMs);
  const generator = schedule.between('generator', fromMs, toMs);
  return {
    ms: round1(toMs - fromMs),
    messages,
    serverOnCpuMs: server?.onCpuMs,
    serverWaitingForCpuMs: server?.waitingMs,
    serverThreadsOnCpuMs: serverThreads?.onCpuMs,
    serverThreadsWaitingForCpuMs: serverThreads?.waitingMs,
    redisOnCpuMs: redis?.onCpuMs,
    redisWaitingForCpuMs: redis?.waitingMs,
    generatorOnCpuMs: generator?.onCpuMs,
    generatorWaitingForCpuMs: generator?.waitingMs,
    serverGcMs: round1(gcPauses.filter(inside).reduce((sum, [, ms]) => sum + ms, 0)),
    serverMarkCompacts: gcPauses.filter(inside).filter(([, , major]) => major === 1).length,
    redisPingMaxMs: round1(Math.max(0, ...pings.filter(inside).map(([, ms]) => ms))),
  };
}

/** One line per stall, for the bench's report. */
export function describeStall(stall: Stall, index: number): string {
  const cpu = (on?: number, waiting?: number) =>
    on === undefined ? 'n/a (no /proc schedstat)' : `ran ${on} ms, waited for a core ${waiting} ms`;
  return (
    `  stretch ${index + 1}: ${stall.messages} messages over ${stall.ms} ms; server ${cpu(stall.serverOnCpuMs, stall.serverWaitingForCpuMs)}, ` +
    `GC ${stall.serverGcMs} ms (${stall.serverMarkCompacts} mark-compacts), its other threads (GC helpers, compiler) ${cpu(stall.serverThreadsOnCpuMs, stall.serverThreadsWaitingForCpuMs)}; Redis ${cpu(stall.redisOnCpuMs, stall.redisWaitingForCpuMs)}, slowest PING ${stall.redisPingMaxMs} ms; ` +
    `load generator ${cpu(stall.generatorOnCpuMs, stall.generatorWaitingForCpuMs)}\n`
  );
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
