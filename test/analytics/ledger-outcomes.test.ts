import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Analytics, createAnalytics } from '../../analytics/index.js';
import { recordExpiredPoints } from '../../bots/outcome-hooks.js';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import { sweepExpiredPoints } from '../../gamification/ledger/sweep.js';
import { createStores, type Stores } from '../../storage/stores.js';
import { manualClock } from '../contract/ledger-contract.js';

const DAY = 86_400_000;
const opened: Stores[] = [];
afterAll(async () => {
  for (const stores of opened) await stores.close();
});

/** One agent process: its own Redis connections, ledger and analytics, on the shared Redis. */
async function agentProcess(prefix: string, clock: ReturnType<typeof manualClock>) {
  const stores = await createStores({ redisUrl: inject('redisUrl'), prefix });
  opened.push(stores);
  const analytics = await createAnalytics({ stores, clock, processMetrics: false });
  const ledger = new RedisLedger(stores.redis as NonNullable<Stores['redis']>, {
    clock,
    prefix,
    pointsValidForDays: 30,
  });
  recordExpiredPoints(ledger, analytics);
  return { ledger, analytics };
}

const expiredOf = async (analytics: Analytics, from: number, to: number) =>
  (await analytics.kpis({ from, to })).points.expired;

describe('points the ledger expires, as the KPIs count them', () => {
  it('counts each expiry once, when a replayed credit and two processes sweeping at once report it again', async () => {
    const prefix = `expiry-${randomUUID().slice(0, 8)}`;
    const clock = manualClock();
    const start = clock.now();
    const one = await agentProcess(prefix, clock);
    const two = await agentProcess(prefix, clock);
    await one.ledger.credit({ memberId: 'ana', amount: 40, reason: 'earn', idempotencyKey: 'a1' });
    await one.ledger.credit({ memberId: 'ben', amount: 25, reason: 'earn', idempotencyKey: 'b1' });
    await one.ledger.credit({
      memberId: 'cy',
      amount: 7,
      reason: 'earn',
      idempotencyKey: 'c1',
      validForDays: 0,
    });
    clock.advance(31 * DAY);
    // Ana's next credit notices her expiry; the client retries it, on the other process.
    const late = { memberId: 'ana', amount: 5, reason: 'earn', idempotencyKey: 'a2' };
    await one.ledger.credit(late);
    expect((await two.ledger.credit(late)).replayed).toBe(true);
    await Promise.all([sweepExpiredPoints(one.ledger), sweepExpiredPoints(two.ledger)]);
    await sweepExpiredPoints(one.ledger);

    const to = clock.now() + 1;
    expect(await expiredOf(one.analytics, start, to)).toBe(65);
    expect(await expiredOf(two.analytics, start, to)).toBe(65);
    const events = (await one.analytics.events.range(start, to)).filter((e) => e.type === 'points.expired');
    // Dated when the points expired, with the member hashed: no member id in the event log.
    expect(events.map((e) => e.at)).toEqual([start + 30 * DAY, start + 30 * DAY]);
    expect(JSON.stringify(events)).not.toMatch(/ana|ben/);
    expect(events.every((e) => e.member?.startsWith('m_'))).toBe(true);
  });
});
