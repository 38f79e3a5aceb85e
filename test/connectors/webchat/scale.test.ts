import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { echoBot, startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';

interface Grant {
  conversationId: string;
  token: string;
  streamUrl: string;
}

async function start(domain: string): Promise<Grant> {
  return (await (await fetch(`${domain}/conversations`, { method: 'POST' })).json()) as Grant;
}

async function say(domain: string, grant: Grant, text: string): Promise<Response> {
  return fetch(`${domain}/conversations/${grant.conversationId}/activities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'message', text }),
  });
}

/** Opens a stream and collects the texts of the messages it pushes. */
function listen(streamUrl: string): Promise<{ texts: string[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const texts: string[] = [];
    const ws = new WebSocket(streamUrl);
    ws.on('message', (data) => {
      const set = JSON.parse(String(data)) as { activities: { type: string; text?: string }[] };
      for (const activity of set.activities) if (activity.type === 'message') texts.push(activity.text ?? '');
    });
    ws.on('open', () => resolve({ texts, close: () => ws.close() }));
    ws.on('error', reject);
  });
}

describe('web chat at scale', () => {
  it('serves 200 concurrent conversations on one process, each getting its own replies', async () => {
    const server = await startWebChatServer({ bot: echoBot() });
    try {
      const grants = await Promise.all(Array.from({ length: 200 }, () => start(server.domain)));
      const sockets = await Promise.all(grants.map((grant) => listen(grant.streamUrl)));
      const responses = await Promise.all(grants.map((grant, i) => say(server.domain, grant, `hello ${i}`)));
      expect(responses.every((response) => response.status === 200)).toBe(true);
      await expect
        .poll(() => sockets.every((socket, i) => socket.texts.includes(`echo: hello ${i}`)), {
          timeout: 10_000,
        })
        .toBe(true);
      sockets.forEach((socket, i) => {
        expect(socket.texts).toEqual([`hello ${i}`, `echo: hello ${i}`]);
      });
      for (const socket of sockets) socket.close();
    } finally {
      await server.close();
    }
  });
});

describe('web chat on two processes sharing Redis', () => {
  let a: WebChatServer;
  let b: WebChatServer;

  beforeAll(async () => {
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    a = await startWebChatServer({ bot: echoBot(), redisUrl: inject('redisUrl'), prefix });
    b = await startWebChatServer({ bot: echoBot(), redisUrl: inject('redisUrl'), prefix });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('pushes a reply to the socket held by one process when the message was posted to the other', async () => {
    const grant = await start(a.domain);
    const socket = await listen(grant.streamUrl);
    expect((await say(b.domain, grant, 'via the other process')).status).toBe(200);
    await expect
      .poll(() => socket.texts, { timeout: 5_000 })
      .toEqual(['via the other process', 'echo: via the other process']);
    socket.close();
  });

  it('lets a conversation started on one process continue on the other after a reconnect', async () => {
    const grant = await start(a.domain);
    await say(a.domain, grant, 'first');
    const reconnect = await fetch(`${b.domain}/conversations/${grant.conversationId}?watermark=2`, {
      headers: { authorization: `Bearer ${grant.token}` },
    });
    expect(reconnect.status).toBe(200);
    const { streamUrl } = (await reconnect.json()) as Grant;
    expect(streamUrl).toContain(`${b.base.replace('http', 'ws')}/`);
    const socket = await listen(streamUrl);
    await say(b.domain, grant, 'second');
    await expect.poll(() => socket.texts, { timeout: 5_000 }).toEqual(['second', 'echo: second']);
    socket.close();
  });
});
