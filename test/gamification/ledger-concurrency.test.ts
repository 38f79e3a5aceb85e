import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import type { LedgerEntry, LedgerResult } from '../../gamification/ledger/types.js';
import { useRedis } from '../support/redis-fixture.js';

const redis = useRedis();

/** Deterministic numbers, so a failure replays the same mix. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('Redis ledger under load', () => {
  it('applies 1,000 concurrent credits and debits with 10 % duplicated keys exactly once and never goes negative', async () => {
    const ledger = new RedisLedger(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` });
    const memberId = 'busy-member';
    await ledger.credit({ memberId, amount: 200, reason: 'seed', idempotencyKey: 'seed' });
    const random = seeded(10);
    type Op = { key: string; kind: 'credit' | 'debit'; amount: number };
    const unique: Op[] = Array.from({ length: 900 }, (_, i) => ({
      key: `op-${i}`,
      kind: random() < 0.55 ? 'credit' : 'debit',
      amount: 1 + Math.floor(random() * 20),
    }));
    const duplicates = Array.from({ length: 100 }, () => unique[Math.floor(random() * unique.length)] as Op);
    const ops = [...unique, ...duplicates].sort(() => random() - 0.5);

    const outcomes = await Promise.allSettled(
      ops.map((op) =>
        op.kind === 'credit'
          ? ledger.credit({ memberId, amount: op.amount, reason: 'load', idempotencyKey: op.key })
          : ledger.debit({ memberId, amount: op.amount, reason: 'load', idempotencyKey: op.key }),
      ),
    );

    const applied = new Map<string, LedgerResult>();
    outcomes.forEach((outcome, i) => {
      const op = ops[i] as Op;
      if (outcome.status === 'rejected') {
        expect(op.kind, 'only debits may be refused').toBe('debit');
        return;
      }
      const earlier = applied.get(op.key);
      if (earlier) expect(outcome.value.entry).toEqual(earlier.entry);
      else applied.set(op.key, outcome.value);
    });
    const expected = 200 + [...applied.values()].reduce((sum, result) => sum + (result.entry?.delta ?? 0), 0);

    expect((await ledger.balance(memberId)).balance).toBe(expected);
    const entries: LedgerEntry[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await ledger.history(memberId, { limit: 500, offset });
      entries.push(...page);
      if (page.length < 500) break;
    }
    expect(entries).toHaveLength(applied.size + 1);
    expect(entries.every((entry) => entry.balanceAfter >= 0)).toBe(true);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    expect(await ledger.verify(memberId)).toMatchObject({ isConsistent: true, balance: expected });
    expect(applied.size).toBeGreaterThan(600);
  });
});
