import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseGamificationConfig } from '../../gamification/config/schema.js';
import { createGamification, type GamificationPlugin } from '../../gamification/create-gamification.js';
import { type ManualClock, manualClock } from '../contract/ledger-contract.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-11-16, 10:00 UTC. */
const MONDAY = Date.UTC(2026, 10, 16, 10);

const config = parseGamificationConfig({
  timeZone: 'UTC',
  pointsValidForDays: 365,
  rules: [
    { id: 'first-contact', event: 'message.received', points: 5, once: 'day' },
    { id: 'csat', event: 'csat.answered', points: 20, caps: { daily: 30, weekly: 50 } },
    { id: 'linked', event: 'account.linked', points: 100, once: 'ever' },
    { id: 'game-won', event: 'game.won', points: 10 },
    {
      id: 'black-friday',
      event: 'journey.purchase_completed',
      points: 50,
      validFrom: '2026-11-27T00:00:00Z',
      validUntil: '2026-11-28T00:00:00Z',
    },
  ],
  tiers: [
    { id: 'bronze', minLifetimePoints: 0, benefits: { priority: 0 } },
    { id: 'silver', minLifetimePoints: 100, benefits: { priority: 1 } },
    { id: 'gold', minLifetimePoints: 500, benefits: { priority: 2 } },
  ],
  badges: [
    { id: 'first-game', event: 'game.played', count: 1 },
    { id: 'streak-7', streakDays: 7 },
    { id: 'surveys-3', event: 'csat.answered', count: 3 },
    { id: 'linked-account', event: 'account.linked', count: 1 },
  ],
  streakEvents: ['message.received'],
});

const backends: [string, (clock: ManualClock) => Promise<GamificationPlugin>][] = [
  [
    'memory',
    (clock) =>
      createGamification({ stores: { kind: 'memory', prefix: 'x', redis: undefined }, config, clock }),
  ],
  [
    'Redis',
    async (clock) =>
      createGamification({
        stores: { kind: 'redis', prefix: `${redis.prefix}-${randomUUID()}`, redis: await redis.connect() },
        config,
        clock,
      }),
  ],
];

for (const [name, create] of backends) {
  describe(`${name} earn rules`, () => {
    it('pays the first contact of the day once, with the day ending at the member’s own midnight', async () => {
      const clock = manualClock(Date.UTC(2026, 10, 16, 22, 30));
      const { gamification, ledger } = await create(clock);
      const madrid = { memberId: 'ana', type: 'message.received', timeZone: 'Europe/Madrid' };
      // 22:30 UTC is 23:30 in Madrid: still Monday there.
      expect((await gamification.award({ ...madrid, id: 'a1' })).credits).toHaveLength(1);
      expect((await gamification.award({ ...madrid, id: 'a2' })).credits).toHaveLength(0);
      clock.advance(HOUR);
      // 23:30 UTC is 00:30 Tuesday in Madrid: a new day.
      expect((await gamification.award({ ...madrid, id: 'a3' })).credits.map((c) => c.points)).toEqual([5]);
      expect((await ledger.balance('ana')).balance).toBe(10);
    });

    it('pays one event once however often it arrives', async () => {
      const clock = manualClock(MONDAY);
      const { gamification, ledger } = await create(clock);
      const event = { id: 'act-1:game.won', type: 'game.won', memberId: 'ben' };
      const first = await gamification.award(event);
      const again = await gamification.award(event);
      expect(first.credits).toEqual([expect.objectContaining({ ruleId: 'game-won', points: 10 })]);
      expect(again).toMatchObject({ credits: [], skipped: 'duplicate' });
      expect((await ledger.balance('ben')).balance).toBe(10);
    });

    it('clips rewards to the daily and weekly caps per member', async () => {
      const clock = manualClock(MONDAY);
      const { gamification, ledger } = await create(clock);
      const paid: number[] = [];
      for (let day = 0; day < 3; day += 1) {
        for (let i = 0; i < 2; i += 1) {
          const result = await gamification.award({
            id: `csat-${day}-${i}`,
            type: 'csat.answered',
            memberId: 'cy',
          });
          paid.push(result.credits[0]?.points ?? 0);
        }
        clock.advance(DAY);
      }
      // 30 a day, 50 a week: 20+10, then 20+0 (weekly cap), then nothing.
      expect(paid).toEqual([20, 10, 20, 0, 0, 0]);
      expect((await ledger.balance('cy')).balance).toBe(50);
      clock.set(MONDAY + 7 * DAY);
      expect(
        (await gamification.award({ id: 'csat-next-week', type: 'csat.answered', memberId: 'cy' })).credits,
      ).toHaveLength(1);
    });

    it('pays a rule only inside its validity window', async () => {
      const clock = manualClock(Date.UTC(2026, 10, 26, 23, 59));
      const { gamification } = await create(clock);
      const purchase = (id: string) =>
        gamification.award({ id, type: 'journey.purchase_completed', memberId: 'dee' });
      expect((await purchase('p1')).credits).toHaveLength(0);
      clock.advance(HOUR);
      expect((await purchase('p2')).credits).toHaveLength(1);
      clock.advance(DAY);
      expect((await purchase('p3')).credits).toHaveLength(0);
    });

    it('gives a suspect member no points', async () => {
      const { gamification, ledger } = await create(manualClock(MONDAY));
      const result = await gamification.award({
        id: 'e1',
        type: 'game.won',
        memberId: 'eve',
        isSuspect: true,
      });
      expect(result).toMatchObject({ credits: [], skipped: 'suspect' });
      expect((await ledger.balance('eve')).balance).toBe(0);
    });

    it('earns badges for a first game, three surveys, a linked account and a 7-day streak', async () => {
      const clock = manualClock(MONDAY);
      const { gamification } = await create(clock);
      expect((await gamification.award({ id: 'g1', type: 'game.played', memberId: 'fay' })).badges).toEqual([
        'first-game',
      ]);
      expect(
        (await gamification.award({ id: 'l1', type: 'account.linked', memberId: 'fay' })).badges,
      ).toEqual(['linked-account']);
      for (const id of ['s1', 's2']) {
        expect((await gamification.award({ id, type: 'csat.answered', memberId: 'fay' })).badges).toEqual([]);
      }
      expect((await gamification.award({ id: 's3', type: 'csat.answered', memberId: 'fay' })).badges).toEqual(
        ['surveys-3'],
      );
      const streakBadges: string[][] = [];
      for (let day = 0; day < 7; day += 1) {
        streakBadges.push(
          (await gamification.award({ id: `m${day}`, type: 'message.received', memberId: 'fay' })).badges,
        );
        clock.advance(DAY);
      }
      expect(streakBadges.flat()).toEqual(['streak-7']);
      const profile = await gamification.profile('fay');
      expect(profile.badges.map((b) => b.id).sort()).toEqual([
        'first-game',
        'linked-account',
        'streak-7',
        'surveys-3',
      ]);
      expect(profile.streak).toMatchObject({ current: 7, best: 7 });
      clock.advance(2 * DAY);
      expect((await gamification.profile('fay')).streak).toMatchObject({ current: 0, best: 7 });
    });

    it('puts members in tiers by lifetime points, with the benefits handoff reads', async () => {
      const { gamification, ledger } = await create(manualClock(MONDAY));
      await gamification.award({ id: 'l1', type: 'account.linked', memberId: 'gus' });
      await ledger.debit({ memberId: 'gus', amount: 80, reason: 'reward', idempotencyKey: 'spend' });
      const profile = await gamification.profile('gus');
      expect(profile).toMatchObject({ points: 20, lifetimePoints: 100 });
      expect(profile.tier).toEqual({
        id: 'silver',
        minLifetimePoints: 100,
        benefits: { priority: 1 },
        next: { id: 'gold', pointsNeeded: 400 },
      });
    });

    it('ranks members on the weekly and all-time boards from what they earn', async () => {
      const clock = manualClock(MONDAY);
      const { gamification } = await create(clock);
      await gamification.award({ id: 'x1', type: 'account.linked', memberId: 'old-timer' });
      clock.set(MONDAY + 7 * DAY);
      await gamification.award({ id: 'x2', type: 'game.won', memberId: 'newcomer' });
      await gamification.award({ id: 'x3', type: 'game.won', memberId: 'old-timer' });
      const weekly = await gamification.standings('weekly', 'old-timer');
      expect(weekly.top.map((row) => [row.memberId, row.score])).toEqual([
        ['newcomer', 10],
        ['old-timer', 10],
      ]);
      expect(weekly.you?.rank).toBe(2);
      const allTime = await gamification.standings('all-time', 'newcomer');
      expect(allTime.top.map((row) => [row.memberId, row.score])).toEqual([
        ['old-timer', 110],
        ['newcomer', 10],
      ]);
    });
  });
}

for (const [name, create] of backends) {
  describe(`${name} member merge`, () => {
    it('gives the surviving member the points, badges, counts and rank of the merged one, once', async () => {
      const clock = manualClock(MONDAY);
      const { gamification, ledger } = await create(clock);
      await gamification.award({ id: 'g1', type: 'game.played', memberId: 'anon' });
      await gamification.award({ id: 'w1', type: 'game.won', memberId: 'anon' });
      await gamification.award({ id: 's1', type: 'csat.answered', memberId: 'anon' });
      await gamification.award({ id: 's2', type: 'csat.answered', memberId: 'known' });
      await gamification.award({ id: 's3', type: 'csat.answered', memberId: 'known' });
      await gamification.mergeMembers('anon', 'known', 'merge-anon-known');
      await gamification.mergeMembers('anon', 'known', 'merge-anon-known');
      const profile = await gamification.profile('known');
      expect(profile).toMatchObject({ points: 60, lifetimePoints: 60 });
      expect(profile.badges.map((b) => b.id)).toEqual(['first-game']);
      expect((await ledger.balance('anon')).balance).toBe(0);
      // The third survey, counted across both members, earns the badge.
      expect(
        (await gamification.award({ id: 's4', type: 'csat.answered', memberId: 'known' })).badges,
      ).toEqual(['surveys-3']);
      expect((await gamification.standings('all-time', 'known')).you?.score).toBe(60);
    });
  });
}
