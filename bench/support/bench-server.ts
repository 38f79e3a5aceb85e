/**
 * Starts bench/support/server-process.ts in a child process (through `sh` so `ulimit -n` can be raised
 * for many sockets) and talks to it over IPC: its port, its memory after GC, and stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The `--` flags of package.json's `start` script (`node <flags> dist/bots/main.js`). */
const START_FLAGS = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((token) => token.startsWith('--'));
const START_TIMEOUT_MS = 120_000;

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
): Promise<BenchServer> {
  // BENCH_CPU_PROFILE_DIR=dir: each server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROFILE_DIR
    ? `--cpu-prof --cpu-prof-dir='${process.env.BENCH_CPU_PROFILE_DIR}'`
    : '';
  // Both servers run with the Node flags of `npm start` (the bench measures the runtime production
  // gets, and the echo bot the same one), then BENCH_SERVER_FLAGS='--max-semi-space-size=64' to try
  // another setting on both sides (a later flag wins).
  const command = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "${process.execPath}" --expose-gc ${profile} ${START_FLAGS.join(' ')} ${process.env.BENCH_SERVER_FLAGS ?? ''} --import tsx bench/support/server-process.ts ${mode}`;
  const child = spawn('sh', ['-c', command], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
