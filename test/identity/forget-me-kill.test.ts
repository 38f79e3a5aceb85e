import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ERASED_CONVERSATION_TTL_MS } from '../../core/turn-commit.js';
import { type RedisConnection, scanKeys } from '../../storage/redis-connection.js';
import { conversationTag } from '../../storage/redis-keys.js';
import { createStores, type StoresOptions } from '../../storage/stores.js';
import { customerOf, startDoomedServer } from '../support/doomed-server.js';

const deployments: [string, () => StoresOptions, () => Record<string, string>][] = [
  ['one Redis', () => ({ redisUrl: inject('redisUrl') }), () => ({ REDIS_URL: inject('redisUrl') })],
  [
    'a Redis Cluster',
    () => ({ redisClusterUrls: inject('redisClusterUrls') }),
    () => ({ REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(',') }),
  ],
];

/** Every key under the web chat conversation's hash tag, with the milliseconds it has left (-1: for good). */
async function keysOf(redis: RedisConnection, prefix: string, conversationId: string) {
  const tag = conversationTag('webchat', conversationId);
  const found: Record<string, number> = {};
  for await (const keys of scanKeys(redis, `${prefix}:*${tag}*`)) {
    for (const key of keys)
      found[key.replace(`${prefix}:`, '').replace(tag, '{tag}')] = await redis.pTTL(key);
  }
  return found;
}

describe('"forget me" on web chat, its process killed between the goodbye and the conversation’s delete', () => {
  let doomed: ChildProcess | undefined;
  afterEach(() => {
    doomed?.kill('SIGKILL');
    doomed = undefined;
  });

  it.each(deployments)(
    'leaves nothing of the conversation in Redis for longer than minutes (%s)',
    async (_name, storesOptions, env) => {
      const prefix = `forgetkill-${randomUUID().slice(0, 8)}`;
      const first = await startDoomedServer({
        ...env(),
        REDIS_KEY_PREFIX: prefix,
        AGENT: '1',
        KILL_BEFORE_DELETING: ':dl:',
      });
      doomed = first.server.child;
      const customer = await customerOf(first.base);
      expect((await customer.post(first.base, 'forget me')).status).toBe(200);
      expect((await customer.messages(first.base)).at(-1)).toMatch(/Go ahead\?/);
      await customer.post(first.base, 'yes').catch(() => undefined);
      await first.server.exited();
      expect(first.server.child.signalCode).toBe('SIGKILL');
      doomed = undefined;

      const stores = await createStores({ ...storesOptions(), prefix });
      try {
        const redis = stores.redis as RedisConnection;
        const tag = conversationTag('webchat', customer.conversationId);
        // The goodbye's commit landed: the customer was shown it, from the log its delete did not reach.
        const log = await redis.lRange(`${prefix}:dl:${tag}:log`, 0, -1);
        expect(log.at(-1)).toContain('Everything we held about you is erased');
        const left = await keysOf(redis, prefix, customer.conversationId);
        // The log, its record and keys, and the state holding the turn's outbox (the goodbye, the keys
        // still to erase) go within minutes, on Redis's own clock, with no process left to delete them.
        const shortLived = [
          'dl:{tag}:log',
          'dl:{tag}:meta',
          'dl:{tag}:appended',
          `state:{tag}:webchat/conversations/${customer.conversationId}`,
        ];
        for (const key of shortLived) {
          expect(left[key], key).toBeGreaterThan(0);
          expect(left[key], key).toBeLessThanOrEqual(ERASED_CONVERSATION_TTL_MS);
        }
        // Besides them only the inbound queue's bookkeeping: its emptied stream and the ids it has seen
        // (for its 24 h of dedupe), nothing the customer said.
        expect(
          Object.keys(left)
            .filter((key) => !shortLived.includes(key))
            .sort(),
        ).toEqual(['inq:webchat:{tag}:log', 'inq:webchat:{tag}:seen']);
        expect(await redis.xLen(`${prefix}:inq:webchat:${tag}:log`)).toBe(0);
      } finally {
        await stores.close();
      }
    },
  );
});
