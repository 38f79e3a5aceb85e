import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { untilAccepting } from './redis-server.js';

const run = promisify(execFile);

/** A private 3-master Redis Cluster on loopback, without replicas or persistence. */
export interface RedisClusterServers {
  /** One URL per master, each a valid seed for a cluster client. */
  readonly urls: string[];
  stop(): Promise<void>;
  /** Stops one master (SIGTERM); its slots are unreachable until `startNode`. */
  stopNode(index: number): Promise<void>;
  /** Starts a stopped master again on its port, with its slots (its data is gone: no persistence). */
  startNode(index: number): Promise<void>;
}

/**
 * Starts three `redis-server --cluster-enabled yes` on free loopback ports and joins them with
 * `redis-cli --cluster create` (about 2 s, most of it redis-cli waiting for the nodes to agree).
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const dir = await mkdtemp(join(tmpdir(), 'relevo-cluster-'));
  const ports = await distinctFreePorts(masters);
  const children = await Promise.all(ports.map((port) => launch(port, dir)));
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(ports);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    stop,
    stopNode: (index) => stopChild(children[index] as ChildProcess),
    startNode: async (index) => {
      children[index] = await launch(ports[index] as number, dir);
      await waitForClusterOk(ports);
    },
  };
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  // A node also listens on port + 10000 for the cluster bus, so that one must be free too.
  while (ports.size < count) {
    const port = await freePort();
    if (port + 10_000 < 65_536 && (await isFree(port + 10_000))) ports.add(port);
  }
  return [...ports];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '2000',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return untilAccepting(child, port);
}

/** Waits until every node says the cluster is up and covers all 16384 slots. */
async function waitForClusterOk(ports: number[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      ports.map(async (port) => (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout),
    );
    if (states.every((info) => info.includes('cluster_state:ok'))) return;
    await sleep(50);
  }
  throw new Error('the Redis Cluster did not reach cluster_state:ok within 15 s');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
