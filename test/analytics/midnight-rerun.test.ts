import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import type { TurnLogic } from '../../core/channel.js';
import { silentLogger } from '../../core/logger.js';
import { markTurnIncomplete } from '../../core/turn-state.js';

const TOKEN = 'midnight-rerun-token-0123456789';
const DAY = 24 * 60 * 60 * 1000;

let relevo: Relevo | undefined;
afterEach(async () => {
  await relevo?.close();
  relevo = undefined;
});

/**
 * The composed agent on the suite's Redis, on a clock the test moves (`clock.now`), with `bot` as its
 * turn logic; a failed queued turn is taken up again after 1 s. One web chat customer is open.
 */
async function startAgent(clock: { now: () => number }, bot: TurnLogic) {
  relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      RELEVO_API_TOKEN: TOKEN,
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `midnight-${randomUUID().slice(0, 8)}`,
      INBOUND_VISIBILITY_MS: '1000',
    }),
    logger: silentLogger,
    clock,
    bot,
  });
  const running = relevo;
  const base = `http://127.0.0.1:${(await running.listen()).port}`;
  const api = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const grant = (await (await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })).json()) as {
    conversationId: string;
    token: string;
  };
  // The conversation's greeting turn is over: the message's turn is the only one its drain runs.
  expect(await running.inFlight.drain(10_000)).toBe(true);
  const activities = `${base}/v3/directline/conversations/${grant.conversationId}/activities`;
  const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
  const seen = async () =>
    (
      (await (await fetch(activities, { headers })).json()) as {
        activities: { type: string; text?: string; from: { id: string; role?: string } }[];
      }
    ).activities;
  return {
    say: async (text: string) => {
      const posted = await fetch(activities, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'message', text }),
      });
      expect(posted.status).toBe(200);
    },
    messages: async () =>
      (await seen()).filter((activity) => activity.type === 'message').map((activity) => activity.text),
    /** Runs of web chat turns the analytics stage counted (`/metrics`), a replay included. */
    turnsRun: async () => {
      const metrics = await (await api('/metrics')).text();
      return metrics
        .split('\n')
        .filter((line) => line.startsWith('relevo_turns_total{channel="webchat"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    },
    /** Turns the KPIs count as understood or not between `from` and `to`. */
    turnsOn: async (from: number, to: number) => {
      const response = await api(`/api/kpis?from=${from}&to=${to}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { understanding: { turns: number } }).understanding.turns;
    },
    /** The customer's points and the reasons of their ledger entries. */
    points: async () => {
      const key = `webchat:${(await seen()).find((activity) => activity.from.role === 'user')?.from.id}`;
      const member = (await (await api(`/api/members/by-key/${encodeURIComponent(key)}`)).json()) as {
        id: string;
      };
      const profile = (await (await api(`/api/members/${member.id}/points`)).json()) as {
        points: number;
        history: { reason: string }[];
      };
      return { points: profile.points, reasons: profile.history.map((entry) => entry.reason) };
    },
  };
}

describe('a queued turn run again after UTC midnight', () => {
  it('counts its outcomes once, in the KPIs of the day its first run began, when its first run failed before the save', async () => {
    const midnight = Math.floor(Date.now() / DAY) * DAY + DAY;
    let now = midnight - 20_000;
    const runs: number[] = [];
    const chat = await startAgent({ now: () => now }, async (context) => {
      if (context.activity.type !== 'message') return;
      runs.push(now);
      if (runs.length === 1) {
        // The turn fails before its state is saved: the queue runs it again, past midnight.
        now = midnight + 5_000;
        throw new Error('the order service timed out');
      }
      await context.sendActivity('Your order has shipped.');
    });
    await chat.say('where is my order?');
    await expect.poll(() => runs, { timeout: 10_000 }).toEqual([midnight - 20_000, midnight + 5_000]);
    expect(await relevo?.inFlight.drain(10_000)).toBe(true);

    expect(await chat.turnsOn(midnight - DAY, midnight)).toBe(1);
    expect(await chat.turnsOn(midnight, midnight + DAY)).toBe(0);
    expect(await chat.messages()).toEqual(['where is my order?', 'Your order has shipped.']);
    expect(await chat.points()).toEqual({ points: 5, reasons: ['rule:first-contact-of-day'] });
  });

  it('pays the first contact once when a turn that failed after its save is replayed past midnight', async () => {
    const midnight = Math.floor(Date.now() / DAY) * DAY + DAY;
    let now = midnight - 20_000;
    let runs = 0;
    const chat = await startAgent({ now: () => now }, async (context) => {
      if (context.activity.type !== 'message') return;
      runs++;
      await context.sendActivity('Your order has shipped.');
      // Side work failed after the state (and the first contact's points) were saved: the queue takes
      // the turn up again 1 s later and replays it from its outbox, without running this again.
      markTurnIncomplete(context, 'the transcript write failed');
    });
    await chat.say('where is my order?');
    // The post is answered once the first run is over; midnight passes before the replay.
    now = midnight + 5_000;
    await expect.poll(chat.turnsRun, { timeout: 10_000 }).toBe(2);
    expect(await relevo?.inFlight.drain(10_000)).toBe(true);

    expect(runs).toBe(1);
    expect(await chat.turnsOn(midnight - DAY, midnight)).toBe(1);
    expect(await chat.turnsOn(midnight, midnight + DAY)).toBe(0);
    expect(await chat.messages()).toEqual(['where is my order?', 'Your order has shipped.']);
    // One message, on one day: not a second first contact for the day of the replay.
    expect(await chat.points()).toEqual({ points: 5, reasons: ['rule:first-contact-of-day'] });
  });
});
