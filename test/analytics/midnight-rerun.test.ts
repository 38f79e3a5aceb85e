import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';

const TOKEN = 'midnight-rerun-token-0123456789';
const DAY = 24 * 60 * 60 * 1000;

let relevo: Relevo | undefined;
afterEach(async () => {
  await relevo?.close();
  relevo = undefined;
});

describe('a queued turn run again after UTC midnight', () => {
  it('counts its outcomes once, in the KPIs of the day the customer wrote', async () => {
    const midnight = Math.floor(Date.now() / DAY) * DAY + DAY;
    let now = midnight - 20_000;
    const runs: number[] = [];
    relevo = await createRelevo({
      config: loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        RELEVO_API_TOKEN: TOKEN,
        REDIS_URL: inject('redisUrl'),
        REDIS_KEY_PREFIX: `midnight-${randomUUID().slice(0, 8)}`,
        // The failed turn is taken up again after 1 s.
        INBOUND_VISIBILITY_MS: '1000',
      }),
      logger: silentLogger,
      clock: { now: () => now },
      bot: async (context) => {
        if (context.activity.type !== 'message') return;
        runs.push(now);
        if (runs.length === 1) {
          // The turn fails before its state is saved: the queue runs it again, past midnight. (A turn
          // that fails after its save is not run again but replayed from its outbox: nothing to count.)
          now = midnight + 5_000;
          throw new Error('the order service timed out');
        }
        await context.sendActivity('Your order has shipped.');
      },
    });
    const base = `http://127.0.0.1:${(await relevo.listen()).port}`;
    const grant = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
      conversationId: string;
      token: string;
    };
    const activities = `${base}/v3/directline/conversations/${grant.conversationId}/activities`;
    const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
    const posted = await fetch(activities, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'message', text: 'where is my order?' }),
    });
    expect(posted.status).toBe(200);
    await expect.poll(() => runs, { timeout: 10_000 }).toEqual([midnight - 20_000, midnight + 5_000]);
    expect(await relevo.inFlight.drain(10_000)).toBe(true);

    const turnsOn = async (from: number, to: number) => {
      const response = await fetch(`${base}/api/kpis?from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(200);
      const kpis = (await response.json()) as { understanding: { turns: number } };
      return kpis.understanding.turns;
    };
    expect(await turnsOn(midnight - DAY, midnight)).toBe(1);
    expect(await turnsOn(midnight, midnight + DAY)).toBe(0);
    const { activities: seen } = (await (await fetch(activities, { headers })).json()) as {
      activities: { type: string; text?: string }[];
    };
    expect(seen.filter((activity) => activity.type === 'message').map((activity) => activity.text)).toEqual([
      'where is my order?',
      'Your order has shipped.',
    ]);
  });
});
