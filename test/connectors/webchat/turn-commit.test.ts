import type { Activity, TranscriptStore } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import {
  type ConversationStore,
  MemoryConversationStore,
} from '../../../connectors/webchat/conversation-store.js';
import { RedisConversationStore } from '../../../connectors/webchat/redis-conversation-store.js';
import { TurnCommit } from '../../../core/turn-commit.js';
import type { InboundBackend } from '../../../storage/inbound-backend.js';
import { MemoryInboundBackend } from '../../../storage/memory-inbound-backend.js';
import { MemoryTranscriptStore } from '../../../storage/memory-transcript-store.js';
import { connectRedis } from '../../../storage/redis-connection.js';
import { RedisInboundBackend } from '../../../storage/redis-inbound-backend.js';
import { RedisTranscriptStore } from '../../../storage/redis-transcript-store.js';
import { useRedis } from '../../support/redis-fixture.js';
import { startRedisServer } from '../../support/redis-server.js';

const redis = useRedis();
const cluster = useRedis('cluster');

interface World {
  store: ConversationStore;
  backend: InboundBackend;
  transcripts: TranscriptStore;
}

function redisWorld(client: Awaited<ReturnType<typeof redis.connect>>, prefix: string): World {
  const transcripts = new RedisTranscriptStore(client, { prefix });
  return {
    store: new RedisConversationStore(client, { prefix }),
    backend: new RedisInboundBackend(client, { prefix, name: 'webchat', transcripts }),
    transcripts,
  };
}

/** A queued turn's commit as the pipeline leaves it: the inbound message and one held reply. */
function turnCommit(
  world: World,
  conversationId: string,
  inbound: Partial<Activity>,
  reply: string,
): TurnCommit {
  const commit = new TurnCommit({
    channelId: 'webchat',
    conversationId,
    transcripts: world.transcripts,
    replies: true,
  });
  const conversation = { id: conversationId } as Activity['conversation'];
  // As the transcript stage hands them over: each with the time it was received or sent.
  const received = { ...inbound, channelId: 'webchat', conversation, timestamp: new Date(Date.now() - 1) };
  commit.logs(world.transcripts, [{ activity: received as Activity }]);
  commit.holdReplies();
  const held = commit.reply({ type: 'message', text: reply }, `reply:${inbound.id}:0`);
  const sent = { type: 'message', text: reply, channelId: 'webchat', conversation, timestamp: new Date() };
  commit.logs(world.transcripts, [{ activity: sent as Activity, reply: commit.replyOf(held) ?? -1 }]);
  return commit;
}

async function transcriptOf(world: World, conversationId: string): Promise<[string | undefined, string][]> {
  const page = await world.transcripts.getTranscriptActivities('webchat', conversationId);
  return page.items.map((activity) => [activity.text, activity.id ?? '']);
}

describe.each([
  [
    'memory',
    async (): Promise<World> => {
      const transcripts = new MemoryTranscriptStore();
      return {
        store: new MemoryConversationStore(),
        backend: new MemoryInboundBackend(undefined, undefined, undefined, transcripts),
        transcripts,
      };
    },
  ],
  ['Redis', async () => redisWorld(await redis.connect(), `${redis.prefix}-commit`)],
  ['Redis Cluster', async () => redisWorld(await cluster.connect(), `${cluster.prefix}-commit`)],
])('%s turn commit', (_name, make) => {
  it('shows a queued turn’s replies, writes its transcript with their ids and takes the next message in one step', async () => {
    const world = await make();
    const { store, backend } = world;
    const id = `commit-{${Math.random().toString(36).slice(2)}}`;
    const partition = `webchat:${id}`;
    const holder = { token: 'drain', ttlMs: 5_000 };
    await store.create({ id, userId: 'u1', createdAt: 0 });
    const turn = (text: string) => (activityId: string) => ({ type: 'message', text, id: activityId });
    const echo = { type: 'message', text: 'where is my order?' };
    const posted = await store.post(id, echo, 'post:1', turn(echo.text), { backend, partition, holder });
    const entry = posted.next?.kind === 'entry' ? posted.next.entry : undefined;
    if (!entry) throw new Error('the post did not claim its turn');
    await store.post(id, { type: 'message', text: 'thanks' }, 'post:2', turn('thanks'), {
      backend,
      partition,
      holder: undefined,
    });
    // Nothing of the turn shows before its commit.
    expect((await store.since(id, 0)).activities.map((activity) => activity.text)).toEqual([
      'where is my order?',
      'thanks',
    ]);
    expect(await transcriptOf(world, id)).toEqual([]);

    const commit = turnCommit(
      world,
      id,
      { type: 'message', text: echo.text, id: entry.id },
      'It has shipped.',
    );
    const next = await store.commit(id, { backend, partition, holder }, entry.key, commit);

    expect(next).toMatchObject({ kind: 'entry', entry: { id: `${id}|0000002` } });
    expect((await store.since(id, 0)).activities.map((activity) => [activity.text, activity.id])).toEqual([
      ['where is my order?', `${id}|0000001`],
      ['thanks', `${id}|0000002`],
      ['It has shipped.', `${id}|0000003`],
    ]);
    expect(await transcriptOf(world, id)).toEqual([
      ['where is my order?', `${id}|0000001`],
      ['It has shipped.', `${id}|0000003`],
    ]);
    const listed = await world.transcripts.listTranscripts('webchat');
    expect(listed.items.map((info) => info.id)).toContain(id);
  });
});

describe('a turn commit Redis refuses', () => {
  it('shows no reply and writes no transcript, and the turn run again shows each once', async () => {
    const server = await startRedisServer();
    const admin = await connectRedis({ url: server.url });
    const client = await connectRedis({ url: server.url });
    try {
      const world = redisWorld(client, 'refused');
      const { store, backend } = world;
      const id = 'refused-1';
      const partition = `webchat:${id}`;
      const holder = { token: 'drain', ttlMs: 5_000 };
      await store.create({ id, userId: 'u1', createdAt: 0 });
      const turn = (activityId: string) => ({ type: 'message', text: 'hi', id: activityId });
      const posted = await store.post(id, { type: 'message', text: 'hi' }, 'post:1', turn, {
        backend,
        partition,
        holder,
      });
      const entry = posted.next?.kind === 'entry' ? posted.next.entry : undefined;
      if (!entry) throw new Error('the post did not claim its turn');
      const inbound = { type: 'message', text: 'hi', id: entry.id };

      // Redis refuses writes (no replica to confirm them): the commit fails as a whole.
      await admin.configSet('min-replicas-to-write', '1');
      await expect(
        store.commit(id, { backend, partition, holder }, entry.key, turnCommit(world, id, inbound, 'Hello!')),
      ).rejects.toThrow();
      await admin.configSet('min-replicas-to-write', '0');
      expect((await store.since(id, 0)).activities.map((activity) => activity.text)).toEqual(['hi']);
      expect(await transcriptOf(world, id)).toEqual([]);

      // The entry is still there: the queue runs the turn again, and its commit goes through once.
      const again = await backend.next(partition, holder);
      expect(again).toMatchObject({ kind: 'entry', entry: { id: entry.id, attempt: 2 } });
      const next = await store.commit(
        id,
        { backend, partition, holder },
        entry.key,
        turnCommit(world, id, inbound, 'Hello!'),
      );
      expect(next).toEqual({ kind: 'empty' });
      expect((await store.since(id, 0)).activities.map((activity) => activity.text)).toEqual([
        'hi',
        'Hello!',
      ]);
      expect(await transcriptOf(world, id)).toEqual([
        ['hi', `${id}|0000001`],
        ['Hello!', `${id}|0000002`],
      ]);
    } finally {
      await client.close();
      await admin.close();
      await server.stop();
    }
  });
});
