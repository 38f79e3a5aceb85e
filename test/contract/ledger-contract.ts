import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { hasCode } from '../../core/errors.js';
import { LedgerErrorCode } from '../../gamification/ledger/errors.js';
import type { Ledger } from '../../gamification/ledger/types.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

/** A clock the test moves by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start = T0): ManualClock {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

const rejectsWith = (code: string) => (error: unknown) => hasCode(error, code);

/**
 * The ledger contract, run against every implementation. `create` returns a fresh, empty ledger on
 * the given clock whose points stay valid for 30 days.
 */
export function ledgerContract(name: string, create: (clock: Clock) => Promise<Ledger>): void {
  describe(`${name} ledger`, () => {
    it('adds credits to the balance and lists the history newest first like a statement', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      await ledger.credit({ memberId: 'm1', amount: 100, reason: 'survey', idempotencyKey: 'a1' });
      clock.advance(1000);
      await ledger.credit({ memberId: 'm1', amount: 20, reason: 'game won', idempotencyKey: 'a2' });
      expect(await ledger.balance('m1')).toEqual({ memberId: 'm1', balance: 120, lifetime: 120 });
      const history = await ledger.history('m1');
      expect(history.map((e) => [e.id, e.delta, e.balanceAfter, e.kind])).toEqual([
        ['a2', 20, 120, 'credit'],
        ['a1', 100, 100, 'credit'],
      ]);
      expect(history[1]).toMatchObject({
        memberId: 'm1',
        reason: 'survey',
        at: T0,
        expiresAt: T0 + 30 * DAY,
      });
      expect((await ledger.history('m1', { limit: 1, offset: 1 })).map((e) => e.id)).toEqual(['a1']);
    });

    it('applies the same idempotency key once and returns the first result again', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      const request = { memberId: 'm1', amount: 10, reason: 'csat', idempotencyKey: 'activity-1' };
      const first = await ledger.credit(request);
      await ledger.credit({ memberId: 'm1', amount: 5, reason: 'other', idempotencyKey: 'activity-2' });
      clock.advance(DAY);
      const again = await ledger.credit(request);
      expect(first.replayed).toBe(false);
      expect(again).toEqual({ ...first, replayed: true });
      expect((await ledger.balance('m1')).balance).toBe(15);
    });

    it('rejects a key reused with other parameters or for another member', async () => {
      const ledger = await create(manualClock());
      await ledger.credit({ memberId: 'm1', amount: 10, reason: 'csat', idempotencyKey: 'k' });
      await expect(
        ledger.credit({ memberId: 'm1', amount: 11, reason: 'csat', idempotencyKey: 'k' }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      await expect(
        ledger.debit({ memberId: 'm1', amount: 10, reason: 'csat', idempotencyKey: 'k' }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      await expect(
        ledger.credit({ memberId: 'm2', amount: 10, reason: 'csat', idempotencyKey: 'k' }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      expect((await ledger.balance('m1')).balance).toBe(10);
      expect((await ledger.balance('m2')).balance).toBe(0);
    });

    it('keeps a key of the earn: space to the member it names, whoever asks first, and once', async () => {
      const ledger = await create(manualClock());
      const key = 'earn:welcome:m1:ever';
      // Nobody has used the key yet, and still it can never pay another member.
      await expect(
        ledger.credit({ memberId: 'm2', amount: 10, reason: 'welcome', idempotencyKey: key }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      await expect(
        ledger.debit({ memberId: 'm2', amount: 1, reason: 'spend', idempotencyKey: key }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      const first = await ledger.credit({
        memberId: 'm1',
        amount: 10,
        reason: 'welcome',
        idempotencyKey: key,
      });
      const again = await ledger.credit({
        memberId: 'm1',
        amount: 10,
        reason: 'welcome',
        idempotencyKey: key,
      });
      expect(again).toEqual({ ...first, replayed: true });
      await expect(
        ledger.credit({ memberId: 'm1', amount: 11, reason: 'welcome', idempotencyKey: key }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      // A member id holding a colon cannot pass for the member a longer key names.
      await expect(
        ledger.credit({
          memberId: 'm1:ever',
          amount: 10,
          reason: 'r',
          idempotencyKey: 'earn:welcome:m1:ever:x',
        }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.idempotencyConflict));
      await expect(
        ledger.credit({ memberId: 'm1', amount: 10, reason: 'r', idempotencyKey: 'earn:welcome:m1' }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.invalidRequest));
      expect(await ledger.balance('m1')).toEqual({ memberId: 'm1', balance: 10, lifetime: 10 });
      expect((await ledger.balance('m2')).balance).toBe(0);
      const members: string[] = [];
      for await (const member of ledger.members()) members.push(member);
      expect(members).toContain('m1');
    });

    it('rejects malformed requests and keys in the reserved sys: space', async () => {
      const ledger = await create(manualClock());
      for (const request of [
        { memberId: 'm1', amount: 0, reason: 'r', idempotencyKey: 'k0' },
        { memberId: 'm1', amount: 1.5, reason: 'r', idempotencyKey: 'k1' },
        { memberId: 'm1', amount: 1, reason: '', idempotencyKey: 'k2' },
        { memberId: 'm1', amount: 1, reason: 'r', idempotencyKey: 'sys:expire:x' },
        { memberId: '', amount: 1, reason: 'r', idempotencyKey: 'k3' },
      ]) {
        await expect(ledger.credit(request)).rejects.toSatisfy(rejectsWith(LedgerErrorCode.invalidRequest));
      }
    });

    it('refuses a debit larger than the balance and lets the same key succeed once points arrive', async () => {
      const ledger = await create(manualClock());
      await ledger.credit({ memberId: 'm1', amount: 30, reason: 'earn', idempotencyKey: 'c1' });
      const debit = { memberId: 'm1', amount: 50, reason: 'reward', idempotencyKey: 'd1' };
      await expect(ledger.debit(debit)).rejects.toSatisfy(rejectsWith(LedgerErrorCode.insufficientPoints));
      expect(await ledger.balance('m1')).toMatchObject({ balance: 30 });
      await ledger.credit({ memberId: 'm1', amount: 30, reason: 'earn', idempotencyKey: 'c2' });
      const done = await ledger.debit(debit);
      expect(done).toMatchObject({ balance: 10, lifetime: 60, replayed: false });
      expect(done.entry).toMatchObject({ id: 'd1', delta: -50, kind: 'debit', balanceAfter: 10 });
    });

    it('expires points N days after they were earned, spending the oldest first', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      await ledger.credit({ memberId: 'm1', amount: 100, reason: 'a', idempotencyKey: 'old' });
      clock.set(T0 + 5 * DAY);
      await ledger.credit({ memberId: 'm1', amount: 50, reason: 'b', idempotencyKey: 'new' });
      clock.set(T0 + 10 * DAY);
      await ledger.debit({ memberId: 'm1', amount: 70, reason: 'reward', idempotencyKey: 'spend' });
      clock.set(T0 + 30 * DAY - 1);
      expect((await ledger.balance('m1')).balance).toBe(80);
      clock.set(T0 + 30 * DAY);
      expect(await ledger.balance('m1')).toEqual({ memberId: 'm1', balance: 50, lifetime: 150 });
      const [expiry] = await ledger.history('m1', { limit: 1 });
      expect(expiry).toMatchObject({ delta: -30, kind: 'expiry', compensates: 'old', at: T0 + 30 * DAY });
      clock.set(T0 + 40 * DAY);
      expect((await ledger.balance('m1')).balance).toBe(0);
      expect(await ledger.verify('m1')).toMatchObject({ isConsistent: true, balance: 0, entries: 5 });
    });

    it('keeps points without expiry when a credit is valid for 0 days', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      const { entry } = await ledger.credit({
        memberId: 'm1',
        amount: 5,
        reason: 'welcome',
        idempotencyKey: 'w',
        validForDays: 0,
      });
      expect(entry?.expiresAt).toBeUndefined();
      clock.advance(1000 * DAY);
      expect((await ledger.balance('m1')).balance).toBe(5);
    });

    it('reverses a credit with a compensating entry, once, and lowers the lifetime total', async () => {
      const ledger = await create(manualClock());
      await ledger.credit({ memberId: 'm1', amount: 40, reason: 'purchase', idempotencyKey: 'p1' });
      await ledger.credit({ memberId: 'm1', amount: 10, reason: 'survey', idempotencyKey: 's1' });
      const reversal = { memberId: 'm1', entryId: 'p1', reason: 'order refunded', idempotencyKey: 'r1' };
      const result = await ledger.reverse(reversal);
      expect(result).toMatchObject({ balance: 10, lifetime: 10, replayed: false });
      expect(result.entry).toMatchObject({ id: 'r1', delta: -40, kind: 'reversal', compensates: 'p1' });
      expect(await ledger.reverse(reversal)).toMatchObject({ balance: 10, replayed: true });
      await expect(ledger.reverse({ ...reversal, idempotencyKey: 'r2' })).rejects.toSatisfy(
        rejectsWith(LedgerErrorCode.notReversible),
      );
      await expect(ledger.reverse({ ...reversal, entryId: 'nope', idempotencyKey: 'r3' })).rejects.toSatisfy(
        rejectsWith(LedgerErrorCode.entryNotFound),
      );
      expect(await ledger.verify('m1')).toMatchObject({ isConsistent: true, balance: 10, lotsSum: 10 });
    });

    it('refuses to reverse a credit whose points were already spent', async () => {
      const ledger = await create(manualClock());
      await ledger.credit({ memberId: 'm1', amount: 40, reason: 'purchase', idempotencyKey: 'p1' });
      await ledger.debit({ memberId: 'm1', amount: 30, reason: 'reward', idempotencyKey: 'd1' });
      await expect(
        ledger.reverse({ memberId: 'm1', entryId: 'p1', reason: 'refund', idempotencyKey: 'r1' }),
      ).rejects.toSatisfy(rejectsWith(LedgerErrorCode.insufficientPoints));
      expect((await ledger.balance('m1')).balance).toBe(10);
    });

    it('gives a reversed debit its points back with the expiry they had', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      await ledger.credit({ memberId: 'm1', amount: 40, reason: 'earn', idempotencyKey: 'c1' });
      await ledger.debit({ memberId: 'm1', amount: 40, reason: 'reward', idempotencyKey: 'd1' });
      clock.advance(DAY);
      const back = await ledger.reverse({
        memberId: 'm1',
        entryId: 'd1',
        reason: 'cancelled',
        idempotencyKey: 'r1',
      });
      expect(back).toMatchObject({ balance: 40, lifetime: 40 });
      clock.set(T0 + 30 * DAY);
      expect((await ledger.balance('m1')).balance).toBe(0);
      expect(await ledger.verify('m1')).toMatchObject({ isConsistent: true });
    });

    it('clips a credit to what is left of its caps and reports each bucket', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      const caps = [
        { key: 'day:2026-11-02', limit: 25, ttlMs: 2 * DAY },
        { key: 'week:2026-W45', ttlMs: 8 * DAY },
      ];
      const first = await ledger.credit({
        memberId: 'm1',
        amount: 20,
        reason: 'msg',
        idempotencyKey: 'e1',
        buckets: caps,
      });
      expect(first.buckets).toEqual({ 'day:2026-11-02': 20, 'week:2026-W45': 20 });
      const second = await ledger.credit({
        memberId: 'm1',
        amount: 20,
        reason: 'msg',
        idempotencyKey: 'e2',
        buckets: caps,
      });
      expect(second.entry?.delta).toBe(5);
      const third = await ledger.credit({
        memberId: 'm1',
        amount: 20,
        reason: 'msg',
        idempotencyKey: 'e3',
        buckets: caps,
      });
      expect(third).toMatchObject({ entry: undefined, balance: 25 });
      expect(
        await ledger.credit({
          memberId: 'm1',
          amount: 20,
          reason: 'msg',
          idempotencyKey: 'e3',
          buckets: caps,
        }),
      ).toEqual({
        ...third,
        replayed: true,
      });
      // A bucket's key names its period; the TTL only cleans up (on Redis it runs on Redis's own clock).
      clock.advance(DAY);
      const nextDay = [{ ...caps[0], key: 'day:2026-11-03' }, caps[1]] as typeof caps;
      const later = await ledger.credit({
        memberId: 'm1',
        amount: 20,
        reason: 'msg',
        idempotencyKey: 'e4',
        buckets: nextDay,
      });
      expect(later.buckets).toEqual({ 'day:2026-11-03': 20, 'week:2026-W45': 45 });
    });

    it('moves every point, its expiry and the lifetime total when two members merge, once', async () => {
      const clock = manualClock();
      const ledger = await create(clock);
      await ledger.credit({ memberId: 'anon', amount: 30, reason: 'a', idempotencyKey: 'x1' });
      await ledger.debit({ memberId: 'anon', amount: 10, reason: 'b', idempotencyKey: 'x2' });
      await ledger.credit({
        memberId: 'known',
        amount: 5,
        reason: 'c',
        idempotencyKey: 'y1',
        validForDays: 0,
      });
      const moved = await ledger.moveAll('anon', 'known', 'merge-1');
      expect(moved).toEqual({
        fromMemberId: 'anon',
        toMemberId: 'known',
        moved: 20,
        lifetimeMoved: 30,
        replayed: false,
      });
      expect(await ledger.moveAll('anon', 'known', 'merge-1')).toMatchObject({ moved: 20, replayed: true });
      expect(await ledger.balance('anon')).toMatchObject({ balance: 0, lifetime: 0 });
      expect(await ledger.balance('known')).toMatchObject({ balance: 25, lifetime: 35 });
      await expect(ledger.moveAll('anon', 'other', 'merge-1')).rejects.toSatisfy(
        rejectsWith(LedgerErrorCode.idempotencyConflict),
      );
      clock.set(T0 + 30 * DAY);
      expect((await ledger.balance('known')).balance).toBe(5);
      for (const member of ['anon', 'known']) expect((await ledger.verify(member)).isConsistent).toBe(true);
    });

    it('never overdraws under concurrent debits', async () => {
      const ledger = await create(manualClock());
      await ledger.credit({ memberId: 'm1', amount: 100, reason: 'earn', idempotencyKey: 'c' });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          ledger.debit({ memberId: 'm1', amount: 10, reason: 'spend', idempotencyKey: `d${i}` }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
      expect(await ledger.verify('m1')).toMatchObject({ isConsistent: true, balance: 0, entries: 11 });
    });

    it('lists every member that has entries', async () => {
      const ledger = await create(manualClock());
      for (const memberId of ['a', 'b', 'c']) {
        await ledger.credit({ memberId, amount: 1, reason: 'r', idempotencyKey: `k-${memberId}` });
      }
      const members: string[] = [];
      for await (const member of ledger.members()) members.push(member);
      expect(members.sort()).toEqual(['a', 'b', 'c']);
    });
  });
}
