import type { TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import type { RedisSingle } from '../../storage/redis-connection.js';
import { RedisStorage } from '../../storage/redis-storage.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();

describe('turn state on Redis', () => {
  it('saves a turn that changed its state, and writes nothing for one that only read it', async () => {
    const storage = new RedisStorage(await redis.connect(), { prefix: `${redis.prefix}-state` });
    const state = new StateMiddleware(storage);
    const notes = state.conversationProperty<{ text: string; at: number[] }>('notes');
    const adapter = new CollectingAdapter({ pipeline: [state] });
    adapter.logic = async (context: TurnContext) => {
      const text = context.activity.text ?? '';
      const current = await notes.get(context, { text: '', at: [] });
      if (text.startsWith('note '))
        await notes.set(context, { text: text.slice(5), at: [...current.at, 1.5] });
      await context.sendActivity(`notes: ${current.text || 'none'}`);
    };
    const key = 'test/conversations/conversation-1';
    await adapter.say('note ¡señal “α” ✓');
    const written = await storage.read([key]);
    await adapter.say('read');
    // Unchanged: the same eTag, so nothing was written.
    expect(await storage.read([key])).toEqual(written);
    await adapter.say('note again');
    expect((await storage.read([key]))[key]).toMatchObject({ notes: { text: 'again', at: [1.5, 1.5] } });
    expect(adapter.sent.map((a) => a.text)).toEqual([
      'notes: none',
      'notes: ¡señal “α” ✓',
      'notes: ¡señal “α” ✓',
    ]);
  });

  it('reads a turn’s few items in one command, and many items one key at a time so no read holds Redis for everyone', async () => {
    const client = await redis.connect();
    const storage = new RedisStorage(client, { prefix: `${redis.prefix}-many` });
    const keys = Array.from({ length: 40 }, (_, i) => `members/m-${i}/state`);
    await storage.write(Object.fromEntries(keys.map((key, i) => [key, { points: i }])));
    const single = client as RedisSingle;
    const id = await single.clientId();
    // What the storage's connection ran last, seen from another connection.
    const lastCommand = async () =>
      (await ((await redis.peer()) as RedisSingle).clientList({ ID: [String(id)] }))[0]?.cmd;

    const few = await storage.read(keys.slice(0, 4));
    expect(await lastCommand()).toBe('evalsha');
    const many = await storage.read(keys);
    expect(await lastCommand()).toBe('hmget');
    expect(Object.values(few).map((item) => item.points)).toEqual([0, 1, 2, 3]);
    expect(keys.map((key) => many[key]?.points)).toEqual(keys.map((_, i) => i));
  });
});
