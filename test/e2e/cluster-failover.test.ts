import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';
import {
  expectEveryPromiseKept,
  loyaltyPayingEveryMessage,
  orderCustomers,
} from '../support/order-customers.js';
import { type RedisClusterServers, startRedisCluster } from '../support/redis-cluster.js';
import { type RoundRobinProxy, startRoundRobinProxy } from '../support/round-robin-proxy.js';
import { type RelevoProcess, spawnRelevo } from '../support/spawn-relevo.js';

const run = promisify(execFile);
const CONVERSATIONS = 20;
const MESSAGES_EACH = 10;

// A 3+3 cluster of its own: this file kills a master, which the suite's shared cluster must never see.
describe('two Relevo processes on a Redis Cluster whose master crashes and whose replica takes over', () => {
  let dataDir: string;
  let cluster: RedisClusterServers;
  let client: RedisConnection;
  let processes: RelevoProcess[] = [];
  let proxy: RoundRobinProxy;
  const prefix = `failover-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'relevo-failover-'));
    cluster = await startRedisCluster(3, { replicas: 1 });
    client = await connectRedis({ clusterUrls: cluster.urls });
    const env = {
      PORT: '0',
      REDIS_CLUSTER_URLS: cluster.urls.join(','),
      REDIS_KEY_PREFIX: prefix,
      // A turn cut by the failover is taken over within 2 s.
      INBOUND_VISIBILITY_MS: '2000',
      // The shipped programme plus a rule that pays every message, so each message's credit is checked.
      LOYALTY_CONFIG_FILE: await loyaltyPayingEveryMessage(dataDir),
    };
    processes = [spawnRelevo(env), spawnRelevo(env)];
    proxy = await startRoundRobinProxy(await Promise.all(processes.map((each) => each.listening())));
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(processes.map((each) => each.stop()));
    if (client?.isOpen) client.destroy();
    await cluster?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('goes on answering every message once, keeps every transcript whole and credits every point once', async () => {
    const customers = orderCustomers(proxy.url, MESSAGES_EACH);
    const chats = Array.from({ length: CONVERSATIONS }, (_, index) => customers.chat(index));
    // The crash comes while customers are mid-conversation: master 0 dies without a word (SIGKILL).
    await expect.poll(customers.acknowledged, { timeout: 60_000, interval: 50 }).toBeGreaterThan(40);
    const [master] = cluster.ports;
    await cluster.killNode(0);
    // Its replica is promoted once the others have counted the master failed (cluster-node-timeout).
    await expect
      .poll(() => failed(cluster.ports[1] as number, master as number), { timeout: 30_000 })
      .toBe(true);
    await cluster.untilOk();
    const conversations = await Promise.all(chats);
    expect(customers.acknowledged()).toBe(CONVERSATIONS * MESSAGES_EACH);

    await expectEveryPromiseKept(customers, conversations, client, {
      prefix,
      messagesEach: MESSAGES_EACH,
      redisFlags: ['--redis-cluster-urls', cluster.urls.slice(1).join(',')],
      answeredWithinMs: 60_000,
    });
    // Every process served through the failover: none died or stopped answering.
    for (const each of processes) {
      expect(
        each.child.exitCode,
        `a server died; its last output:\n${each.output().slice(-4_000)}`,
      ).toBeNull();
    }
    expect(await (await fetch(`${proxy.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
  }, 240_000);
});

/** Whether the node on `port` counts the node on `deadPort` failed and its slots served by another. */
async function failed(port: number, deadPort: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'nodes']);
  const dead = stdout.split('\n').find((line) => line.includes(`127.0.0.1:${deadPort}@`));
  return dead !== undefined && / fail /.test(` ${dead.split(' ')[2]?.replaceAll(',', ' ')} `);
}
