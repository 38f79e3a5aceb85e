import { describe, expect, it } from 'vitest';
import {
  type ConversationStore,
  type Delivery,
  deliveryChannel,
  MemoryConversationStore,
} from '../../../connectors/webchat/conversation-store.js';
import {
  RECORD_CACHE_MS,
  RedisConversationStore,
  SIGNING_KEY_CACHE_MS,
} from '../../../connectors/webchat/redis-conversation-store.js';
import type { InboundBackend } from '../../../storage/inbound-backend.js';
import { MemoryInboundBackend } from '../../../storage/memory-inbound-backend.js';
import { MemoryPubSub } from '../../../storage/memory-pubsub.js';
import { RedisInboundBackend } from '../../../storage/redis-inbound-backend.js';
import { RedisPubSub } from '../../../storage/redis-pubsub.js';
import type { PubSub } from '../../../storage/types.js';
import { useRedis } from '../../support/redis-fixture.js';

const redis = useRedis();
const cluster = useRedis('cluster');

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

describe('RedisConversationStore records', () => {
  it('reads a conversation record once a minute per process, and never remembers a missing one', async () => {
    const client = await redis.connect();
    let now = 1_000_000;
    const clock = { now: () => now };
    const prefix = `${redis.prefix}-records`;
    const writer = new RedisConversationStore(client, { prefix, clock });
    const reader = new RedisConversationStore(client, { prefix, clock });
    expect(await reader.get('r1')).toBeUndefined();
    await writer.create({ id: 'r1', userId: 'u1', locale: 'es-ES', createdAt: 5 });
    expect(await reader.get('r1')).toEqual({ id: 'r1', userId: 'u1', locale: 'es-ES', createdAt: 5 });

    // Redis lost the record: each process goes on with what it read for at most a minute.
    const gets = () => client.info('commandstats').then((info) => /cmdstat_get:calls=(\d+)/.exec(info)?.[1]);
    await client.del(await client.keys(`${prefix}:dl:*`));
    const before = await gets();
    expect(await reader.get('r1')).toMatchObject({ userId: 'u1' });
    expect(await writer.get('r1')).toMatchObject({ userId: 'u1' });
    expect(await gets()).toBe(before);
    now += RECORD_CACHE_MS;
    expect(await reader.get('r1')).toBeUndefined();
    expect(await writer.get('r1')).toBeUndefined();
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

/** Collects what a store announces on a conversation's delivery channel. */
async function listen(pubsub: PubSub, conversationId: string): Promise<Delivery[]> {
  const heard: Delivery[] = [];
  await pubsub.subscribe(deliveryChannel(conversationId), (message) => heard.push(JSON.parse(message)));
  return heard;
}

describe.each([
  [
    'memory',
    async () => {
      const pubsub = new MemoryPubSub();
      return {
        store: new MemoryConversationStore({ pubsub }) as ConversationStore,
        pubsub: pubsub as PubSub,
      };
    },
  ],
  [
    'Redis',
    async () => {
      const client = await redis.connect();
      const prefix = `${redis.prefix}-announce`;
      return {
        store: new RedisConversationStore(client, { prefix }),
        pubsub: new RedisPubSub(client, { prefix }),
      };
    },
  ],
  [
    'Redis Cluster',
    async () => {
      const client = await cluster.connect();
      const prefix = `${cluster.prefix}-announce`;
      return {
        store: new RedisConversationStore(client, { prefix }),
        pubsub: new RedisPubSub(client, { prefix }),
      };
    },
  ],
])('%s conversation log announcements', (_name, make) => {
  it('announces the new activities of an append, with their ids, to every listener, and repeats none', async () => {
    const { store, pubsub } = await make();
    const id = `conv-{${Math.random().toString(36).slice(2)}}/é"`;
    await store.create({ id, userId: 'u1', createdAt: 0 });
    const heard = await listen(pubsub, id);
    await store.append(id, [{ type: 'message', text: 'hi "there"', attachments: [] }], ['post:1']);
    await store.append(
      id,
      [{ type: 'message', text: 'again' }, {}, { type: 'typing' }],
      ['post:1', 'reply:0', undefined],
    );
    await store.append(id, [{ type: 'message', text: 'again' }], ['post:1']);
    await expect.poll(() => heard.length).toBe(2);
    expect(heard[0]).toEqual({
      activities: [{ type: 'message', text: 'hi "there"', attachments: [], id: `${id}|0000001` }],
      watermark: 1,
      after: 0,
    });
    expect(heard[1]).toEqual({
      activities: [{ id: `${id}|0000002` }, { type: 'typing', id: `${id}|0000003` }],
      watermark: 3,
      after: 1,
    });
    await pubsub.close();
  });
});

describe.each([
  [
    'memory',
    async () => ({
      store: new MemoryConversationStore() as ConversationStore,
      backend: new MemoryInboundBackend() as InboundBackend,
    }),
  ],
  [
    'Redis',
    async () => {
      const client = await redis.connect();
      const prefix = `${redis.prefix}-post`;
      return {
        store: new RedisConversationStore(client, { prefix }),
        backend: new RedisInboundBackend(client, { prefix, name: 'webchat' }),
      };
    },
  ],
  [
    'Redis Cluster',
    async () => {
      const client = await cluster.connect();
      const prefix = `${cluster.prefix}-post`;
      return {
        store: new RedisConversationStore(client, { prefix }),
        backend: new RedisInboundBackend(client, { prefix, name: 'webchat' }),
      };
    },
  ],
])('%s post', (_name, make) => {
  it('echoes a post and queues its turn under the echo’s id at once, and a retried post neither', async () => {
    const { store, backend } = await make();
    const id = `post-{${Math.random().toString(36).slice(2)}}`;
    const partition = `webchat:${id}`;
    await store.create({ id, userId: 'u1', createdAt: 0 });
    const echo = { type: 'message', text: 'where is my order?' };
    const turn = (activityId: string) => ({ ...echo, id: activityId, locale: 'en-US' });
    const holder = { token: 'first', ttlMs: 5_000 };

    const first = await store.post(id, echo, 'post:web-1', turn, { backend, partition, holder });
    expect(first).toMatchObject({
      id: `${id}|0000001`,
      isNew: true,
      next: { kind: 'entry', entry: { id: `${id}|0000001`, attempt: 1 } },
    });
    const entry = first.next?.kind === 'entry' ? first.next.entry : undefined;
    expect(JSON.parse(entry?.json ?? '{}')).toEqual(turn(`${id}|0000001`));

    // The client retried: same id, not echoed again, not queued again.
    const retried = await store.post(id, echo, 'post:web-1', turn, { backend, partition, holder: undefined });
    expect(retried).toEqual({ id: `${id}|0000001`, isNew: false });
    // Another process posting meanwhile finds the conversation taken by the first.
    const other = await store.post(id, { type: 'message', text: 'hello?' }, undefined, turn, {
      backend,
      partition,
      holder: { token: 'other', ttlMs: 5_000 },
    });
    expect(other).toMatchObject({ id: `${id}|0000002`, isNew: true, next: { kind: 'busy' } });
    const log = await store.since(id, 0);
    expect(log.activities.map((activity) => [activity.id, activity.text])).toEqual([
      [`${id}|0000001`, 'where is my order?'],
      [`${id}|0000002`, 'hello?'],
    ]);
  });
});
