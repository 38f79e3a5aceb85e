import { describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { hasCode } from '../../core/errors.js';
import { LedgerErrorCode } from '../../gamification/ledger/errors.js';
import { sweepExpiredPoints } from '../../gamification/ledger/sweep.js';
import type { Ledger, LedgerEntry } from '../../gamification/ledger/types.js';
import { manualClock } from './ledger-contract.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);

/** Every expiry entry the listeners of `ledgers` were told about, in order. */
function listen(ledgers: readonly Ledger[]): LedgerEntry[] {
  const heard: LedgerEntry[] = [];
  for (const ledger of new Set(ledgers)) ledger.onExpired((entries) => void heard.push(...entries));
  return heard;
}

/**
 * How a ledger reports the expiry it writes, run against every implementation. `create` returns the
 * ledgers of every process sharing one fresh, empty store (one for memory), on the given clock, whose
 * points stay valid for 30 days.
 */
export function ledgerExpiryContract(name: string, create: (clock: Clock) => Promise<Ledger[]>): void {
  describe(`${name} ledger expiry reports`, () => {
    it('tells the listener each expiry entry once, whichever read or write noticed it', async () => {
      const clock = manualClock();
      const [ledger] = (await create(clock)) as [Ledger];
      const heard = listen([ledger]);
      await ledger.credit({ memberId: 'm1', amount: 100, reason: 'a', idempotencyKey: 'old' });
      clock.set(T0 + 5 * DAY);
      await ledger.credit({ memberId: 'm1', amount: 50, reason: 'b', idempotencyKey: 'new' });
      await ledger.debit({ memberId: 'm1', amount: 70, reason: 'reward', idempotencyKey: 'spend' });
      expect(heard).toEqual([]);
      clock.set(T0 + 30 * DAY);
      expect((await ledger.balance('m1')).balance).toBe(50);
      expect(heard).toEqual([
        expect.objectContaining({ delta: -30, kind: 'expiry', compensates: 'old', at: T0 + 30 * DAY }),
      ]);
      await ledger.balance('m1');
      await ledger.history('m1');
      expect(heard).toHaveLength(1);
      // A debit the balance cannot cover still reports the expiry it wrote before refusing.
      clock.set(T0 + 35 * DAY);
      await expect(
        ledger.debit({ memberId: 'm1', amount: 10, reason: 'reward', idempotencyKey: 'late' }),
      ).rejects.toSatisfy((error: unknown) => hasCode(error, LedgerErrorCode.insufficientPoints));
      expect(heard.map((e) => [e.delta, e.compensates, e.memberId])).toEqual([
        [-30, 'old', 'm1'],
        [-50, 'new', 'm1'],
      ]);
      const written = (await ledger.history('m1')).filter((e) => e.kind === 'expiry');
      expect(heard).toEqual(written.reverse());
    });

    it('reports the expiry of a replayed write again with the same entry, so a recorder keyed by entry id counts it once', async () => {
      const clock = manualClock();
      const [ledger] = (await create(clock)) as [Ledger];
      const heard = listen([ledger]);
      await ledger.credit({ memberId: 'm1', amount: 40, reason: 'a', idempotencyKey: 'c1' });
      clock.set(T0 + 31 * DAY);
      const credit = { memberId: 'm1', amount: 5, reason: 'b', idempotencyKey: 'c2' };
      await ledger.credit(credit);
      expect(heard).toHaveLength(1);
      const again = await ledger.credit(credit);
      expect(again.replayed).toBe(true);
      expect(heard).toHaveLength(2);
      expect(heard[1]).toEqual(heard[0]);
      expect(heard[0]).toMatchObject({ delta: -40, compensates: 'c1', at: T0 + 30 * DAY, balanceAfter: 0 });
      expect((await ledger.balance('m1')).balance).toBe(5);
    });

    it('reports what a sweep expired once, even when every process sweeps at the same time', async () => {
      const clock = manualClock();
      const ledgers = await create(clock);
      const [first] = ledgers as [Ledger];
      const heard = listen(ledgers);
      for (const member of ['a', 'b', 'c']) {
        await first.credit({
          memberId: member,
          amount: 10,
          reason: 'earn',
          idempotencyKey: `earn-${member}`,
        });
      }
      clock.set(T0 + 30 * DAY);
      await Promise.all(
        ledgers.flatMap((ledger) => [sweepExpiredPoints(ledger), sweepExpiredPoints(ledger)]),
      );
      expect(heard.map((e) => e.memberId).sort()).toEqual(['a', 'b', 'c']);
      expect(new Set(heard.map((e) => `${e.memberId}/${e.id}`)).size).toBe(3);
      expect(heard.every((e) => e.kind === 'expiry' && e.delta === -10)).toBe(true);
    });

    it('reports points that expired on the way when two members merge', async () => {
      const clock = manualClock();
      const [ledger] = (await create(clock)) as [Ledger];
      const heard = listen([ledger]);
      await ledger.credit({ memberId: 'from', amount: 12, reason: 'a', idempotencyKey: 'f1' });
      await ledger.credit({
        memberId: 'from',
        amount: 3,
        reason: 'b',
        idempotencyKey: 'f2',
        validForDays: 0,
      });
      clock.set(T0 + 30 * DAY);
      const moved = await ledger.moveAll('from', 'to', 'merge-1');
      expect(moved).toMatchObject({ moved: 3, replayed: false });
      expect(heard.map((e) => [e.memberId, e.delta, e.compensates])).toEqual([['from', -12, 'f1']]);
    });
  });
}
