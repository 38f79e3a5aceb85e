import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import type { RewardConfig } from '../../gamification/config/schema.js';
import { LedgerErrorCode } from '../../gamification/ledger/errors.js';
import { MemoryLedger } from '../../gamification/ledger/memory-ledger.js';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import type { Ledger, LedgerEntry } from '../../gamification/ledger/types.js';
import { MemoryRewardStore } from '../../gamification/rewards/memory-rewards.js';
import { RedisRewardStore } from '../../gamification/rewards/redis-rewards.js';
import { RewardErrorCode, type RewardStore } from '../../gamification/rewards/types.js';
import { type ManualClock, manualClock } from '../contract/ledger-contract.js';
import { useRedis } from '../support/redis-fixture.js';

const CATALOGUE: RewardConfig[] = [
  { id: 'mug', name: 'Mug', price: 100, stock: 3 },
  { id: 'sticker', name: 'Sticker', price: 10, stock: 0 },
];

type Setup = () => Promise<{ ledger: Ledger; rewards: RewardStore; clock: ManualClock }>;

const cluster = useRedis('cluster');
const onRedis =
  (redis: ReturnType<typeof useRedis>): Setup =>
  async () => {
    const client = await redis.connect();
    const clock = manualClock();
    const ledger = new RedisLedger(client, { clock, prefix: `${redis.prefix}-${randomUUID()}` });
    const rewards = new RedisRewardStore(client, ledger, CATALOGUE, { clock });
    await rewards.initialise();
    return { ledger, rewards, clock };
  };

const setups: [string, Setup][] = [
  [
    'memory',
    async () => {
      const clock = manualClock();
      const ledger = new MemoryLedger({ clock });
      return { ledger, rewards: new MemoryRewardStore(ledger, CATALOGUE, { clock }), clock };
    },
  ],
  ['Redis', onRedis(useRedis())],
  ['Redis Cluster', onRedis(cluster)],
];

const fails = (code: string) => (error: unknown) => hasCode(error, code);

for (const [name, setup] of setups) {
  describe(`${name} rewards`, () => {
    it('reports the points that expired before a redemption, even one the balance no longer covers', async () => {
      const { ledger, rewards, clock } = await setup();
      const heard: LedgerEntry[] = [];
      ledger.onExpired((entries) => void heard.push(...entries));
      await ledger.credit({ memberId: 'ana', amount: 150, reason: 'earn', idempotencyKey: 'c' });
      clock.advance(366 * 86_400_000);
      await expect(
        rewards.redeem({ memberId: 'ana', rewardId: 'mug', idempotencyKey: 'r1' }),
      ).rejects.toSatisfy(fails(LedgerErrorCode.insufficientPoints));
      expect(heard.map((e) => [e.memberId, e.kind, e.delta, e.compensates])).toEqual([
        ['ana', 'expiry', -150, 'c'],
      ]);
    });

    it('takes the points and one unit together and returns a unique redemption code, once per key', async () => {
      const { ledger, rewards } = await setup();
      await ledger.credit({ memberId: 'ana', amount: 250, reason: 'earn', idempotencyKey: 'c' });
      const first = await rewards.redeem({ memberId: 'ana', rewardId: 'mug', idempotencyKey: 'r1' });
      const second = await rewards.redeem({ memberId: 'ana', rewardId: 'mug', idempotencyKey: 'r2' });
      expect(first.redemption).toMatchObject({
        memberId: 'ana',
        rewardId: 'mug',
        price: 100,
        status: 'active',
      });
      expect(first.redemption.code).toMatch(/^RLV-[A-Z2-9]{5}-[A-Z2-9]{5}$/);
      expect(second.redemption.code).not.toBe(first.redemption.code);
      expect(second.balance).toBe(50);
      const again = await rewards.redeem({ memberId: 'ana', rewardId: 'mug', idempotencyKey: 'r1' });
      expect(again).toMatchObject({ replayed: true, redemption: first.redemption });
      expect((await rewards.catalogue()).find((r) => r.id === 'mug')?.stock).toBe(1);
      expect((await rewards.redemptions('ana')).map((r) => r.code).sort()).toEqual(
        [first.redemption.code, second.redemption.code].sort(),
      );
    });

    it('takes nothing when the member is short of points or the reward is out of stock', async () => {
      const { ledger, rewards } = await setup();
      await ledger.credit({ memberId: 'ben', amount: 50, reason: 'earn', idempotencyKey: 'c' });
      await expect(
        rewards.redeem({ memberId: 'ben', rewardId: 'mug', idempotencyKey: 'r1' }),
      ).rejects.toSatisfy(fails(LedgerErrorCode.insufficientPoints));
      await expect(
        rewards.redeem({ memberId: 'ben', rewardId: 'sticker', idempotencyKey: 'r2' }),
      ).rejects.toSatisfy(fails(RewardErrorCode.outOfStock));
      await expect(
        rewards.redeem({ memberId: 'ben', rewardId: 'yacht', idempotencyKey: 'r3' }),
      ).rejects.toSatisfy(fails(RewardErrorCode.rewardNotFound));
      expect((await ledger.balance('ben')).balance).toBe(50);
      expect((await rewards.catalogue()).map((r) => r.stock)).toEqual([3, 0]);
    });

    it('sells the last units exactly once when many members redeem at the same moment', async () => {
      const { ledger, rewards } = await setup();
      const members = Array.from({ length: 12 }, (_, i) => `m${i}`);
      for (const memberId of members) {
        await ledger.credit({ memberId, amount: 100, reason: 'earn', idempotencyKey: `c-${memberId}` });
      }
      const outcomes = await Promise.allSettled(
        members.map((memberId) =>
          rewards.redeem({ memberId, rewardId: 'mug', idempotencyKey: `r-${memberId}` }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
      expect((await rewards.catalogue())[0]?.stock).toBe(0);
      let total = 0;
      for (const memberId of members) total += (await ledger.balance(memberId)).balance;
      expect(total).toBe(12 * 100 - 3 * 100);
    });

    it('gives points and stock back when a redemption is cancelled, once', async () => {
      const { ledger, rewards } = await setup();
      await ledger.credit({ memberId: 'cy', amount: 100, reason: 'earn', idempotencyKey: 'c' });
      const { redemption } = await rewards.redeem({ memberId: 'cy', rewardId: 'mug', idempotencyKey: 'r1' });
      const cancelled = await rewards.cancel('cy', redemption.code);
      expect(cancelled).toMatchObject({ balance: 100, replayed: false, redemption: { status: 'cancelled' } });
      expect(await rewards.cancel('cy', redemption.code)).toMatchObject({ replayed: true });
      expect((await rewards.catalogue())[0]?.stock).toBe(3);
      const [refund] = await ledger.history('cy', { limit: 1 });
      expect(refund).toMatchObject({ kind: 'reversal', delta: 100, compensates: 'r1' });
      expect((await ledger.verify('cy')).isConsistent).toBe(true);
      await expect(rewards.cancel('someone-else', redemption.code)).rejects.toSatisfy(
        fails(RewardErrorCode.redemptionNotFound),
      );
    });
  });
}

describe('Redis Cluster rewards, where stock and points sit in different slots', () => {
  it('finishes a redemption that stopped after reserving its unit, and never takes a second unit', async () => {
    const client = await cluster.connect();
    const ledger = new RedisLedger(client, { prefix: `${cluster.prefix}-${randomUUID()}` });
    const rewards = new RedisRewardStore(client, ledger, CATALOGUE);
    await rewards.initialise();
    await ledger.credit({ memberId: 'dee', amount: 150, reason: 'earn', idempotencyKey: 'c' });
    // What a process that died right after reserving leaves behind: one unit held under the key.
    const stock = `${ledger.prefix}:rewards:stock`;
    const holdUnit = async (key: string) => {
      await client.hIncrBy(stock, 'mug', -1);
      await client.hSet(`{${stock}}:holds`, key, 'held');
    };
    const units = async () => (await rewards.catalogue()).find((r) => r.id === 'mug')?.stock;

    await holdUnit('r-crash');
    const retried = await rewards.redeem({ memberId: 'dee', rewardId: 'mug', idempotencyKey: 'r-crash' });
    expect(retried).toMatchObject({ balance: 50, replayed: false });
    expect(await units()).toBe(2);
    expect(
      (await rewards.redeem({ memberId: 'dee', rewardId: 'mug', idempotencyKey: 'r-crash' })).replayed,
    ).toBe(true);
    expect(await units()).toBe(2);

    // A retried redemption the member cannot pay for gives its held unit back.
    await holdUnit('r-short');
    await expect(
      rewards.redeem({ memberId: 'dee', rewardId: 'mug', idempotencyKey: 'r-short' }),
    ).rejects.toSatisfy(fails(LedgerErrorCode.insufficientPoints));
    expect(await units()).toBe(2);
  });

  it('gives back the unit of a redemption abandoned after reserving once its deadline passed, and keeps one whose debit ran', async () => {
    const client = await cluster.connect();
    const clock = manualClock();
    const ledger = new RedisLedger(client, { clock, prefix: `${cluster.prefix}-${randomUUID()}` });
    const rewards = new RedisRewardStore(client, ledger, CATALOGUE, { clock, abandonedAfterMs: 60_000 });
    await rewards.initialise();
    for (const memberId of ['eve', 'fay', 'gus'])
      await ledger.credit({ memberId, amount: 300, reason: 'earn', idempotencyKey: `c-${memberId}` });
    const stock = `${ledger.prefix}:rewards:stock`;
    const units = async () => (await rewards.catalogue()).find((r) => r.id === 'mug')?.stock;
    // What a process that died right after reserving leaves behind: the key claimed, one unit held.
    await ledger.claim('r-lost', 'eve');
    await client.hIncrBy(stock, 'mug', -1);
    await client.hSet(`{${stock}}:holds`, 'r-lost', 'held');
    await client.zAdd(`{${stock}}:pending`, { score: clock.now(), value: 'mug\nr-lost' });
    // And one that died after its debit, before keeping its unit.
    await rewards.redeem({ memberId: 'gus', rewardId: 'mug', idempotencyKey: 'r-paid' });
    await client.hSet(`{${stock}}:holds`, 'r-paid', 'held');
    await client.zAdd(`{${stock}}:pending`, { score: clock.now(), value: 'mug\nr-paid' });
    expect(await units()).toBe(1);

    // Before the deadline, another redemption leaves both holds alone: the last unit goes.
    clock.advance(30_000);
    await rewards.redeem({ memberId: 'fay', rewardId: 'mug', idempotencyKey: 'r-fay' });
    expect(await units()).toBe(0);
    await expect(
      rewards.redeem({ memberId: 'fay', rewardId: 'mug', idempotencyKey: 'r-fay-2' }),
    ).rejects.toSatisfy(fails(RewardErrorCode.outOfStock));
    // After it, the next redemption sweeps: the unpaid unit comes back (to it), the paid one stays taken.
    clock.advance(31_000);
    await rewards.redeem({ memberId: 'fay', rewardId: 'mug', idempotencyKey: 'r-fay-3' });
    expect(await units()).toBe(0);
    expect(await client.zCard(`{${stock}}:pending`)).toBe(0);

    // The abandoned redemption resumed late (or retried) cannot take the unit it lost: none is left.
    await expect(
      rewards.redeem({ memberId: 'eve', rewardId: 'mug', idempotencyKey: 'r-lost' }),
    ).rejects.toSatisfy(fails(RewardErrorCode.outOfStock));
    // With a unit back in stock it reserves one anew and pays once.
    const [fays] = await rewards.redemptions('fay');
    await rewards.cancel('fay', fays?.code ?? '');
    const late = await rewards.redeem({ memberId: 'eve', rewardId: 'mug', idempotencyKey: 'r-lost' });
    expect(late).toMatchObject({ balance: 200, replayed: false });
    expect(await units()).toBe(0);
    expect(
      (await rewards.redeem({ memberId: 'eve', rewardId: 'mug', idempotencyKey: 'r-lost' })).replayed,
    ).toBe(true);
    expect(await units()).toBe(0);
    expect((await rewards.redemptions('gus')).map((r) => r.status)).toEqual(['active']);
    for (const memberId of ['eve', 'fay', 'gus'])
      expect((await ledger.verify(memberId)).isConsistent).toBe(true);
  });
});
