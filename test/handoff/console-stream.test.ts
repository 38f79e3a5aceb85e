import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { openDirectLine } from '../support/directline-client.js';
import { type HandoffServer, startHandoffServer, TEST_API_TOKEN } from '../support/handoff-server.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();
const RUNS = 20;

// How soon an escalation reaches the console is measured in `npm run bench` (bench/handoff-latency.ts).
for (const backend of ['memory', 'Redis'] as const)
  describe(`the agent console's stream on ${backend}`, () => {
    let server: HandoffServer;
    beforeAll(async () => {
      server = await startHandoffServer(
        backend === 'Redis' ? { redisUrl: inject('redisUrl'), prefix: `${redis.prefix}-stream` } : {},
      );
    });
    afterAll(() => server.close());

    it(`announces each of ${RUNS} escalations in a row once, as the handoff of the message that caused it`, async () => {
      const login = await fetch(`${server.base}/api/agent/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'ana', password: 'ana-secret' }),
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const socket = new WebSocket(`${server.base.replace('http', 'ws')}/api/agent/stream`, {
        headers: { cookie, origin: server.base },
      });
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const requested: string[] = [];
      socket.on('message', (data) => {
        const event = JSON.parse(String(data)) as { type: string; handoffId: string };
        if (event.type === 'handoff.requested') requested.push(event.handoffId);
      });

      const customer = openDirectLine({ domain: server.domain, webSocket: true });
      const desk = { authorization: `Bearer ${TEST_API_TOKEN}` };
      try {
        for (let run = 0; run < RUNS; run++) {
          const messageId = await customer.say(`this is terrible, run ${run}`);
          await expect.poll(() => requested.length, { timeout: 10_000 }).toBeGreaterThan(run);
          const id = requested[run];
          const handoff = (await (
            await fetch(`${server.base}/api/handoffs/${id}`, { headers: desk })
          ).json()) as {
            status: string;
            triggerActivityId: string;
          };
          expect(handoff).toMatchObject({ status: 'pending', triggerActivityId: messageId });
          const resolved = await fetch(`${server.base}/api/handoffs/${id}/resolve`, {
            method: 'POST',
            headers: desk,
          });
          expect(resolved.status).toBe(200);
        }
      } finally {
        customer.end();
        socket.close();
      }
      expect(new Set(requested).size).toBe(RUNS);
      expect(requested).toHaveLength(RUNS);
    });
  });
