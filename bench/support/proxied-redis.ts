/**
 * A private Redis for the round-trip bench, reached only through counting proxies
 * (bench/support/redis-proxy.ts): one redis-server behind one proxy, or a 3-master Redis Cluster with
 * a proxy in front of each master. The masters announce their proxy's port (`cluster-announce-port`),
 * so the slot map a cluster client reads sends every connection it opens through a proxy; the cluster
 * bus keeps the nodes' own ports.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis } from '../../storage/redis-connection.js';
import { startRedisCluster } from '../../test/support/redis-cluster.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { type Burst, RoundTripPhases, startRedisProxy } from './redis-proxy.js';

export interface ProxiedRedis {
  /** The environment that points a Relevo server at it. */
  readonly env: Record<string, string>;
  /** Direct URLs of every server holding keys (for `INFO commandstats`), bypassing the proxies. */
  readonly nodeUrls: string[];
  /** Bursts every proxy recorded since the last call, oldest phase first. */
  take(): Burst[];
  stop(): Promise<void>;
}

export async function proxiedRedisServer(): Promise<ProxiedRedis> {
  const redis = await startRedisServer();
  const proxy = await startRedisProxy(redis.port);
  return {
    env: { REDIS_URL: proxy.url },
    nodeUrls: [redis.url],
    take: () => proxy.take(),
    stop: async () => {
      await proxy.close();
      await redis.stop();
    },
  };
}

export async function proxiedRedisCluster(): Promise<ProxiedRedis> {
  const cluster = await startRedisCluster(3);
  const phases = new RoundTripPhases();
  const proxies = await Promise.all(cluster.ports.map((port) => startRedisProxy(port, phases)));
  const stop = async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await cluster.stop();
  };
  try {
    await Promise.all(
      cluster.ports.map(async (port, index) => {
        await configSet(port, 'cluster-announce-bus-port', port + 10_000);
        await configSet(port, 'cluster-announce-port', proxies[index]?.port ?? 0);
      }),
    );
    // Every node must have heard of every proxy port (gossip, about a second) before a client reads it.
    const proxyPorts = proxies
      .map((proxy) => proxy.port)
      .sort()
      .join();
    const deadline = Date.now() + 15_000;
    while (!(await Promise.all(cluster.ports.map(announcedPorts))).every((ports) => ports === proxyPorts)) {
      if (Date.now() > deadline)
        throw new Error('the cluster nodes did not announce their proxies within 15 s');
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    env: { REDIS_CLUSTER_URLS: proxies.map((proxy) => proxy.url).join(',') },
    nodeUrls: cluster.urls,
    take: () => proxies.flatMap((proxy) => proxy.take()).sort((a, b) => a.phase - b.phase),
    stop,
  };
}

async function configSet(port: number, name: string, value: number): Promise<void> {
  const client = await connectRedis({ url: `redis://127.0.0.1:${port}` });
  try {
    await client.configSet(name, String(value));
  } finally {
    await client.close();
  }
}

/** The masters' ports in the slot map the node on `port` hands out, sorted and joined. */
async function announcedPorts(port: number): Promise<string> {
  const client = await connectRedis({ url: `redis://127.0.0.1:${port}` });
  try {
    const slots = await client.clusterSlots();
    return [...new Set(slots.map((range) => range.master.port))].sort().join();
  } finally {
    await client.close();
  }
}
