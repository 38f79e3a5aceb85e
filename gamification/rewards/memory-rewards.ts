import { idempotencyConflict } from '../ledger/errors.js';
import type { MemoryLedger } from '../ledger/memory-ledger.js';
import { requireKey, requireMemberId } from '../ledger/requests.js';
import type { RewardConfig } from '../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import {
  createRedemptionCode,
  notCancellable,
  type RedeemRequest,
  type Redemption,
  type RedemptionResult,
  redemptionNotFound,
  type RewardListing,
  type RewardStore,
  outOfStock,
  rewardNotFound,
} from './types.js';

export interface RewardStoreOptions {
  clock?: Clock;
  /** Code generator; default {@link createRedemptionCode}. */
  createCode?: () => string;
}

/**
 * {@link RewardStore} in process memory over a {@link MemoryLedger}: stock check, debit and stock
 * update run synchronously, with no await in between, which is what makes them one step.
 */
export class MemoryRewardStore implements RewardStore {
  private readonly stock = new Map<string, number>();
  private readonly byCode = new Map<string, Redemption>();
  private readonly byKey = new Map<string, { code: string; fingerprint: string }>();
  private readonly clock: Clock;
  private readonly createCode: () => string;

  constructor(
    private readonly ledger: MemoryLedger,
    private readonly rewards: readonly RewardConfig[],
    options: RewardStoreOptions = {},
  ) {
    for (const reward of rewards) this.stock.set(reward.id, reward.stock);
    this.clock = options.clock ?? systemClock;
    this.createCode = options.createCode ?? createRedemptionCode;
  }

  async catalogue(): Promise<RewardListing[]> {
    return this.rewards.map((r) => ({
      id: r.id,
      name: r.name,
      price: r.price,
      stock: this.stock.get(r.id) ?? 0,
    }));
  }

  async redeem(request: RedeemRequest): Promise<RedemptionResult> {
    try {
      return this.redeemNow(request);
    } finally {
      await this.ledger.reportExpired();
    }
  }

  async cancel(memberId: string, code: string, reason = 'redemption cancelled'): Promise<RedemptionResult> {
    try {
      return this.cancelNow(memberId, code, reason);
    } finally {
      await this.ledger.reportExpired();
    }
  }

  /** Stock and points in one synchronous step, so two redemptions cannot interleave. */
  private redeemNow(request: RedeemRequest): RedemptionResult {
    const memberId = requireMemberId(request.memberId);
    const key = requireKey(request.idempotencyKey);
    const reward = this.rewards.find((r) => r.id === request.rewardId);
    if (reward === undefined) throw rewardNotFound(request.rewardId);
    const fingerprint = JSON.stringify([memberId, reward.id, reward.price]);
    const prior = this.byKey.get(key);
    if (prior !== undefined) {
      if (prior.fingerprint !== fingerprint) throw idempotencyConflict(key);
      const redemption = this.byCode.get(prior.code) as Redemption;
      return {
        redemption: structuredClone(redemption),
        balance: this.ledgerBalance(memberId),
        replayed: true,
      };
    }
    if ((this.stock.get(reward.id) ?? 0) <= 0) throw outOfStock(reward.id);
    const debit = this.ledger.debitNow({
      memberId,
      amount: reward.price,
      reason: `reward:${reward.id}`,
      idempotencyKey: key,
    });
    this.stock.set(reward.id, (this.stock.get(reward.id) ?? 0) - 1);
    const redemption: Redemption = {
      code: this.createCode(),
      memberId,
      rewardId: reward.id,
      price: reward.price,
      entryId: key,
      at: this.clock.now(),
      status: 'active',
    };
    this.byCode.set(redemption.code, redemption);
    this.byKey.set(key, { code: redemption.code, fingerprint });
    return { redemption: structuredClone(redemption), balance: debit.balance, replayed: false };
  }

  private cancelNow(memberId: string, code: string, reason: string): RedemptionResult {
    const redemption = this.byCode.get(code);
    if (redemption === undefined || redemption.memberId !== memberId) throw redemptionNotFound(code);
    if (redemption.status === 'cancelled') {
      return {
        redemption: structuredClone(redemption),
        balance: this.ledgerBalance(memberId),
        replayed: true,
      };
    }
    let balance: number;
    try {
      balance = this.ledger.reverseNow({
        memberId,
        entryId: redemption.entryId,
        reason,
        idempotencyKey: `cancel:${code}`,
      }).balance;
    } catch {
      throw notCancellable(code);
    }
    this.stock.set(redemption.rewardId, (this.stock.get(redemption.rewardId) ?? 0) + 1);
    redemption.status = 'cancelled';
    redemption.cancelledAt = this.clock.now();
    return { redemption: structuredClone(redemption), balance, replayed: false };
  }

  async redemptions(memberId: string): Promise<Redemption[]> {
    return structuredClone(
      [...this.byCode.values()].filter((r) => r.memberId === memberId).sort((a, b) => b.at - a.at),
    );
  }

  /** Balance without awaiting, from the last entry the ledger holds (no expiry pass needed for a replay). */
  private ledgerBalance(memberId: string): number {
    return this.ledger.balanceNow(memberId);
  }
}
