import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirectLine } from '../../support/directline-client.js';
import { echoBot, startWebChatServer, type WebChatServer } from '../../support/webchat-server.js';

describe('an unmodified botframework-directlinejs client', () => {
  let server: WebChatServer;
  const seenUsers: string[] = [];

  beforeAll(async () => {
    server = await startWebChatServer({ bot: echoBot(seenUsers) });
  });
  afterAll(() => server.close());

  for (const transport of ['WebSocket', 'polling'] as const) {
    it(`holds a conversation over ${transport}: its message is echoed and the agent replies`, async () => {
      const session = openDirectLine({ domain: server.domain, webSocket: transport === 'WebSocket' });
      const id = await session.say('hello there');
      expect(id).toMatch(/\|0000001$/);
      const reply = await session.waitFor((a) => a.type === 'message' && a.text === 'echo: hello there');
      expect(reply.from).toMatchObject({ id: 'relevo', role: 'bot' });
      const echo = session.received.find((a) => a.id === id);
      expect(echo).toMatchObject({ type: 'message', text: 'hello there', from: { role: 'user' } });
      session.end();
    });
  }

  it('reconnects with its watermark and receives only what it had not seen, as the same user', async () => {
    const first = openDirectLine({ domain: server.domain });
    await first.say('one');
    await first.waitFor((a) => a.type === 'message' && a.text === 'echo: one');
    const { conversationId, token, watermark } = first.client as unknown as {
      conversationId: string;
      token: string;
      watermark: string;
    };
    first.end();
    const userBefore = seenUsers.at(-1);

    const resumed = openDirectLine({ domain: server.domain, conversationId, token, watermark });
    await resumed.say('two');
    await resumed.waitFor((a) => a.type === 'message' && a.text === 'echo: two');
    const texts = resumed.received.filter((a) => a.type === 'message').map((a) => a.text);
    expect(texts).toEqual(['two', 'echo: two']);
    expect(seenUsers.at(-1)).toBe(userBefore);
    expect(userBefore).toMatch(/^webchat:anon-/);
    resumed.end();
  });

  it('keeps talking with a refreshed token', async () => {
    const session = openDirectLine({ domain: server.domain, webSocket: false });
    await session.say('before refresh');
    const { conversationId, token } = session.client as unknown as { conversationId: string; token: string };
    session.end();
    const response = await fetch(`${server.domain}/tokens/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const refreshed = (await response.json()) as {
      conversationId: string;
      token: string;
      expires_in: number;
    };
    expect(refreshed.conversationId).toBe(conversationId);
    expect(refreshed.expires_in).toBe(1800);

    const resumed = openDirectLine({
      domain: server.domain,
      conversationId,
      token: refreshed.token,
      webSocket: false,
    });
    await resumed.say('after refresh');
    await resumed.waitFor((a) => a.type === 'message' && a.text === 'echo: after refresh');
    resumed.end();
  });
});
