import { randomInt } from 'node:crypto';
import { RelevoError } from '../../core/errors.js';

/** A reward of the catalogue with its live stock. */
export interface RewardListing {
  id: string;
  name: string;
  price: number;
  stock: number;
}

export interface Redemption {
  /** Unique, unguessable code the member shows to claim the reward. */
  code: string;
  memberId: string;
  rewardId: string;
  price: number;
  /** The ledger debit that paid for it (its id is the redeem request's idempotency key). */
  entryId: string;
  at: number;
  status: 'active' | 'cancelled';
  cancelledAt?: number;
}

export interface RedeemRequest {
  memberId: string;
  rewardId: string;
  idempotencyKey: string;
}

export interface RedemptionResult {
  redemption: Redemption;
  balance: number;
  replayed: boolean;
}

/**
 * The rewards catalogue and redemptions. Redeeming takes the points and one unit of stock in one
 * atomic step (or neither); cancelling gives both back with a compensating ledger entry.
 */
export interface RewardStore {
  catalogue(): Promise<RewardListing[]>;
  redeem(request: RedeemRequest): Promise<RedemptionResult>;
  /** Cancels a redemption of this member; cancelling twice answers the first cancellation again. */
  cancel(memberId: string, code: string, reason?: string): Promise<RedemptionResult>;
  redemptions(memberId: string): Promise<Redemption[]>;
}

export const RewardErrorCode = {
  rewardNotFound: 'RELEVO_REWARD_NOT_FOUND',
  outOfStock: 'RELEVO_REWARD_OUT_OF_STOCK',
  redemptionNotFound: 'RELEVO_REDEMPTION_NOT_FOUND',
  notCancellable: 'RELEVO_REDEMPTION_NOT_CANCELLABLE',
} as const;

export function rewardNotFound(rewardId: string): RelevoError {
  return new RelevoError(RewardErrorCode.rewardNotFound, 'No such reward', {
    statusCode: 404,
    details: { rewardId },
  });
}

export function outOfStock(rewardId: string): RelevoError {
  return new RelevoError(RewardErrorCode.outOfStock, 'This reward is out of stock', {
    statusCode: 409,
    details: { rewardId },
  });
}

export function redemptionNotFound(code: string): RelevoError {
  return new RelevoError(RewardErrorCode.redemptionNotFound, 'No such redemption for this member', {
    statusCode: 404,
    details: { code },
  });
}

export function notCancellable(code: string): RelevoError {
  return new RelevoError(
    RewardErrorCode.notCancellable,
    'The points of this redemption were already given back',
    {
      statusCode: 409,
      details: { code },
    },
  );
}

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/**
 * `RLV-XXXXX-XXXXX` from 10 random characters (no 0/O, 1/I/L to misread), each drawn uniformly with
 * `crypto.randomInt` by default; `random` is injected only where a run must be repeatable (fixtures).
 */
export function createRedemptionCode(random: (max: number) => number = randomInt): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[random(ALPHABET.length)]).join('');
  return `RLV-${chars.slice(0, 5)}-${chars.slice(5)}`;
}
