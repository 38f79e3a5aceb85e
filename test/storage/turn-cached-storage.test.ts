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

describe('storage that keeps a turn’s reads for its later stages', () => {
  it('reads the state and the kept items in one go, and hands the kept ones out as copies until released', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const { storage, readKeys } = await processStorage(prefix);
    await storage.write({ own: { n: 0 }, a: { n: 1 } });
    const { items, release } = await storage.readForTurn(['own'], ['a', 'missing']);
    expect(items).toMatchObject({ own: { n: 0 }, a: { n: 1 } });
    expect(readKeys).toEqual(['own', 'a', 'missing']);
    const first = await storage.read(['a', 'missing']);
    (first.a as { n: number }).n = 99;
    expect(await storage.read(['missing', 'a'])).toEqual({ a: expect.objectContaining({ n: 1 }) });
    expect(readKeys).toEqual(['own', 'a', 'missing']);
    // Once the turn is over every read goes to Redis again.
    release();
    await storage.read(['a']);
    expect(readKeys).toEqual(['own', 'a', 'missing', 'a']);
  });

  it('hands a kept item to readers that only look at it without a copy, and copies for the others', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const { storage, readKeys } = await processStorage(prefix);
    await storage.write({ own: { n: 0 }, a: { n: 1 } });
    const { release } = await storage.readForTurn(['own'], ['a']);
    const shared = await storage.read(['a'], { readOnly: true });
    expect((await storage.read(['a'], { readOnly: true })).a).toBe(shared.a);
    const copy = await storage.read(['a']);
    expect(copy.a).not.toBe(shared.a);
    expect(copy.a).toEqual(shared.a);
    expect(readKeys).toEqual(['own', 'a']);
    release();
  });

  it('still rejects a stale eTag when another process wrote after the turn read, and the retry reads the new item', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const one = await processStorage(prefix);
    const two = await processStorage(prefix);
    const handoffOne = new ConversationStateStore(one.storage);
    const handoffTwo = new ConversationStateStore(two.storage);
    await handoffOne.write('webchat', 'c1', await handoffOne.read('webchat', 'c1'));
    const { release } = await one.storage.readForTurn([], ['handoff/conversation/webchat/c1']);
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
    release();
    expect(attempts).toBe(2);
    expect(await handoffTwo.read('webchat', 'c1')).toMatchObject({
      activeHandoffId: 'h-2',
      lastActivityId: 'a-1',
    });
  });

  it('reads a kept item again once it was written or deleted', async () => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    const { storage } = await processStorage(prefix);
    const { release } = await storage.readForTurn([], ['k']);
    expect(await storage.read(['k'])).toEqual({});
    await storage.write({ k: { v: 'written' } });
    expect(await storage.read(['k'])).toEqual({ k: expect.objectContaining({ v: 'written' }) });
    await storage.delete(['k']);
    expect(await storage.read(['k'])).toEqual({});
    release();
  });
});
