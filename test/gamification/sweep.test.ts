import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../gamification/ledger/memory-ledger.js';
import { sweepExpiredPoints } from '../../gamification/ledger/sweep.js';
import { manualClock } from '../contract/ledger-contract.js';

describe('expiry sweep', () => {
  it('writes the expiry entries of members nobody has touched since their points expired', async () => {
    const clock = manualClock();
    const ledger = new MemoryLedger({ clock, pointsValidForDays: 1 });
    await ledger.credit({ memberId: 'idle', amount: 7, reason: 'earn', idempotencyKey: 'c' });
    clock.advance(2 * 86_400_000);
    expect(await ledger.verify('idle')).toMatchObject({ entries: 1 });
    expect(await sweepExpiredPoints(ledger)).toBe(1);
    // verify reads without expiring: the entry is there because the sweep wrote it.
    expect(await ledger.verify('idle')).toMatchObject({ entries: 2, balance: 0, isConsistent: true });
    const [expiry] = await ledger.history('idle');
    expect(expiry).toMatchObject({ kind: 'expiry', delta: -7, balanceAfter: 0 });
  });
});
