import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';
import { ERASED_CONVERSATION_TTL_MS } from '../../core/turn-commit.js';
import { scanKeys } from '../../storage/redis-connection.js';
import { conversationTag } from '../../storage/redis-keys.js';
import { openDirectLine } from '../support/directline-client.js';

const TOKEN = 'erase-webchat-token-0123456789';

describe.each([
  { storage: 'Redis', env: () => ({ REDIS_URL: inject('redisUrl') }) },
  { storage: 'memory', env: () => ({}) },
])('erasing a member deletes their web chat conversations on $storage', ({ storage, env }) => {
  const prefix = `test-dlerase-${randomUUID().slice(0, 8)}`;
  let relevo: Relevo;
  let base: string;

  beforeAll(async () => {
    relevo = await createRelevo({
      config: loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        RELEVO_API_TOKEN: TOKEN,
        REDIS_KEY_PREFIX: prefix,
        ...env(),
      }),
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${(await relevo.listen()).port}`;
  });
  afterAll(() => relevo?.close());

  /** A web chat conversation over a WebSocket, as Web Chat holds it, with its token. */
  async function chat() {
    const response = await fetch(`${base}/v3/directline/conversations`, { method: 'POST' });
    const grant = (await response.json()) as { conversationId: string; token: string };
    const session = openDirectLine({
      domain: `${base}/v3/directline`,
      token: grant.token,
      conversationId: grant.conversationId,
      webSocket: true,
    });
    const activities = () =>
      fetch(`${base}/v3/directline/conversations/${grant.conversationId}/activities`, {
        headers: { authorization: `Bearer ${grant.token}` },
      });
    return { ...grant, session, activities };
  }

  /** The Direct Line keys of a conversation left in Redis (none on the memory store). */
  async function directLineKeys(conversationId: string): Promise<string[]> {
    const client = relevo.stores.redis;
    if (!client) return [];
    const found: string[] = [];
    // The conversation's keys are named by its hash tag (storage/redis-keys.ts), not its id.
    for await (const keys of scanKeys(
      client,
      `${prefix}:dl:${conversationTag('webchat', conversationId)}:*`,
    )) {
      found.push(...keys);
    }
    return found;
  }

  async function memberOf(userId: string): Promise<string> {
    const response = await fetch(`${base}/api/members/by-key/${encodeURIComponent(`webchat:${userId}`)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { id: string }).id;
  }

  it('deletes the conversation on DELETE /api/members/{id}: its token reads 404 and no Direct Line key is left', async () => {
    const web = await chat();
    await web.session.say('hi, I am Zed Quorra, where is my order ORD-100002');
    const echo = await web.session.waitFor(
      (a) => a.type === 'message' && a.text?.includes('Quorra') === true,
    );
    await web.session.waitFor((a) => a.from.id !== echo.from.id);
    web.session.end();
    expect((await web.activities()).status).toBe(200);
    if (storage === 'Redis') expect(await directLineKeys(web.conversationId)).not.toEqual([]);

    const id = await memberOf(echo.from.id);
    const erased = await fetch(`${base}/api/members/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(erased.status).toBe(200);

    expect((await web.activities()).status).toBe(404);
    expect(await directLineKeys(web.conversationId)).toEqual([]);
  });

  it('shows the goodbye of "forget me" on the open socket, then deletes the conversation and leaves its outbox minutes to live', async () => {
    const web = await chat();
    await web.session.say('forget me');
    await web.session.waitFor((a) => a.type === 'message' && a.text?.includes('Go ahead?') === true);
    await web.session.say('yes');
    await web.session.waitFor(
      (a) => a.type === 'message' && a.text?.includes('Everything we held about you is erased') === true,
    );
    web.session.end();

    // The log goes once the goodbye's commit is written, just after it was pushed to the socket.
    await expect.poll(async () => (await web.activities()).status).toBe(404);
    await expect.poll(() => directLineKeys(web.conversationId)).toEqual([]);
    // The state left for a re-delivery of the confirmation (its outbox: the goodbye, the keys still to
    // erase) expires on its own: the conversation has no next turn to replace it.
    const client = relevo.stores.redis;
    if (client) {
      const tag = conversationTag('webchat', web.conversationId);
      const ttl = await client.pTTL(`${prefix}:state:${tag}:webchat/conversations/${web.conversationId}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(ERASED_CONVERSATION_TTL_MS);
    }
  });
});
