import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { openDirectLine } from '../support/directline-client.js';
import { startHandoffServer, TEST_API_TOKEN, type HandoffServer } from '../support/handoff-server.js';
import { useRedis } from '../support/redis-fixture.js';
import { inject } from 'vitest';

const redis = useRedis();

function api(
  server: HandoffServer,
  path: string,
  init: { method?: string; body?: unknown; agent?: string } = {},
) {
  return fetch(`${server.base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${TEST_API_TOKEN}`,
      'x-relevo-agent': init.agent ?? 'ana',
      'content-type': 'application/json',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

const isMessage = (text: string) => (activity: { type?: string; text?: string }) =>
  activity.type === 'message' && activity.text === text;

for (const backend of ['memory', 'Redis'] as const) {
  describe(`a web chat handoff on ${backend}`, () => {
    let server: HandoffServer;
    beforeAll(async () => {
      server = await startHandoffServer(
        backend === 'Redis' ? { redisUrl: inject('redisUrl'), prefix: `${redis.prefix}-e2e` } : {},
      );
    });
    afterAll(() => server.close());

    it('hands an angry customer to a person, who replies through the desk and resolves, and the bot answers again', async () => {
      const customer = openDirectLine({ domain: server.domain, webSocket: true });
      try {
        await customer.say('hello, where is my order?');
        await customer.waitFor(isMessage('echo: hello, where is my order?'));
        const angryAt = Date.now();
        await customer.say('this is terrible, my card 4111 1111 1111 1111 was charged twice');
        await customer.waitFor((a) => a.type === 'message' && /person from our team/.test(a.text ?? ''));

        const pending = (await (await api(server, '/api/handoffs?status=pending')).json()) as {
          handoffs: {
            id: string;
            reason: { trigger: string; values: Record<string, unknown> };
            identityKeys: string[];
            channelId: string;
            waitingMs: number;
          }[];
        };
        expect(Date.now() - angryAt).toBeLessThan(1_000);
        expect(pending.handoffs).toHaveLength(1);
        const [handoff] = pending.handoffs;
        if (!handoff) throw new Error('no handoff');
        expect(handoff.reason).toEqual({
          trigger: 'negative-sentiment',
          values: { score: -0.9, threshold: -0.6 },
        });
        expect(handoff.channelId).toBe('webchat');
        expect(handoff.identityKeys[0]).toMatch(/^webchat:/);

        const detail = (await (await api(server, `/api/handoffs/${handoff.id}`)).json()) as {
          packet: Activity;
        };
        expect(detail.packet.type).toBe('event');
        expect(detail.packet.name).toBe('handoff.initiate');
        const [attachment] = detail.packet.attachments ?? [];
        expect(attachment?.contentType).toBe('application/json');
        expect(attachment?.name).toBe('Transcript');
        const transcript = attachment?.content as { activities: Activity[] };
        const texts = transcript.activities.filter((a) => a.type === 'message').map((a) => a.text);
        expect(texts).toEqual([
          'hello, where is my order?',
          'echo: hello, where is my order?',
          'this is terrible, my card [card] was charged twice',
          'echo: this is terrible, my card [card] was charged twice',
        ]);
        expect(detail.packet.value).toMatchObject({
          reason: { trigger: 'negative-sentiment' },
          signals: { sentiment: -0.9, fallbackStreak: 0 },
          member: { tier: null, points: 1200 },
          language: 'en',
        });

        // While the person is on their way, the bot stays silent.
        await customer.say('hello?');
        expect((await api(server, `/api/handoffs/${handoff.id}/accept`, { body: {} })).status).toBe(200);
        expect((await api(server, `/api/handoffs/${handoff.id}/typing`, { body: {} })).status).toBe(200);
        await customer.waitFor((a) => a.type === 'typing');
        expect(
          (
            await api(server, `/api/handoffs/${handoff.id}/messages`, {
              body: { text: 'Hi, I am Ana. Sorry about that!' },
            })
          ).status,
        ).toBe(201);
        const reply = await customer.waitFor(isMessage('Hi, I am Ana. Sorry about that!'));
        expect(reply.from.name).toBe('Ana');
        expect(reply.channelData).toMatchObject({ relevoAgent: { id: 'ana', name: 'Ana' } });
        await customer.say('thanks Ana');
        expect(customer.received.some(isMessage('echo: hello?'))).toBe(false);
        expect(customer.received.some(isMessage('echo: thanks Ana'))).toBe(false);

        expect((await api(server, `/api/handoffs/${handoff.id}/resolve`, { body: {} })).status).toBe(200);
        await customer.waitFor((a) => a.type === 'message' && /from 1 \(poor\) to 5/.test(a.text ?? ''));
        await customer.say('back to the bot');
        await customer.waitFor(isMessage('echo: back to the bot'));

        const resolved = (await (await api(server, '/api/handoffs?status=resolved')).json()) as {
          handoffs: { id: string }[];
        };
        expect(resolved.handoffs.map((h) => h.id)).toContain(handoff.id);
      } finally {
        customer.end();
      }
    });

    it('hands off after two turns it did not understand', async () => {
      const customer = openDirectLine({ domain: server.domain });
      try {
        await customer.say('blorp');
        await customer.waitFor(isMessage('echo: blorp'));
        await customer.say('zzq qwx');
        await customer.waitFor((a) => a.type === 'message' && /person from our team/.test(a.text ?? ''));
        const pending = (await (await api(server, '/api/handoffs?status=pending')).json()) as {
          handoffs: { reason: { trigger: string; values: Record<string, unknown> } }[];
        };
        expect(pending.handoffs[0]?.reason).toEqual({
          trigger: 'low-confidence',
          values: { confidence: 0.2, threshold: 0.5, turns: 2 },
        });
      } finally {
        customer.end();
      }
    });
  });
}
