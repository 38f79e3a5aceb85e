import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCluster, masterClients, scanKeys } from '../../storage/redis-connection.js';
import { RedisScript } from '../../storage/redis-script.js';
import { createStores, type Stores } from '../../storage/stores.js';
import { type RedisClusterServers, startRedisCluster } from '../support/redis-cluster.js';

/** A key name on each master: one of these ten lands on every master of a 3-master cluster. */
const SPREAD = Array.from({ length: 10 }, (_, i) => `spread-${i}`);

// A cluster of its own: this file stops and flushes masters, which the shared one must never see.
describe('Relevo stores on a Redis Cluster whose masters restart', () => {
  let cluster: RedisClusterServers;
  let stores: Stores;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    stores = await createStores({ redisClusterUrls: cluster.urls.slice(0, 1) });
  });

  afterAll(async () => {
    await stores?.close();
    await cluster?.stop();
  });

  it('finds the other masters from one seed, and scans keys on every one of them', async () => {
    const client = stores.redis;
    if (!client) throw new Error('the stores run on Redis');
    expect(stores.kind).toBe('redis-cluster');
    await stores.storage.write(Object.fromEntries(SPREAD.map((key) => [key, { ok: true }])));
    const perMaster = await Promise.all(
      (await masterClients(client)).map(async (node) => (await node.keys('relevo:state:spread-*')).length),
    );
    expect(perMaster).toHaveLength(3);
    expect(perMaster.every((count) => count > 0)).toBe(true);
    const scanned: string[] = [];
    for await (const batch of scanKeys(client, 'relevo:state:spread-*', 2)) scanned.push(...batch);
    expect(scanned.sort()).toEqual(SPREAD.map((key) => `relevo:state:${key}`).sort());
  });

  it('runs its Lua scripts on every master, again after each one forgot them', async () => {
    const client = stores.redis;
    if (!client) throw new Error('the stores run on Redis');
    const echo = new RedisScript("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");
    for (let round = 0; round < 2; round++) {
      for (const key of SPREAD)
        expect(await echo.run(client, [`echo:${key}`], [`round ${round}`])).toBe(`round ${round}`);
      await Promise.all((await masterClients(client)).map((node) => node.scriptFlush()));
    }
  });

  it('says it is unhealthy while one master is down, and serves every slot again once it is back', async () => {
    await cluster.stopNode(1);
    await expect.poll(() => stores.ping(), { timeout: 10_000 }).toBe(false);
    // Without a replica to take over, commands for the missing master's slots wait for it, and the
    // other masters refuse theirs (CLUSTERDOWN) once they see it failed: the write settles either
    // way once the master is back, and never hangs.
    const during = stores.storage
      .write(Object.fromEntries(SPREAD.map((key) => [key, { during: true }])))
      .then(
        () => 'written',
        (error: Error) => error.message,
      );
    await cluster.startNode(1);
    expect(await during).toMatch(/^written$|CLUSTERDOWN/);
    await expect.poll(() => stores.ping(), { timeout: 10_000 }).toBe(true);
    await stores.storage.write(Object.fromEntries(SPREAD.map((key) => [key, { queued: true }])));
    const read = await stores.storage.read(SPREAD);
    expect(SPREAD.map((key) => read[key]?.queued)).toEqual(SPREAD.map(() => true));
  });

  it('serves reads, writes, locks and pub/sub again after the master of a subscribed channel restarts', async () => {
    const client = stores.redis;
    if (!client || !isCluster(client)) throw new Error('the stores run on a Redis Cluster');
    const received: string[] = [];
    await stores.pubsub.subscribe('after-restart', (message) => received.push(message));
    // Sharded pub/sub lives on the master of the channel's slot: restart that one.
    const { port } = client.getSlotMaster(await client.clusterKeySlot('relevo:bus:after-restart'));
    const owner = cluster.urls.indexOf(`redis://127.0.0.1:${port}`);
    expect(owner).toBeGreaterThanOrEqual(0);
    await cluster.stopNode(owner);
    await cluster.startNode(owner);
    await expect.poll(() => stores.ping(), { timeout: 10_000 }).toBe(true);
    await stores.storage.write(Object.fromEntries(SPREAD.map((key) => [key, { after: true }])));
    const read = await stores.storage.read(SPREAD);
    expect(SPREAD.map((key) => read[key]?.after)).toEqual(SPREAD.map(() => true));
    const locks = await Promise.all(SPREAD.map((key) => stores.locks.acquire(key, { ttlMs: 5_000 })));
    expect(await Promise.all(locks.map((lock) => lock.release()))).toEqual(SPREAD.map(() => true));
    await expect
      .poll(
        async () => {
          await stores.pubsub.publish('after-restart', 'ping');
          return received.length > 0;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
  });
});
