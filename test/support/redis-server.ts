import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/**
 * A private redis-server on a loopback port, without persistence unless `appendOnlyDir` is given (then
 * with `appendonly yes` in that folder, so a restart keeps every acknowledged write); stopped by `stop()`.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The redis-server process (a new one after `restart()`). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Stops and starts the same server on the same port (for reconnect tests). */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered until `resume()`. */
  pause(): void;
  resume(): void;
}

export async function startRedisServer(
  port?: number,
  options: { appendOnlyDir?: string } = {},
): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const persistence = options.appendOnlyDir
    ? ['--appendonly', 'yes', '--dir', options.appendOnlyDir]
    : ['--appendonly', 'no'];
  let child = await launch(chosen, persistence);
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    get pid() {
      return child.pid ?? 0;
    },
    stop,
    restart: async () => {
      await stop();
      child = await launch(chosen, persistence);
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
}

async function launch(port: number, persistence: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--loglevel', 'warning'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return untilAccepting(child, port);
}

/** Resolves with a freshly spawned redis-server once it accepts connections; kills it after 10 s. */
export async function untilAccepting(child: ChildProcess, port: number): Promise<ChildProcess> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    if (await accepts(port)) return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not accept connections on port ${port} within 10 s`);
}

/** Whether something accepts TCP connections on the loopback `port` right now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
