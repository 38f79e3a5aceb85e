import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { IdentityErrorCode } from '../../identity/errors.js';
import {
  type DurableTimers,
  MemoryDurableTimers,
  RedisDurableTimers,
} from '../../identity/journey/durable-timers.js';
import { Journey, type WaypointReached } from '../../identity/journey/journey.js';
import { parseWaypointRules } from '../../identity/journey/waypoint-rules.js';
import type { MemberStore } from '../../identity/member-store.js';
import { Members } from '../../identity/members.js';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { RedisMemberStore } from '../../identity/redis-member-store.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();

const RULES = {
  rules: [
    {
      name: 'abandoned-cart',
      after: 'cart_remove',
      unless: 'checkout',
      withinMs: 120_000,
      message: { en: 'Still thinking? Here is 10% off.', es: '¿Lo sigues pensando? Te damos un 10 %.' },
    },
  ],
};

const backends: [
  string,
  () => Promise<{ timers: DurableTimers; members: Members; clock: { advance(ms: number): void } }>,
][] = [
  ['memory', async () => setup(new MemoryDurableTimers(), new MemoryMemberStore())],
  [
    'Redis',
    async () => {
      const client = await redis.connect();
      const prefix = `${redis.prefix}-${randomUUID()}`;
      return setup(new RedisDurableTimers(client, { prefix }), new RedisMemberStore(client, { prefix }));
    },
  ],
];

function setup(timers: DurableTimers, store: MemberStore) {
  let now = Date.UTC(2026, 10, 22, 12);
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  return { timers, members: new Members({ store, clock }), clock };
}

describe.each(backends)('journey waypoints on %s', (_name, create) => {
  const journeyWith = async () => {
    const backend = await create();
    const journey = new Journey({
      members: backend.members,
      timers: backend.timers,
      rules: parseWaypointRules(RULES),
    });
    const reached: WaypointReached[] = [];
    journey.onWaypoint((r) => {
      reached.push(r);
    });
    return { ...backend, journey, reached };
  };

  it('sends the offer in the customer’s language when a cart item is removed and no checkout follows in 120 s', async () => {
    const { journey, members, clock, reached } = await journeyWith();
    const member = await members.resolve('webchat:shopper');
    await members.recordContact(member.id, {
      channel: 'webchat',
      channelId: 'webchat',
      conversationId: 'wc-77',
      at: members.clock.now(),
      language: 'es',
    });
    const recorded = await journey.record({
      identityKey: 'webchat:shopper',
      type: 'cart_remove',
      data: { sku: 'A1' },
    });
    expect(recorded).toEqual({ memberId: member.id, started: ['abandoned-cart'], cancelled: [] });
    clock.advance(119_000);
    expect(await journey.poll()).toBe(0);
    clock.advance(1_000);
    expect(await journey.poll()).toBe(1);
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatchObject({
      message: '¿Lo sigues pensando? Te damos un 10 %.',
      conversation: { channelId: 'webchat', conversationId: 'wc-77' },
      member: { id: member.id },
    });
    expect((await members.require(member.id)).journey?.map((e) => e.type)).toEqual(['cart_remove']);
    expect(await journey.poll()).toBe(0);
  });

  it('sends nothing when the customer checks out in time', async () => {
    const { journey, clock, reached } = await journeyWith();
    await journey.record({ identityKey: 'x:555', type: 'cart_remove' });
    clock.advance(60_000);
    expect(await journey.record({ identityKey: 'x:555', type: 'checkout' })).toMatchObject({
      cancelled: ['abandoned-cart'],
    });
    clock.advance(120_000);
    await journey.poll();
    expect(reached).toEqual([]);
  });

  it('fires each due timer exactly once when several processes poll at the same time', async () => {
    const { timers, clock } = await journeyWith();
    for (let i = 0; i < 30; i++) await timers.schedule(`t${i}`, Date.UTC(2026, 10, 22, 12) + i, { i });
    clock.advance(1_000);
    const claims = await Promise.all(
      Array.from({ length: 4 }, () => timers.claimDue(Date.UTC(2026, 10, 22, 13), 10)),
    );
    const ids = claims.flat().map((t) => t.id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });
});

describe('waypoint rules file', () => {
  it('names the first bad field of an invalid rules file', () => {
    const broken = { rules: [{ ...RULES.rules[0], after: 'cart_delete' }] };
    expect(() => parseWaypointRules(broken)).toThrow(/rules\.0\.after/);
    expect(() => parseWaypointRules({ rules: [{ ...RULES.rules[0], message: { es: 'hola' } }] })).toThrow(
      /en/,
    );
  });

  it('refuses two rules with one name and a journey event of an unknown type', async () => {
    expect(() => parseWaypointRules({ rules: [RULES.rules[0], RULES.rules[0]] })).toThrow(/appears twice/);
    const journey = new Journey({
      members: new Members({ store: new MemoryMemberStore() }),
      timers: new MemoryDurableTimers(),
      rules: [],
    });
    await expect(journey.record({ identityKey: 'webchat:a', type: 'teleport' })).rejects.toSatisfy((error) =>
      hasCode(error, IdentityErrorCode.invalidRequest),
    );
  });
});
