import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RedisProxy, startRedisProxy } from '../../../bench/support/redis-proxy.js';
import { loadConfig } from '../../../bots/config.js';
import { createRelevo, type Relevo } from '../../../bots/relevo.js';
import { silentLogger } from '../../../core/logger.js';
import { describeBurst, warmMessageBursts } from '../../support/warm-message-bursts.js';

/*
 * The composed agent on Redis behind the counting proxy of `npm run bench` (bench/support/redis-proxy.ts):
 * a round trip is a burst of commands written before Redis answered any of them.
 */
let proxy: RedisProxy;
let relevo: Relevo;
let base: string;

beforeAll(async () => {
  proxy = await startRedisProxy(Number(new URL(inject('redisUrl')).port));
  relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: proxy.url,
      REDIS_KEY_PREFIX: `rt-${randomUUID().slice(0, 8)}`,
    }),
    logger: silentLogger,
  });
  base = `http://127.0.0.1:${(await relevo.listen()).port}/v3/directline`;
});
afterAll(async () => {
  await relevo?.close();
  await proxy?.close();
});

describe('Redis round trips of a web chat message', () => {
  it('answers a warm message in four: the post, the rate count with the state read, the save, the commit', async () => {
    const perMessage = (await warmMessageBursts(base, () => proxy.take())).map((bursts) =>
      bursts.map(describeBurst),
    );
    const counts = perMessage.map((bursts) => bursts.length);
    const details = JSON.stringify(perMessage, null, 1);
    // One message in the six may show a fifth on a loaded machine: seen once in about thirty runs, at
    // load 13, before this test showed the bursts (one way: the proxy receives a write in two pieces
    // with Redis's first answer between them). Five for every message still fails.
    expect(counts.filter((count) => count === 4).length, details).toBeGreaterThanOrEqual(counts.length - 1);
    expect(Math.max(...counts), details).toBeLessThanOrEqual(5);
  });
});
