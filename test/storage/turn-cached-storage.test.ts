import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { ConversationStateStore } from '../../handoff/conversation-state.js';
import { RedisStorage } from '../../storage/redis-storage.js';
import { TurnCachedStorage } from '../../storage/turn-cached-storage.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();

/** A process's storage on the shared Redis, counting the keys it reads from Redis. */
async function processStorage(prefix: string) {
  const inner = new RedisStorage(await redis.connect(), { prefix });
  const readKeys: string[] = [];
  const counting: Storage = {
    read: async (keys) => {
      readKeys.push(...keys);
      return inner.read(keys);
    },
    write: (changes: StoreItems) => inner.write(changes),
    delete: (keys) => inner.delete(keys),
  };
  return { storage: new TurnCachedStorage(counting), readKeys };
}

describe('storage shared within a turn', () => {
  it('hands what the turn read to every later reader without reading Redis again, as copies', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const { storage, readKeys } = await processStorage(prefix);
    await storage.write({ a: { n: 1 }, b: { n: 2 } });
    await storage.run(async () => {
      const first = await storage.read(['a', 'b', 'missing']);
      (first.a as { n: number }).n = 99;
      const again = await storage.read(['b', 'a', 'missing']);
      expect(again).toEqual({ a: expect.objectContaining({ n: 1 }), b: expect.objectContaining({ n: 2 }) });
    });
    expect(readKeys).toEqual(['a', 'b', 'missing']);
    // After the turn (a timer it started, the next turn) every read goes to Redis again.
    await storage.read(['a']);
    expect(readKeys).toEqual(['a', 'b', 'missing', 'a']);
  });

  it('still rejects a stale eTag when another process wrote after the turn read, and the retry reads the new item', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const one = await processStorage(prefix);
    const two = await processStorage(prefix);
    const handoffOne = new ConversationStateStore(one.storage);
    const handoffTwo = new ConversationStateStore(two.storage);
    await handoffOne.write('webchat', 'c1', await handoffOne.read('webchat', 'c1'));
    await one.storage.run(async () => {
      await handoffOne.read('webchat', 'c1');
      // Another process changes the item after this turn read it.
      await handoffTwo.update('webchat', 'c1', (state) => ({
        state: { ...state, activeHandoffId: 'h-2' },
        result: undefined,
      }));
      let attempts = 0;
      await handoffOne.update('webchat', 'c1', (state) => {
        attempts++;
        return { state: { ...state, lastActivityId: 'a-1' }, result: undefined };
      });
      expect(attempts).toBe(2);
    });
    expect(await handoffTwo.read('webchat', 'c1')).toMatchObject({
      activeHandoffId: 'h-2',
      lastActivityId: 'a-1',
    });
  });

  it('reads an item again within the turn once the turn wrote or deleted it', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const { storage } = await processStorage(prefix);
    await storage.run(async () => {
      expect(await storage.read(['k'])).toEqual({});
      await storage.write({ k: { v: 'written' } });
      expect(await storage.read(['k'])).toEqual({ k: expect.objectContaining({ v: 'written' }) });
      await storage.delete(['k']);
      expect(await storage.read(['k'])).toEqual({});
    });
  });
});
