import { describe, expect, it } from 'vitest';
import {
  MemoryConversationStore,
  RedisConversationStore,
  SIGNING_KEY_CACHE_MS,
} from '../../../connectors/webchat/conversation-store.js';
import { useRedis } from '../../support/redis-fixture.js';

const redis = useRedis();

describe('RedisConversationStore signing key', () => {
  it('gives every process the same key and reads it from Redis again only after a minute', async () => {
    const client = await redis.connect();
    let now = 1_000_000;
    const clock = { now: () => now };
    const first = new RedisConversationStore(client, { prefix: redis.prefix, clock });
    const second = new RedisConversationStore(client, { prefix: redis.prefix, clock });
    const key = await first.signingKey();
    expect(key).toHaveLength(32);
    expect(await second.signingKey()).toEqual(key);

    // Redis lost its data and another process minted a new key: the cached one is used until it expires.
    const keyName = `${redis.prefix}:dl:signing-key`;
    await client.set(keyName, Buffer.alloc(32, 7).toString('base64'));
    expect(await first.signingKey()).toEqual(key);
    now += SIGNING_KEY_CACHE_MS;
    expect(await first.signingKey()).toEqual(Buffer.alloc(32, 7));
  });
});

describe.each([
  ['memory', async () => new MemoryConversationStore()],
  ['Redis', async () => new RedisConversationStore(await redis.connect(), { prefix: `${redis.prefix}-log` })],
])('%s conversation log', (_name, makeStore) => {
  it('appends a turn’s replies at once, in order, each with its own id and watermark', async () => {
    const store = await makeStore();
    await store.create({ id: 'c1', userId: 'u1', createdAt: 0 });
    const first = await store.append('c1', [{ type: 'message', text: 'echo' }]);
    const replies = await store.append('c1', [
      { type: 'message', text: 'one' },
      { type: 'message', text: 'two' },
    ]);
    expect(first).toEqual({ ids: ['c1|0000001'], fresh: [true], watermark: 1 });
    expect(replies).toEqual({ ids: ['c1|0000002', 'c1|0000003'], fresh: [true, true], watermark: 3 });
    const set = await store.since('c1', 1);
    expect(set.activities.map((activity) => [activity.id, activity.text])).toEqual([
      ['c1|0000002', 'one'],
      ['c1|0000003', 'two'],
    ]);
    expect(set.watermark).toBe(3);
  });

  it('appends a keyed activity once: a retried post or a turn run again gets the first id back', async () => {
    const store = await makeStore();
    await store.create({ id: 'c2', userId: 'u1', createdAt: 0 });
    await store.append('c2', [{ type: 'message', text: 'hello' }], ['post:client-1']);
    const rerun = await store.append(
      'c2',
      [
        { type: 'message', text: 'hello again' },
        { type: 'message', text: 'reply 0' },
        { type: 'typing' },
        { type: 'message', text: 'reply 1' },
      ],
      ['post:client-1', 'reply:c2|0000001:0', undefined, 'reply:c2|0000001:1'],
    );
    expect(rerun).toEqual({
      ids: ['c2|0000001', 'c2|0000002', 'c2|0000003', 'c2|0000004'],
      fresh: [false, true, true, true],
      watermark: 4,
    });
    const again = await store.append(
      'c2',
      [
        { type: 'message', text: 'reply 0' },
        { type: 'message', text: 'reply 1' },
      ],
      ['reply:c2|0000001:0', 'reply:c2|0000001:1'],
    );
    expect(again).toEqual({ ids: ['c2|0000002', 'c2|0000004'], fresh: [false, false], watermark: 4 });
    const set = await store.since('c2', 0);
    expect(set.activities.map((activity) => activity.text ?? activity.type)).toEqual([
      'hello',
      'reply 0',
      'typing',
      'reply 1',
    ]);
  });
});
