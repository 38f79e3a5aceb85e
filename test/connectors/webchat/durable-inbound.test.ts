import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { TurnLogic } from '../../../core/channel.js';
import { connectRedis, type RedisConnection } from '../../../storage/redis-connection.js';
import { startRedisServer } from '../../support/redis-server.js';
import { startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';

describe('web chat on the durable inbound queue', () => {
  let server: WebChatServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A private Redis the test can make refuse writes (`admin`), closed with the server after `test`. */
  async function withPrivateRedis(test: (admin: RedisConnection, url: string) => Promise<void>) {
    const redis = await startRedisServer();
    const admin = await connectRedis({ url: redis.url });
    try {
      await test(admin, redis.url);
    } finally {
      await server?.close();
      server = undefined;
      await admin.close();
      await redis.stop();
    }
  }

  async function open(
    bot: TurnLogic,
    options: { redis?: boolean; redisUrl?: string; visibilityMs?: number } = {},
  ) {
    const redisUrl = options.redisUrl ?? (options.redis ? inject('redisUrl') : undefined);
    server = await startWebChatServer({
      bot,
      ...(redisUrl ? { redisUrl, prefix: `durable-${randomUUID()}` } : {}),
      ...(options.visibilityMs ? { visibilityMs: options.visibilityMs } : {}),
    });
    const domain = server.domain;
    const grant = (await (await fetch(`${domain}/conversations`, { method: 'POST' })).json()) as {
      conversationId: string;
      token: string;
    };
    const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
    const url = `${domain}/conversations/${grant.conversationId}/activities`;
    return {
      conversationId: grant.conversationId,
      post: async (body: object) => {
        const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
        expect(response.status).toBe(200);
        return ((await response.json()) as { id: string }).id;
      },
      postRaw: (body: object) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }),
      messages: async () => {
        const set = (await (await fetch(url, { headers })).json()) as {
          activities: { type: string; text?: string; from: { role: string }; replyToId?: string }[];
        };
        return set.activities.filter((activity) => activity.type === 'message');
      },
    };
  }

  it('answers a post retried with the same clientActivityID once, with the first post’s id', async () => {
    let turns = 0;
    const chat = await open(async (context) => {
      if (context.activity.type !== 'message') return;
      turns++;
      await context.sendActivity(`echo: ${context.activity.text}`);
    });
    const body = { type: 'message', text: 'hello', channelData: { clientActivityID: 'web-1' } };
    const first = await chat.post(body);
    // The connection dropped before the client saw the answer: it sends the same activity again.
    expect(await chat.post(body)).toBe(first);
    expect(turns).toBe(1);
    expect((await chat.messages()).map((activity) => activity.text)).toEqual(['hello', 'echo: hello']);
  });

  it('runs a turn that failed half-way again, and the customer sees each reply once, in order', async () => {
    let attempts = 0;
    const chat = await open(
      async (context) => {
        if (context.activity.type !== 'message') return;
        await context.sendActivity('Let me look that up.');
        if (++attempts === 1) throw new Error('the process lost Redis in the middle of the turn');
        await context.sendActivity('Your order has shipped.');
      },
      { redis: true, visibilityMs: 1_000 },
    );
    const id = await chat.post({ type: 'message', text: 'where is my order?' });
    // Posted while the first turn waits for its retry: its turn must not overtake the first one.
    const next = await chat.post({ type: 'message', text: 'thanks' });
    const replies = async () =>
      (await chat.messages())
        .filter((activity) => activity.from.role === 'bot')
        .map((activity) => [activity.replyToId, activity.text]);
    await expect.poll(replies, { timeout: 10_000 }).toEqual([
      [id, 'Let me look that up.'],
      [id, 'Your order has shipped.'],
      [next, 'Let me look that up.'],
      [next, 'Your order has shipped.'],
    ]);
    expect(attempts).toBe(3);
  });

  it('answers a post it could not queue with a 5xx and a JSON reason, and takes the retry once Redis writes again', async () => {
    await withPrivateRedis(async (admin, url) => {
      let turns = 0;
      const chat = await open(
        async (context) => {
          if (context.activity.type !== 'message') return;
          turns++;
          await context.sendActivity(`echo: ${context.activity.text}`);
        },
        { redisUrl: url },
      );
      await chat.post({ type: 'message', text: 'first' });
      // Redis refuses every write (no replica to confirm it): the post's one script fails.
      await admin.configSet('min-replicas-to-write', '1');
      const body = { type: 'message', text: 'second', channelData: { clientActivityID: 'web-2' } };
      const refused = await chat.postRaw(body);
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(await refused.json()).toMatchObject({ error: { code: 'ServiceError' } });
      await admin.configSet('min-replicas-to-write', '0');
      await chat.post(body);
      expect(turns).toBe(2);
      expect((await chat.messages()).map((activity) => activity.text)).toEqual([
        'first',
        'echo: first',
        'second',
        'echo: second',
      ]);
    });
  });

  it('finishes a turn whose commit Redis refused for a moment without running it again', async () => {
    await withPrivateRedis(async (admin, url) => {
      let turns = 0;
      const chat = await open(
        async (context) => {
          if (context.activity.type !== 'message') return;
          turns++;
          await context.sendActivity(`echo: ${context.activity.text}`);
          // Redis refuses writes (a failover) from here until shortly after the turn ended.
          await admin.configSet('min-replicas-to-write', '1');
          setTimeout(() => void admin.configSet('min-replicas-to-write', '0').catch(() => {}), 300);
        },
        { redisUrl: url, visibilityMs: 5_000 },
      );
      await chat.post({ type: 'message', text: 'hello' });
      await expect.poll(chat.messages, { timeout: 5_000 }).toHaveLength(2);
      expect((await chat.messages()).map((activity) => activity.text)).toEqual(['hello', 'echo: hello']);
      expect(turns).toBe(1);
      const transcript = await server?.stores.transcripts.getTranscriptActivities(
        'webchat',
        chat.conversationId,
      );
      const logged = transcript?.items.filter((activity) => activity.type === 'message');
      expect(logged?.map((activity) => activity.text)).toEqual(['hello', 'echo: hello']);
    });
  });
});
