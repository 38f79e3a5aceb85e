import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirectLine } from '../support/directline-client.js';
import { signHubRequest } from '../../handoff/hub-webhook.js';
import {
  type HandoffServer,
  startHandoffServer,
  TEST_API_TOKEN,
  TEST_HUB_SECRET,
} from '../support/handoff-server.js';

let server: HandoffServer;
beforeAll(async () => {
  server = await startHandoffServer({ tier: 'gold' });
});
afterAll(() => server.close());

/** A console session: the cookie and CSRF token a browser would hold after logging in. */
async function login(agentId: string, password: string) {
  const response = await fetch(`${server.base}/api/agent/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, password }),
  });
  const cookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { csrfToken?: string; code?: string };
  return { status: response.status, cookie: cookie.split(';')[0] ?? '', setCookie: cookie, body };
}

function asAgent(
  session: { cookie: string; body: { csrfToken?: string } },
  path: string,
  body?: unknown,
  csrf = true,
) {
  return fetch(`${server.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      cookie: session.cookie,
      'content-type': 'application/json',
      ...(csrf && session.body.csrfToken ? { 'x-relevo-csrf': session.body.csrfToken } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function requestHandoff(text: string): Promise<string> {
  const customer = openDirectLine({ domain: server.domain });
  try {
    await customer.say(text);
    await customer.waitFor((a) => a.type === 'message' && /person from our team/.test(a.text ?? ''));
  } finally {
    customer.end();
  }
  const pending = (await (
    await fetch(`${server.base}/api/handoffs?status=pending`, {
      headers: { authorization: `Bearer ${TEST_API_TOKEN}` },
    })
  ).json()) as { handoffs: { id: string }[] };
  const [newest] = pending.handoffs;
  if (!newest) throw new Error('no pending handoff');
  return newest.id;
}

describe('the agent desk REST API', () => {
  it('refuses callers with neither a session nor the API token, with a stable code', async () => {
    const response = await fetch(`${server.base}/api/handoffs`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      code: 'RELEVO_HANDOFF_UNAUTHORIZED',
      message: 'Log in to the agent console first',
    });
    const wrong = await fetch(`${server.base}/api/handoffs`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('logs an agent in with an HTTP-only, SameSite=Strict cookie and answers who is logged in', async () => {
    const session = await login('ana', 'ana-secret');
    expect(session.status).toBe(200);
    expect(session.setCookie).toMatch(/HttpOnly/);
    expect(session.setCookie).toMatch(/SameSite=Strict/);
    const me = (await (await asAgent(session, '/api/agent/me')).json()) as {
      agent: { id: string; role: string };
    };
    expect(me.agent).toMatchObject({ id: 'ana', role: 'agent' });
    expect(JSON.stringify(me)).not.toMatch(/passwordHash/);
  });

  it('locks an account after five failed logins, even for the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await login('sam', 'wrong')).status).toBe(401);
    const locked = await login('sam', 'sam-secret');
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('RELEVO_HANDOFF_LOCKED_OUT');
  });

  it('refuses a state-changing request from a session without its CSRF token', async () => {
    const session = await login('ana', 'ana-secret');
    const response = await asAgent(session, '/api/agent/presence', { online: true }, false);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('RELEVO_HANDOFF_CSRF');
    expect((await asAgent(session, '/api/agent/presence', { online: true })).status).toBe(200);
  });

  it('lets one agent take a conversation, keeps others off it, and records notes', async () => {
    const id = await requestHandoff('I need a human please');
    const ana = await login('ana', 'ana-secret');
    const detail = (await (await asAgent(ana, `/api/handoffs/${id}`)).json()) as {
      reason: { trigger: string };
      member: { id: string; tier: string };
      priority: number;
      profile: unknown;
    };
    expect(detail.reason.trigger).toBe('explicit-request');
    expect(detail.profile).toEqual({ id: detail.member.id, contacts: { webchat: 3, email: 1 } });
    expect(detail.member.tier).toBe('gold');
    expect(detail.priority).toBeGreaterThan(2);

    expect((await asAgent(ana, `/api/handoffs/${id}/accept`, {})).status).toBe(200);
    const again = await fetch(`${server.base}/api/handoffs/${id}/accept`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-relevo-agent': 'sam' },
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('RELEVO_HANDOFF_ALREADY_TAKEN');

    const note = await asAgent(ana, `/api/handoffs/${id}/notes`, { text: 'Refund <b>approved</b>' });
    expect(note.status).toBe(201);
    const active = (await (await asAgent(ana, '/api/handoffs?status=active')).json()) as {
      handoffs: { id: string; agentId: string; notes: { text: string }[]; waitingMs: number }[];
    };
    expect(active.handoffs[0]).toMatchObject({
      id,
      agentId: 'ana',
      notes: [{ text: 'Refund <b>approved</b>' }],
    });

    const transcript = (await (await asAgent(ana, `/api/handoffs/${id}/transcript`)).json()) as {
      activities: { text?: string }[];
      turns: { topIntent: string; sentiment: number }[];
    };
    expect(transcript.activities.some((a) => a.text === 'I need a human please')).toBe(true);
    expect(transcript.turns).toHaveLength(1);

    // Back to the queue for Spanish speakers: Ana no longer holds it.
    const transfer = await asAgent(ana, `/api/handoffs/${id}/transfer`, { language: 'es' });
    expect(transfer.status).toBe(200);
    expect(await transfer.json()).toMatchObject({ status: 'pending', agentId: null, language: 'es' });
    const stranger = await asAgent(ana, `/api/handoffs/${id}/messages`, { text: 'hi' });
    expect(stranger.status).toBe(403);
    expect(((await stranger.json()) as { code: string }).code).toBe('RELEVO_HANDOFF_NOT_ASSIGNED');
  });

  it('transfers a conversation to another agent, who may then reply while the first may not', async () => {
    const id = await requestHandoff('a person please');
    const ana = await login('ana', 'ana-secret');
    expect((await asAgent(ana, `/api/handoffs/${id}/accept`, {})).status).toBe(200);
    const transfer = await asAgent(ana, `/api/handoffs/${id}/transfer`, { agentId: 'sam' });
    expect(await transfer.json()).toMatchObject({ status: 'active', agentId: 'sam' });
    expect((await asAgent(ana, `/api/handoffs/${id}/messages`, { text: 'still me' })).status).toBe(403);
    const asSam = await fetch(`${server.base}/api/handoffs/${id}/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-relevo-agent': 'sam' },
    });
    expect(asSam.status).toBe(200);
  });

  it('never gives an agent more conversations than their capacity', async () => {
    const ids = [await requestHandoff('agent'), await requestHandoff('agent'), await requestHandoff('agent')];
    const ana = await login('ana', 'ana-secret');
    const held = (await (await asAgent(ana, '/api/handoffs?status=active')).json()) as {
      handoffs: unknown[];
    };
    const statuses = [];
    for (const id of ids) statuses.push((await asAgent(ana, `/api/handoffs/${id}/accept`, {})).status);
    // Ana takes two chats at most (TEST_AGENTS).
    expect(statuses.filter((status) => status === 200)).toHaveLength(2 - held.handoffs.length);
    expect(statuses.at(-1)).toBe(409);
  });

  it("takes a hub's signed status callbacks and refuses forged or replayed ones", async () => {
    const id = await requestHandoff('human');
    const post = (body: unknown, secret = TEST_HUB_SECRET, at = Date.now()) => {
      const raw = JSON.stringify(body);
      const timestamp = Math.floor(at / 1000);
      return fetch(`${server.base}/api/handoffs/${id}/status`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-relevo-timestamp': String(timestamp),
          'x-relevo-signature': signHubRequest(secret, timestamp, raw),
        },
        body: raw,
      });
    };
    expect((await post({ state: 'accepted' }, 'not-the-secret')).status).toBe(401);
    expect((await post({ state: 'accepted' }, TEST_HUB_SECRET, Date.now() - 10 * 60_000)).status).toBe(401);
    const accepted = await post({ state: 'accepted' });
    expect(await accepted.json()).toMatchObject({ status: 'active', agentId: 'hub', hubStatus: 'accepted' });
    const completed = await post({ state: 'completed' });
    expect(await completed.json()).toMatchObject({ status: 'resolved', hubStatus: 'completed' });
    // Hubs retry callbacks: a late duplicate changes nothing.
    expect(await (await post({ state: 'failed' })).json()).toMatchObject({ status: 'resolved' });
  });

  it('numbers the waiting conversations by their place in the queue', async () => {
    const pending = (await (
      await fetch(`${server.base}/api/handoffs?status=pending`, {
        headers: { authorization: `Bearer ${TEST_API_TOKEN}` },
      })
    ).json()) as { handoffs: { queuePosition: number; createdAt: number }[] };
    const positions = pending.handoffs.map((h) => h.queuePosition).sort((a, b) => a - b);
    expect(positions).toEqual(pending.handoffs.map((_, i) => i + 1));
  });

  it('rejects a status filter it does not know', async () => {
    const ana = await login('ana', 'ana-secret');
    const bad = await asAgent(ana, '/api/handoffs?status=lost');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('RELEVO_HANDOFF_BAD_REQUEST');
  });

  it('describes its routes in the OpenAPI document', () => {
    const paths = Object.keys(server.openapi.document('test').paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/agent/login',
        '/api/handoffs',
        '/api/handoffs/{id}',
        '/api/handoffs/{id}/accept',
        '/api/handoffs/{id}/messages',
        '/api/handoffs/{id}/notes',
        '/api/handoffs/{id}/transfer',
        '/api/handoffs/{id}/resolve',
      ]),
    );
  });
});
