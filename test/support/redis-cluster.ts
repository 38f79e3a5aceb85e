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

/**
 * A private Redis Cluster on loopback without persistence: 3 masters (nodes 0–2), and with
 * `replicas: 1` a replica of each (nodes 3–5, paired with the masters by `redis-cli --cluster create`).
 */
export interface RedisClusterServers {
  /** One URL per master, each a valid seed for a cluster client. */
  readonly urls: string[];
  /** One port per node: masters first, then replicas. */
  readonly ports: number[];
  stop(): Promise<void>;
  /** SIGKILLs one node, as a crash would: with a replica, the cluster promotes it after the node timeout. */
  killNode(index: number): Promise<void>;
  /** Waits until every node still running says `cluster_state:ok`. */
  untilOk(): Promise<void>;
  /** Stops one master (SIGTERM); its slots are unreachable until `startNode`. */
  stopNode(index: number): Promise<void>;
  /** Starts a stopped master again on its port, with its slots (its data is gone: no persistence). */
  startNode(index: number): Promise<void>;
}

/**
 * Starts `redis-server --cluster-enabled yes` on free loopback ports (3 masters, and `replicas` per
 * master) and joins them with `redis-cli --cluster create` (about 2 s, most of it redis-cli waiting for
 * the nodes to agree). `nodeTimeoutMs` is how long a master may be silent before it counts as failed.
 */
export async function startRedisCluster(
  masters = 3,
  options: { replicas?: number; nodeTimeoutMs?: number } = {},
): Promise<RedisClusterServers> {
  const replicas = options.replicas ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
  const dir = await mkdtemp(join(tmpdir(), 'relevo-cluster-'));
  const ports = await distinctFreePorts(masters * (1 + replicas));
  const launch = (port: number) => launchNode(port, dir, nodeTimeoutMs);
  const children = await Promise.all(ports.map(launch));
  const running = () =>
    ports.filter((_, index) => children[index]?.exitCode === null && !children[index]?.signalCode);
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await waitForClusterOk(ports);
    // A replica that has not finished its first sync could not take over yet.
    await Promise.all(ports.slice(masters).map(untilReplicating));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: ports.slice(0, masters).map((port) => `redis://127.0.0.1:${port}`),
    ports,
    stop,
    stopNode: (index) => stopChild(children[index] as ChildProcess),
    startNode: async (index) => {
      children[index] = await launch(ports[index] as number);
      await waitForClusterOk(running());
    },
    killNode: async (index) => {
      const child = children[index] as ChildProcess;
      if (child.exitCode !== null || child.signalCode) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    untilOk: () => waitForClusterOk(running()),
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

async function launchNode(port: number, dir: string, nodeTimeoutMs: number): Promise<ChildProcess> {
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
      String(nodeTimeoutMs),
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

async function untilReplicating(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'info', 'replication']);
    if (stdout.includes('master_link_status:up')) return;
    await sleep(50);
  }
  throw new Error(`the replica on port ${port} did not finish its first sync within 15 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
