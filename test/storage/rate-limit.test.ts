import { randomUUID } from 'node:crypto';
import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { type InboundDelivery, TurnStateKey } from '../../core/turn-state.js';
import { MemoryRateCounter, type RateCounter, RedisRateCounter } from '../../storage/rate-counter.js';
import { RateLimitMiddleware } from '../../storage/rate-limit-middleware.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A bot behind the rate limit that echoes, on botbuilder's TestAdapter; every message is from `from`. */
function limitedBot(counter: RateCounter, limit: number) {
  const answered: string[] = [];
  const bot = async (context: TurnContext) => {
    answered.push(context.activity.text ?? '');
    await context.sendActivity(`echo: ${context.activity.text}`);
  };
  const adapter = new TestAdapter(bot);
  // A turn from the durable inbound queue carries its delivery (inbound id and run) on the turn.
  adapter.use(async (context, next) => {
    const inbound = (context.activity.channelData as { inbound?: InboundDelivery } | undefined)?.inbound;
    if (inbound) context.turnState.set(TurnStateKey.inbound, inbound);
    await next();
  });
  adapter.use(new RateLimitMiddleware({ counter, limit }));
  const say = async (
    text: string,
    from = 'webchat:anon-ana',
    locale = 'en-US',
    inbound?: InboundDelivery,
  ) => {
    const replies: string[] = [];
    await adapter.processActivity(
      { type: 'message', text, from: { id: from }, locale, channelData: { inbound } } as Partial<Activity>,
      bot,
    );
    while (adapter.activeQueue.length > 0) replies.push(adapter.activeQueue.shift()?.text ?? '');
    return replies;
  };
  return { say, answered };
}

for (const [name, make] of [
  ['memory', async (clock: Clock) => new MemoryRateCounter(clock)],
  [
    'Redis',
    async () => new RedisRateCounter(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  ],
] as const) {
  describe(`the ${name} rate counter`, () => {
    it('counts the hits of one key within a window, and each key apart', async () => {
      const counter = await make(manualClock());
      expect([
        await counter.hit('a', 60_000),
        await counter.hit('a', 60_000),
        await counter.hit('b', 60_000),
      ]).toEqual([1, 2, 1]);
    });

    it('counts an event hit again (a queued turn run again) once in its window', async () => {
      const counter = await make(manualClock());
      expect([
        await counter.hit('a', 60_000, 'in-1'),
        await counter.hit('a', 60_000, 'in-1'),
        await counter.hit('a', 60_000, 'in-2'),
        await counter.hit('a', 60_000),
      ]).toEqual([1, 1, 2, 3]);
    });

    it('starts a new window once the old one has ended', async () => {
      const clock = manualClock();
      const counter = await make(clock);
      await counter.hit('a', 50);
      await counter.hit('a', 50);
      clock.advance(60);
      if (name === 'Redis') await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await counter.hit('a', 50)).toBe(1);
    });
  });
}

describe('the rate limit stage', () => {
  it('answers a customer over the limit politely once and drops the rest of the minute', async () => {
    const clock = manualClock();
    const { say, answered } = limitedBot(new MemoryRateCounter(clock), 3);
    for (const text of ['one', 'two', 'three']) expect(await say(text)).toEqual([`echo: ${text}`]);
    expect(await say('four')).toEqual([
      'You are sending messages faster than I can answer. Please wait a minute and write to me again.',
    ]);
    expect(await say('five')).toEqual([]);
    expect(await say('six')).toEqual([]);
    expect(answered).toEqual(['one', 'two', 'three']);
    clock.advance(60_000);
    expect(await say('seven')).toEqual(['echo: seven']);
  });

  it('limits each identity key on its own, and answers in Spanish to a Spanish customer', async () => {
    const { say } = limitedBot(new MemoryRateCounter(manualClock()), 1);
    await say('hola', 'slack:T1/U2', 'es-ES');
    expect(await say('otra vez', 'slack:T1/U2', 'es-ES')).toEqual([
      'Estás enviando mensajes más rápido de lo que puedo responder. Espera un minuto y vuelve a escribirme, por favor.',
    ]);
    expect(await say('hello', 'x:1234')).toEqual(['echo: hello']);
  });

  it('counts a queued message whose turn runs again once, so the next message still gets through', async () => {
    const { say, answered } = limitedBot(new MemoryRateCounter(manualClock()), 2);
    // The first run of 'one' died mid-turn; the queue runs it again under the same inbound id.
    expect(await say('one', undefined, undefined, { id: 'in-1', attempt: 1 })).toEqual(['echo: one']);
    expect(await say('one', undefined, undefined, { id: 'in-1', attempt: 2 })).toEqual(['echo: one']);
    expect(await say('two', undefined, undefined, { id: 'in-2', attempt: 1 })).toEqual(['echo: two']);
    expect(answered).toEqual(['one', 'one', 'two']);
  });

  it('lets every message through when the limit is 0 or the counter fails', async () => {
    const off = limitedBot(new MemoryRateCounter(manualClock()), 0);
    for (let i = 0; i < 5; i++) expect(await off.say(`m${i}`)).toEqual([`echo: m${i}`]);
    const broken = limitedBot({ hit: async () => Promise.reject(new Error('Redis is down')) }, 1);
    for (let i = 0; i < 3; i++) expect(await broken.say(`m${i}`)).toEqual([`echo: m${i}`]);
  });
});
