import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isBackgroundBurst, type RedisProxy, startRedisProxy } from '../../../bench/support/redis-proxy.js';
import { messageBody, postJson, RETAIL_MESSAGES } from '../../../bench/support/directline.js';
import { loadConfig } from '../../../bots/config.js';
import { createRelevo, type Relevo } from '../../../bots/relevo.js';
import { silentLogger } from '../../../core/logger.js';

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
    const started = await postJson(`${base}/conversations`, {});
    const { conversationId, token } = started.body as { conversationId: string; token: string };
    const post = async (text: string) => {
      const { status } = await postJson(
        `${base}/conversations/${conversationId}/activities`,
        messageBody(text),
        {
          authorization: `Bearer ${token}`,
        },
      );
      expect(status).toBe(200);
    };
    // Warm: the member is created and seen, the first points are earned.
    for (const text of RETAIL_MESSAGES.slice(0, 2)) await post(text);
    const perMessage: string[][][] = [];
    for (const text of RETAIL_MESSAGES) {
      proxy.take();
      await post(text);
      const own = proxy.take().filter((burst) => !isBackgroundBurst(burst));
      // Each burst as its commands' names and first keys, so a failure shows what went apart.
      perMessage.push(
        own.map((burst) => burst.commands.map((args) => `${args[0]} ${args[3] ?? args[1] ?? ''}`)),
      );
    }
    const counts = perMessage.map((bursts) => bursts.length);
    const details = JSON.stringify(perMessage, null, 1);
    // One message in the six may show a fifth on a loaded machine: seen once in about thirty runs, at
    // load 13, before this test showed the bursts (one way: the proxy receives a write in two pieces
    // with Redis's first answer between them). Five for every message still fails.
    expect(counts.filter((count) => count === 4).length, details).toBeGreaterThanOrEqual(counts.length - 1);
    expect(Math.max(...counts), details).toBeLessThanOrEqual(5);
  });
});
