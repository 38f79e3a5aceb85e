/**
 * Starts bench/support/server-process.ts, compiled by `npm run bench:build` into
 * dist/bench/support/server-process.js beside the product's dist/ (so both servers run the JavaScript
 * `npm start` runs, without tsx), in a child process (through `sh` so `ulimit -n` can be raised for many
 * sockets) and talks to it over IPC: its port, its memory after GC, and stop. With `traceGc` it runs
 * under `--trace-gc-nvp` and sums what V8 reports of each collection (bytes allocated since the last
 * one, bytes promoted to the old generation).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Observed } from './observe.js';
import type { MemorySample } from './server-process.js';

export interface BenchServer {
  readonly port: number;
  readonly pid: number;
  memory(): Promise<MemorySample>;
  /** CPU time (user + system, ms) the server process has used since it started. */
  cpuMs(): Promise<number>;
  /** Starts recording the server's GC pauses, event-loop delay and request times (bench/support/observe.ts). */
  observe(): void;
  /** What was recorded since `observe()`. */
  observed(): Promise<Observed>;
  /** With `traceGc`: the collections of the server's main isolate since it started, summed (else zeros). */
  gcTotals(): GcTotals;
  /** Runs one young-generation collection (a scavenge) in the server. */
  scavenge(): Promise<void>;
  stop(): Promise<void>;
}

export interface GcTotals {
  allocatedBytes: number;
  promotedBytes: number;
  scavenges: number;
  markCompacts: number;
  /** Of the mark-compacts, summed: the main thread's final pause and the marking in it (ms). */
  markCompactPauseMs: number;
  markCompactMarkMs: number;
  /** Their marking before the pause: the main thread's incremental steps, V8's helper threads (ms). */
  markCompactIncrementalMs: number;
  markCompactBackgroundMarkMs: number;
  /** Wall time from the start of each one's marking to its pause (ms). */
  markCompactMarkingWallMs: number;
  /** The old generation and the rest after each one: what was live (bytes). */
  markCompactSizeAfterBytes: number;
}

/**
 * Adds one `--trace-gc-nvp` line (`[pid:isolate] … gc=s … allocated=N promoted=N …`) to the totals of
 * its isolate; false if it is not one. tsx's module loader runs in a worker with an isolate of its own.
 */
function countGcLine(line: string, byIsolate: Map<string, GcTotals>): boolean {
  const kind = /\bgc=(\w+)/.exec(line)?.[1];
  if (!kind) return false;
  const isolate = /^\[([^\]]+)\]/.exec(line)?.[1] ?? '';
  const totals = byIsolate.get(isolate) ?? noCollections();
  byIsolate.set(isolate, totals);
  totals.allocatedBytes += Number(/\ballocated=(\d+)/.exec(line)?.[1] ?? 0);
  totals.promotedBytes += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
  if (kind === 's') {
    totals.scavenges += 1;
    return true;
  }
  const field = (name: string) => Number(new RegExp(`\\s${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
  totals.markCompacts += 1;
  totals.markCompactPauseMs += field('pause');
  totals.markCompactMarkMs += field('mark');
  totals.markCompactIncrementalMs += field('incremental');
  totals.markCompactBackgroundMarkMs += field('background\\.mark');
  totals.markCompactMarkingWallMs += field('incremental_walltime_duration');
  totals.markCompactSizeAfterBytes += field('total_size_after');
  return true;
}

export function noCollections(): GcTotals {
  return {
    allocatedBytes: 0,
    promotedBytes: 0,
    scavenges: 0,
    markCompacts: 0,
    markCompactPauseMs: 0,
    markCompactMarkMs: 0,
    markCompactIncrementalMs: 0,
    markCompactBackgroundMarkMs: 0,
    markCompactMarkingWallMs: 0,
    markCompactSizeAfterBytes: 0,
  };
}

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The `--` flags of package.json's `start` script (`node <flags> dist/bots/main.js`). */
export const START_FLAGS = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((token) => token.startsWith('--'));
const START_TIMEOUT_MS = 120_000;
const COMPILED = 'dist/bench/support/server-process.js';
/** What `npm run bench:build` compiles: the product's folders (tsconfig.build.json) and the server process. */
const SOURCES = [
  ...(JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include,
  'bench/support/server-process.ts',
  'bench/support/observe.ts',
];

/** The last modification time of a source or data file, or of the newest one in a folder (tests aside). */
function newestSource(path: string): number {
  const stat = statSync(join(root, path));
  if (!stat.isDirectory()) return /(?<!\.test)\.(ts|json|jsonl)$/.test(path) ? stat.mtimeMs : 0;
  return Math.max(0, ...readdirSync(join(root, path)).map((name) => newestSource(join(path, name))));
}

/**
 * Throws unless the compiled server process exists and is newer than every source it was built from. A
 * benchmark calls it before it starts anything (a Redis left behind by a throw would outlive it).
 */
export function assertBuilt(): void {
  const built = join(root, COMPILED);
  if (!existsSync(built)) throw new Error(`${COMPILED} is missing: run \`npm run bench:build\` first`);
  const stale = SOURCES.filter((source) => newestSource(source) > statSync(built).mtimeMs);
  if (stale.length > 0)
    throw new Error(`${COMPILED} is older than ${stale.join(', ')}: run \`npm run bench:build\` first`);
}

function next<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bench server sent no "${type}" in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message: { type?: string } & T) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`bench server exited with ${code} before "${type}"`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Spawns the `relevo` or `echo` server with `env` added to this process's environment. */
export async function startBenchServer(
  mode: 'relevo' | 'echo',
  env: Record<string, string> = {},
  options: { traceGc?: boolean } = {},
): Promise<BenchServer> {
  assertBuilt();
  // BENCH_CPU_PROFILE_DIR=dir: each server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROFILE_DIR
    ? `--cpu-prof --cpu-prof-dir='${process.env.BENCH_CPU_PROFILE_DIR}'`
    : '';
  // Both servers run with the Node flags of `npm start` (the bench measures the runtime production
  // gets, and the echo bot the same one), then BENCH_SERVER_FLAGS='--max-semi-space-size=64' to try
  // another setting on both sides (a later flag wins).
  const command = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${options.traceGc ? 'stdbuf -oL ' : ''}"${process.execPath}" --expose-gc ${profile} ${START_FLAGS.join(' ')} ${process.env.BENCH_SERVER_FLAGS ?? ''} ${options.traceGc ? '--trace-gc-nvp' : ''} ${COMPILED} ${mode}`;
  const child = spawn('sh', ['-c', command], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', options.traceGc ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  const gc = new Map<string, GcTotals>();
  if (options.traceGc && child.stdout) {
    // The trace's lines are counted as they come (`stdbuf -oL`: V8 prints them with C stdio, which
    // would hold them in a buffer on a pipe); anything else the server prints is passed on.
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!countGcLine(line, gc)) process.stdout.write(`${line}\n`);
    });
  }
  const { port } = await next<{ port: number }>(child, 'ready', START_TIMEOUT_MS);
  return {
    port,
    pid: child.pid ?? 0,
    memory: async () => {
      const reply = next<{ sample: MemorySample }>(child, 'memory', 60_000);
      child.send({ type: 'memory' });
      return (await reply).sample;
    },
    cpuMs: async () => {
      const reply = next<{ ms: number }>(child, 'cpu', 60_000);
      child.send({ type: 'cpu' });
      return (await reply).ms;
    },
    observe: () => {
      child.send({ type: 'observe' });
    },
    observed: async () => {
      const reply = next<{ observed: Observed }>(child, 'observed', 60_000);
      child.send({ type: 'observed' });
      return (await reply).observed;
    },
    // The server's main isolate: the one that allocated the most.
    gcTotals: () => ({
      ...([...gc.values()].sort((a, b) => b.allocatedBytes - a.allocatedBytes)[0] ?? noCollections()),
    }),
    scavenge: async () => {
      const reply = next(child, 'scavenged', 60_000);
      child.send({ type: 'scavenge' });
      await reply;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
