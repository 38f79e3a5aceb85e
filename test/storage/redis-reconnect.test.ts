import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStores, type Stores } from '../../storage/stores.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

// A Redis of its own: this file restarts it, which the shared one must never see.
describe('Redis stores across a Redis restart', () => {
  let server: RedisServer;
  let stores: Stores;

  beforeAll(async () => {
    server = await startRedisServer();
    stores = await createStores({ redisUrl: server.url });
  });

  afterAll(async () => {
    await stores?.close();
    await server?.stop();
  });

  it('reconnects after Redis restarts, serving reads, writes and pub/sub again without crashing', async () => {
    const received: string[] = [];
    await stores.pubsub.subscribe('after-restart', (message) => received.push(message));
    await stores.storage.write({ before: { ok: true } });

    await server.restart();
    // While Redis was away the health check says so instead of hanging.
    await expect.poll(() => stores.ping(), { timeout: 10_000 }).toBe(true);

    await stores.storage.write({ after: { ok: true } });
    expect(await stores.storage.read(['after'])).toMatchObject({ after: { ok: true } });
    expect(await stores.idempotency.claim('event-after-restart')).toBe(true);
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

  it('reports Redis unreachable while it is down, and queues writes until it is back', async () => {
    await server.stop();
    await expect.poll(() => stores.ping(), { timeout: 5_000 }).toBe(false);
    const pending = stores.storage.write({ queued: { n: 1 } });
    await server.restart();
    await pending;
    expect(await stores.storage.read(['queued'])).toMatchObject({ queued: { n: 1 } });
  });

  it('says it is unhealthy within 2 s while Redis hangs, and finishes the waiting writes once it answers', async () => {
    server.pause();
    try {
      const write = stores.storage.write({ during: { ok: true } });
      const startedAt = Date.now();
      expect(await stores.ping()).toBe(false);
      expect(Date.now() - startedAt).toBeLessThan(4_000);
      server.resume();
      await write;
    } finally {
      server.resume();
    }
    expect(await stores.storage.read(['during'])).toMatchObject({ during: { ok: true } });
    expect(await stores.ping()).toBe(true);
  });
});
