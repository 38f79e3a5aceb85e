import { idempotencyConflict, invalidLedgerRequest } from './errors.js';
import type { CreditRequest, DebitRequest, LedgerBucket, ReverseRequest } from './types.js';

const DAY_MS = 86_400_000;
/** Largest single movement; keeps every sum an exact integer in both JavaScript and Lua doubles. */
export const MAX_AMOUNT = 1_000_000_000;
/** Prefix of ids the ledger writes itself; callers may not use it, so theirs never collide. */
export const SYSTEM_PREFIX = 'sys:';
/** Prefix of keys that name their member (see {@link namesItsMember}). */
export const MEMBER_KEY_PREFIX = 'earn:';

function requireText(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalidLedgerRequest(`${name} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

export function requireMemberId(memberId: unknown): string {
  return requireText(memberId, 'memberId', 200);
}

/** Caller-chosen key: printable, no `sys:` prefix (reserved for compensating entries). */
export function requireKey(key: unknown): string {
  const text = requireText(key, 'idempotencyKey', 255);
  if (text.startsWith(SYSTEM_PREFIX))
    throw invalidLedgerRequest(`idempotencyKey may not start with "${SYSTEM_PREFIX}"`);
  return text;
}

/**
 * Keys in the `earn:` space name their member: `earn:<rule>:<memberId>:<scope>` (the loyalty rules
 * write them so). Such a key belongs to the member it names by construction, so the ledger needs no
 * global claim for it; any other member using it is refused. Answers whether `key` is such a key for
 * `memberId`, and throws the conflict when it names someone else.
 */
export function namesItsMember(key: string, memberId: string): boolean {
  if (!key.startsWith(MEMBER_KEY_PREFIX)) return false;
  const parts = key.split(':');
  if (parts.length < 4 || parts[1] === '' || parts[3] === '') {
    throw invalidLedgerRequest(
      `idempotencyKey in the "${MEMBER_KEY_PREFIX}" space must read earn:<rule>:<memberId>:<scope>`,
    );
  }
  if (parts[2] !== memberId) throw idempotencyConflict(key);
  return true;
}

function requireAmount(amount: unknown): number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0 || amount > MAX_AMOUNT) {
    throw invalidLedgerRequest(`amount must be a whole number of points from 1 to ${MAX_AMOUNT}`);
  }
  return amount;
}

function requireBuckets(buckets: LedgerBucket[] | undefined): LedgerBucket[] {
  for (const bucket of buckets ?? []) {
    requireText(bucket.key, 'bucket key', 200);
    if (bucket.limit !== undefined && (!Number.isSafeInteger(bucket.limit) || bucket.limit < 0)) {
      throw invalidLedgerRequest('bucket limit must be a whole number ≥ 0');
    }
    if (!Number.isSafeInteger(bucket.ttlMs) || bucket.ttlMs <= 0) {
      throw invalidLedgerRequest('bucket ttlMs must be a positive whole number');
    }
  }
  return buckets ?? [];
}

/** A credit checked and resolved against the clock: what both implementations apply. */
export interface ResolvedCredit {
  memberId: string;
  key: string;
  amount: number;
  reason: string;
  expiresAt: number | undefined;
  buckets: LedgerBucket[];
  /** Parameters that must match when the key is replayed (not the clock-derived expiry, nor the buckets). */
  fingerprint: string;
}

export function resolveCredit(request: CreditRequest, now: number, defaultValidDays: number): ResolvedCredit {
  const memberId = requireMemberId(request.memberId);
  const key = requireKey(request.idempotencyKey);
  const amount = requireAmount(request.amount);
  const reason = requireText(request.reason, 'reason', 500);
  const days = request.validForDays ?? defaultValidDays;
  if (!Number.isFinite(days) || days < 0) throw invalidLedgerRequest('validForDays must be ≥ 0');
  return {
    memberId,
    key,
    amount,
    reason,
    expiresAt: days === 0 ? undefined : now + Math.round(days * DAY_MS),
    buckets: requireBuckets(request.buckets),
    fingerprint: JSON.stringify(['credit', memberId, amount, reason, request.validForDays ?? null]),
  };
}

export interface ResolvedDebit {
  memberId: string;
  key: string;
  amount: number;
  reason: string;
  fingerprint: string;
}

export function resolveDebit(request: DebitRequest): ResolvedDebit {
  const memberId = requireMemberId(request.memberId);
  const key = requireKey(request.idempotencyKey);
  const amount = requireAmount(request.amount);
  const reason = requireText(request.reason, 'reason', 500);
  return { memberId, key, amount, reason, fingerprint: JSON.stringify(['debit', memberId, amount, reason]) };
}

export interface ResolvedReverse {
  memberId: string;
  key: string;
  entryId: string;
  reason: string;
  fingerprint: string;
}

export function resolveReverse(request: ReverseRequest): ResolvedReverse {
  const memberId = requireMemberId(request.memberId);
  const key = requireKey(request.idempotencyKey);
  const entryId = requireText(request.entryId, 'entryId', 300);
  const reason = requireText(request.reason, 'reason', 500);
  return {
    memberId,
    key,
    entryId,
    reason,
    fingerprint: JSON.stringify(['reverse', memberId, entryId, reason]),
  };
}

export function moveFingerprint(fromMemberId: string, toMemberId: string): string {
  return JSON.stringify(['move', fromMemberId, toMemberId]);
}

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return 50;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw invalidLedgerRequest('limit must be a whole number ≥ 1');
  return Math.min(limit, 500);
}

export function clampOffset(offset: number | undefined): number {
  if (offset === undefined) return 0;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw invalidLedgerRequest('offset must be a whole number ≥ 0');
  return offset;
}
