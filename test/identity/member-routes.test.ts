import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type Activity, TestAdapter } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConversationReferences } from '../../bots/conversation-references.js';
import { createHttpServer, type HttpServer } from '../../bots/http-server.js';
import { silentLogger } from '../../core/logger.js';
import { OpenApiRegistry } from '../../core/openapi.js';
import { ConversationStateStore } from '../../handoff/conversation-state.js';
import { createIdentity, type Identity } from '../../identity/create-identity.js';
import { redactActivity } from '../../identity/redact.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { scanKeys } from '../../storage/redis-connection.js';
import { createStores, type Stores } from '../../storage/stores.js';
import { TranscriptMiddleware } from '../../storage/transcript-middleware.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';

const TOKEN = 'test-api-token';
let smtp: CapturingSmtpServer;
let stores: Stores;
let identity: Identity;
let server: HttpServer;
let base: string;
const openapi = new OpenApiRegistry();

beforeAll(async () => {
  smtp = await startSmtpServer();
  stores = await createStores({
    redisUrl: inject('redisUrl'),
    prefix: `test-routes-${randomUUID().slice(0, 8)}`,
  });
  identity = createIdentity({
    stores,
    smtpUrl: smtp.url,
    emailFrom: 'hello@relevo.test',
    apiToken: TOKEN,
    profileSections: [async () => ({ points: 0 })],
  });
  server = createHttpServer(silentLogger);
  identity.mount(server, openapi);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await identity.close();
  await stores.close();
  await smtp.stop();
});

/**
 * One customer turn through the identity, conversation-reference, state and (redacting) transcript
 * stages, answered "ok". The bot keeps the text in the member's and the conversation's state, and
 * the handoff stage's per-conversation state is written as the handoff middleware does, so the erase
 * test sees every place a turn leaves personal data in `Storage`.
 */
async function turn(channelId: string, from: string, conversationId: string, text: string): Promise<void> {
  const state = new StateMiddleware(stores.storage);
  const lastSaid = state.userProperty<string>('lastSaid');
  const topic = state.conversationProperty<string>('topic');
  const handoffState = new ConversationStateStore(stores.storage);
  const adapter = new TestAdapter(async (context) => {
    await lastSaid.set(context, `${context.activity.from.id} said ${context.activity.text}`);
    await topic.set(context, `${context.activity.conversation.id}: ${context.activity.text}`);
    await handoffState.update(channelId, conversationId, (current) => ({
      state: { ...current, turns: [...current.turns, annotation(`${conversationId}|0001`)] },
      result: undefined,
    }));
    await context.sendActivity('ok');
  })
    .use(identity.middleware)
    .use(new ConversationReferences(stores.storage, silentLogger))
    .use(state)
    .use(new TranscriptMiddleware(stores.transcripts, { redact: redactActivity }));
  await adapter
    .send({
      type: 'message',
      channelId,
      text,
      from: { id: from },
      conversation: { id: conversationId },
    } as Activity)
    .assertReply('ok');
}

function annotation(activityId: string) {
  return {
    activityId,
    topIntent: 'orders.status',
    confidence: 0.9,
    sentiment: 0,
    sentimentLabel: 'neutral',
    language: 'en',
  };
}

async function api(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON the route answered.
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Every string Redis holds under the test's prefix: key names and values of every type. */
async function redisContents(): Promise<string> {
  const client = stores.redis;
  if (!client) throw new Error('the test runs on Redis');
  const parts: string[] = [];
  for await (const keys of scanKeys(client, `${stores.prefix}:*`)) {
    for (const key of keys) {
      parts.push(key);
      const type = await client.type(key);
      if (type === 'string') parts.push(String(await client.get(key)));
      if (type === 'hash') parts.push(JSON.stringify(await client.hGetAll(key)));
      if (type === 'zset') parts.push(JSON.stringify(await client.zRange(key, 0, -1)));
      if (type === 'set') parts.push(JSON.stringify(await client.sMembers(key)));
      if (type === 'list') parts.push(JSON.stringify(await client.lRange(key, 0, -1)));
    }
  }
  return parts.join('\n');
}

describe('member REST API', () => {
  it('follows one customer from anonymous web chat, through a link code, to email, and back apart', async () => {
    await turn('webchat', 'webchat:anon-9', 'wc-1', 'hi, my card is 4111 1111 1111 1111');
    const visitor = await api('GET', `/api/members/by-key/${encodeURIComponent('webchat:anon-9')}`);
    expect(visitor.status).toBe(200);
    expect(visitor.body).toMatchObject({ isAnonymous: true, contacts: { webchat: 1 }, points: 0 });

    const sent = await api('POST', `/api/members/${visitor.body.id}/link/code`, { email: 'Ana@Example.com' });
    expect(sent.status).toBe(202);
    const [mail] = await smtp.waitFor(1);
    const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1];
    expect(mail?.envelopeTo).toEqual(['ana@example.com']);
    const linked = await api('POST', `/api/members/${visitor.body.id}/link/verify`, { code });
    expect(linked.status).toBe(200);

    await turn('email', 'email:ana@example.com', 'thread-9', 'Any news about my order?');
    const ana = await api('GET', `/api/members/by-key/${encodeURIComponent('email:ana@example.com')}`);
    expect(ana.body).toMatchObject({
      id: linked.body.memberId,
      isAnonymous: false,
      verifiedEmails: ['ana@example.com'],
      contacts: { webchat: 1, email: 1 },
      lastChannel: 'email',
    });
    expect(ana.body.identityKeys.sort()).toEqual(['email:ana@example.com', 'webchat:anon-9']);
    expect(ana.body.conversations.map((c: { conversationId: string }) => c.conversationId)).toEqual([
      'wc-1',
      'thread-9',
    ]);
    // One timeline across channels, as stored: the card number never reached the transcript.
    expect(ana.body.transcript.map((a: Activity) => `${a.channelId}: ${a.text}`)).toEqual([
      'webchat: hi, my card is [card]',
      'webchat: ok',
      'email: Any news about my order?',
      'email: ok',
    ]);
    expect((await api('GET', `/api/members/${linked.body.memberId}`)).body.id).toBe(linked.body.memberId);

    const unmerged = await api('POST', `/api/members/${linked.body.memberId}/unmerge`, {
      actor: 'agent:carla',
    });
    expect(unmerged.status).toBe(200);
    const apart = await api('GET', `/api/members/by-key/${encodeURIComponent('webchat:anon-9')}`);
    expect(apart.body).toMatchObject({ id: visitor.body.id, identityKeys: ['webchat:anon-9'] });
    expect(apart.body.transcript.map((a: Activity) => a.text)).toEqual(['hi, my card is [card]', 'ok']);
    expect(apart.body.audits).toMatchObject([
      { kind: 'merge', actor: 'link-code', unmergedAt: expect.any(String) },
    ]);
    const again = await api('POST', `/api/members/${linked.body.memberId}/unmerge`, {});
    expect(again).toMatchObject({ status: 404, body: { code: 'RELEVO_IDENTITY_AUDIT_NOT_FOUND' } });
  });

  it('exports all of a member as JSON, and erases it so Redis holds none of its identifiers', async () => {
    await turn('slack', 'slack:T1/U77', 'D1', 'call me on +34 612 345 678');
    await turn('webchat', 'webchat:anon-erase', 'wc-erase', 'hello');
    const slack = await api('GET', `/api/members/by-key/${encodeURIComponent('slack:T1/U77')}`);
    const web = await api('GET', `/api/members/by-key/${encodeURIComponent('webchat:anon-erase')}`);
    await api('POST', `/api/members/${web.body.id}/link/code`, { email: 'erase.me@example.com' });
    const [, mail] = await smtp.waitFor(2);
    const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1];
    await api('POST', `/api/members/${web.body.id}/link/verify`, { code });
    const member = (
      await api('GET', `/api/members/by-key/${encodeURIComponent('email:erase.me@example.com')}`)
    ).body;

    const exported = await api('GET', `/api/members/${member.id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.body.member.identityKeys.sort()).toEqual([
      'email:erase.me@example.com',
      'webchat:anon-erase',
    ]);
    expect(exported.body.mergedMembers).toHaveLength(1);
    expect(exported.body.conversations[0].activities.map((a: Activity) => a.text)).toEqual(['hello', 'ok']);

    // The scan sees the member before the erase, so its silence afterwards means something.
    const before = await redisContents();
    for (const seen of [
      'erase.me@example.com',
      // The anonymous member's turn state, merged into the email member by the link code.
      `members/${web.body.id}/state`,
      `members/${slack.body.id}/state`,
      'references/webchat/wc-erase',
      'webchat/conversations/wc-erase',
      'handoff/conversation/webchat/wc-erase',
      'handoff/conversation/slack/D1',
    ]) {
      expect(before).toContain(seen);
    }
    for (const id of [member.id, slack.body.id]) {
      const erased = await api('DELETE', `/api/members/${id}`, {
        actor: 'dpo',
        reason: 'GDPR art. 17 request',
      });
      expect(erased.status).toBe(200);
      expect(erased.body.erased.storageItems).toBeGreaterThan(0);
    }
    const contents = await redisContents();
    for (const identifier of [
      'erase.me',
      'anon-erase',
      'U77',
      'wc-erase',
      '612 345',
      `members/${web.body.id}/`,
      `members/${slack.body.id}/`,
      'references/slack/D1',
      'slack/conversations/D1',
      'handoff/conversation/slack/D1',
    ]) {
      expect(contents).not.toContain(identifier);
    }
    expect((await api('GET', `/api/members/${member.id}`)).status).toBe(404);
    expect((await api('GET', `/api/members/by-key/${encodeURIComponent('webchat:anon-erase')}`)).status).toBe(
      404,
    );
  });

  it('answers without the API token with 401 and the stable error shape', async () => {
    const response = await api('GET', '/api/members/whoever', undefined, null);
    expect(response).toMatchObject({ status: 401, body: { code: 'RELEVO_API_UNAUTHORIZED' } });
    expect(await api('GET', '/api/members/nobody')).toMatchObject({
      status: 404,
      body: { code: 'RELEVO_IDENTITY_MEMBER_NOT_FOUND' },
    });
    expect(await api('POST', '/api/members/nobody/link/code', {})).toMatchObject({
      status: 400,
      body: { code: 'RELEVO_IDENTITY_INVALID_REQUEST' },
    });
  });

  it('records journey events for automation and rejects a malformed one with a 400', async () => {
    const recorded = await api('POST', '/api/journey/events', {
      identityKey: 'webchat:anon-journey',
      type: 'page_view',
      data: { path: '/shoes' },
      at: '2026-11-22T12:00:00Z',
    });
    expect(recorded).toMatchObject({ status: 202, body: { started: [], cancelled: [] } });
    const member = await api('GET', `/api/members/${recorded.body.memberId}`);
    expect(member.body.identityKeys).toEqual(['webchat:anon-journey']);
    expect(
      await api('POST', '/api/journey/events', { identityKey: 'webchat:x', type: 'teleport' }),
    ).toMatchObject({
      status: 400,
      body: { code: 'RELEVO_IDENTITY_INVALID_REQUEST' },
    });
  });

  it('lists every member route in the OpenAPI document', () => {
    const paths = Object.keys((openapi.document('test') as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual([
      '/api/journey/events',
      '/api/members/{id}',
      '/api/members/{id}/export',
      '/api/members/{id}/link/code',
      '/api/members/{id}/link/verify',
      '/api/members/{id}/unmerge',
      '/api/members/by-key/{key}',
    ]);
  });
});
