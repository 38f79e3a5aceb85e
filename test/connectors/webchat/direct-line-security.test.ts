import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Clock } from '../../../core/clock.js';
import { echoBot, startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';

const SECRET = 'site-secret-0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: response bodies of every Direct Line route, read loosely.
type Json = Record<string, any>;

async function call(url: string, init: RequestInit & { auth?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth) headers.set('authorization', `Bearer ${init.auth}`);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await fetch(url, { ...init, headers });
  return { status: response.status, body: (await response.json()) as Json };
}

function streamStatus(url: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => {});
  });
}

describe('Direct Line with a secret configured', () => {
  let server: WebChatServer;
  let now = Date.UTC(2026, 10, 22, 12);
  const clock: Clock = { now: () => now };
  const seenUsers: string[] = [];

  beforeAll(async () => {
    server = await startWebChatServer({ bot: echoBot(seenUsers), secret: SECRET, clock });
  });
  afterAll(() => server.close());

  it('rejects a request without credentials with 401 in the Direct Line error shape', async () => {
    const { status, body } = await call(`${server.domain}/conversations`, { method: 'POST' });
    expect(status).toBe(401);
    expect(body).toEqual({ error: { code: 'Unauthorized', message: expect.any(String) } });
  });

  it('rejects a forged token with 403 before doing any work', async () => {
    const { token } = (await call(`${server.domain}/tokens/generate`, { method: 'POST', auth: SECRET })).body;
    const [prefix, payload, signature] = String(token).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = `${prefix}.${Buffer.from(JSON.stringify({ ...claims, u: 'someone-else' })).toString('base64url')}.${signature}`;
    const { status, body } = await call(`${server.domain}/conversations`, { method: 'POST', auth: forged });
    expect(status).toBe(403);
    expect(body.error.code).toBe('Forbidden');
  });

  it('lets the site generate a token for its signed-in customer, who talks as webchat:<their id>', async () => {
    const generated = await call(`${server.domain}/tokens/generate`, {
      method: 'POST',
      auth: SECRET,
      body: JSON.stringify({ user: { id: 'customer-42', name: 'Ana' } }),
    });
    expect(generated.status).toBe(200);
    const { conversationId, token } = generated.body;
    const started = await call(`${server.domain}/conversations`, { method: 'POST', auth: token });
    expect(started.body.conversationId).toBe(conversationId);
    const posted = await call(`${server.domain}/conversations/${conversationId}/activities`, {
      method: 'POST',
      auth: token,
      body: JSON.stringify({ type: 'message', text: 'hi', from: { id: 'impostor' } }),
    });
    expect(posted.status).toBe(200);
    expect(seenUsers.at(-1)).toBe('webchat:customer-42');
    const { body } = await call(`${server.domain}/conversations/${conversationId}/activities`, {
      auth: token,
    });
    expect(body.activities[0].from).toEqual({ id: 'customer-42', name: 'Ana', role: 'user' });
    expect(body.activities.at(-1).text).toBe('echo: hi');
  });

  it('refuses a token for another conversation and an expired token', async () => {
    const a = (await call(`${server.domain}/tokens/generate`, { method: 'POST', auth: SECRET })).body;
    const b = (await call(`${server.domain}/tokens/generate`, { method: 'POST', auth: SECRET })).body;
    const other = await call(`${server.domain}/conversations/${b.conversationId}/activities`, {
      auth: a.token,
    });
    expect(other.status).toBe(403);
    now += 31 * 60 * 1000;
    const expired = await call(`${server.domain}/conversations/${a.conversationId}/activities`, {
      auth: a.token,
    });
    expect(expired).toMatchObject({ status: 403, body: { error: { code: 'TokenExpired' } } });
    const refresh = await call(`${server.domain}/tokens/refresh`, { method: 'POST', auth: a.token });
    expect(refresh.status).toBe(403);
  });

  it('opens the stream only with a valid token for that conversation', async () => {
    const { conversationId, token } = (
      await call(`${server.domain}/tokens/generate`, { method: 'POST', auth: SECRET })
    ).body;
    const { streamUrl } = (await call(`${server.domain}/conversations`, { method: 'POST', auth: token }))
      .body;
    expect(await streamStatus(streamUrl)).toBe('open');
    const base = `${server.base.replace('http', 'ws')}/v3/directline/conversations/${conversationId}/stream`;
    expect(await streamStatus(`${base}?t=rdl1.forged.token`)).toBe(403);
    expect(await streamStatus(`${server.base.replace('http', 'ws')}/not-a-stream`)).toBe(404);
  });
});

describe('Direct Line input checks', () => {
  let server: WebChatServer;
  let conversationId: string;
  let token: string;

  beforeAll(async () => {
    server = await startWebChatServer({ bot: echoBot() });
    ({ conversationId, token } = (await call(`${server.domain}/conversations`, { method: 'POST' })).body);
  });
  afterAll(() => server.close());

  const post = (body: string) =>
    call(`${server.domain}/conversations/${conversationId}/activities`, {
      method: 'POST',
      auth: token,
      body,
    });

  it('answers broken JSON, missing types, client-forbidden types and huge bodies with 4xx and a reason', async () => {
    expect(await post('{"type":')).toMatchObject({ status: 400, body: { error: { code: 'BadSyntax' } } });
    expect(await post('{"text":"no type"}')).toMatchObject({
      status: 400,
      body: { error: { code: 'MissingProperty' } },
    });
    expect(await post('{"type":"conversationUpdate"}')).toMatchObject({
      status: 400,
      body: { error: { code: 'BadArgument' } },
    });
    const huge = JSON.stringify({ type: 'message', text: 'x'.repeat(300_000) });
    expect(await post(huge)).toMatchObject({ status: 413, body: { error: { code: 'MessageSizeTooBig' } } });
  });

  it('keeps nothing of a rejected activity: the log holds only what was accepted', async () => {
    await post('[]');
    await post(JSON.stringify({ type: 'message', text: 'accepted' }));
    const { body } = await call(`${server.domain}/conversations/${conversationId}/activities`, {
      auth: token,
    });
    expect(body.activities.filter((a: Json) => a.from.role === 'user').map((a: Json) => a.text)).toEqual([
      'accepted',
    ]);
  });

  it('answers unknown routes, unknown conversations and bad watermarks in the Direct Line error shape', async () => {
    expect(
      await call(`${server.domain}/conversations/${conversationId}/nothing`, { auth: token }),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'NotFound' } },
    });
    expect(
      await call(`${server.domain}/conversations/${conversationId}/activities?watermark=-3`, { auth: token }),
    ).toMatchObject({ status: 400, body: { error: { code: 'BadArgument' } } });
    expect(await call(`${server.domain}/conversations/${conversationId}/activities`)).toMatchObject({
      status: 401,
    });
  });
});
