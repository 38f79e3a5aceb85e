import { entryNotFound, idempotencyConflict, insufficientPoints, notReversible } from './errors.js';
import type { ResolvedCredit, ResolvedDebit, ResolvedReverse } from './requests.js';
import type { LedgerEntry, LedgerEntryKind, LedgerResult, LedgerVerification } from './types.js';

/** Points of one credit still unspent and unexpired. */
interface Lot {
  seq: number;
  remaining: number;
  expiresAt: number | undefined;
  entryId: string;
}

type StoredResult = Omit<LedgerResult, 'replayed'>;

/** What a move-out hands to the receiving member: the lots with their own expiry. */
export interface MovedLots {
  lots: { remaining: number; expiresAt: number | undefined }[];
  lifetime: number;
}

/**
 * The in-memory account of one member: the same algorithm as the Redis Lua script (lots consumed
 * soonest-expiring first, lazy expiry, compensating entries), synchronous so a caller that runs it
 * without awaiting in between is atomic.
 */
export class MemberBook {
  balance = 0;
  lifetime = 0;
  private seq = 0;
  readonly entries: LedgerEntry[] = [];
  private readonly byId = new Map<string, LedgerEntry>();
  private lots: Lot[] = [];
  /** Idempotency key → first result, and the expiry entries that call wrote (reported again on replay). */
  private readonly keys = new Map<string, { fingerprint: string; result: unknown; expired: LedgerEntry[] }>();
  /** Expiry a refunded debit's points get back: the latest expiry among the lots it consumed. */
  private readonly refundExpiry = new Map<string, number | undefined>();
  private readonly reversed = new Set<string>();
  private readonly buckets = new Map<string, { value: number; expiresAt: number }>();

  constructor(readonly memberId: string) {}

  /**
   * The first result stored under `key` and the expiry entries its call wrote, or `undefined`; throws
   * when the parameters differ.
   */
  replay<T>(key: string, fingerprint: string): { result: T; expired: LedgerEntry[] } | undefined {
    const prior = this.keys.get(key);
    if (prior === undefined) return undefined;
    if (prior.fingerprint !== fingerprint) throw idempotencyConflict(key);
    return structuredClone({ result: prior.result as T, expired: prior.expired });
  }

  remember(key: string, fingerprint: string, result: unknown, expired: readonly LedgerEntry[]): void {
    this.keys.set(key, {
      fingerprint,
      result: structuredClone(result),
      expired: structuredClone([...expired]),
    });
  }

  /** Writes the expiry entries of the lots due by `now` and returns them. */
  expireDue(now: number): LedgerEntry[] {
    const expired: LedgerEntry[] = [];
    while (this.lots[0] !== undefined && (this.lots[0].expiresAt ?? Number.POSITIVE_INFINITY) <= now) {
      const lot = this.lots.shift() as Lot;
      if (lot.remaining > 0) {
        const entry = this.append({
          id: `sys:expire:${lot.entryId}#${lot.seq}`,
          delta: -lot.remaining,
          reason: 'expired',
          at: lot.expiresAt as number,
          kind: 'expiry',
          compensates: lot.entryId,
        });
        expired.push(entry);
      }
    }
    return expired;
  }

  credit(request: ResolvedCredit, now: number): StoredResult {
    let amount = request.amount;
    for (const bucket of request.buckets) {
      if (bucket.limit !== undefined)
        amount = Math.min(amount, Math.max(0, bucket.limit - this.bucket(bucket.key, now)));
    }
    let entry: LedgerEntry | undefined;
    if (amount > 0) {
      entry = this.append({
        id: request.key,
        delta: amount,
        reason: request.reason,
        at: now,
        kind: 'credit',
        ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt }),
      });
      this.addLot(amount, request.expiresAt, request.key);
      this.lifetime += amount;
    }
    const buckets: Record<string, number> = {};
    for (const bucket of request.buckets) {
      const value = this.bucket(bucket.key, now) + amount;
      const prior = this.buckets.get(bucket.key);
      this.buckets.set(bucket.key, { value, expiresAt: prior?.expiresAt ?? now + bucket.ttlMs });
      buckets[bucket.key] = value;
    }
    return { entry, balance: this.balance, lifetime: this.lifetime, buckets };
  }

  debit(request: ResolvedDebit, now: number): StoredResult {
    if (this.balance < request.amount) throw insufficientPoints(this.memberId, this.balance, request.amount);
    const refundExpiresAt = this.consume(request.amount);
    const entry = this.append({
      id: request.key,
      delta: -request.amount,
      reason: request.reason,
      at: now,
      kind: 'debit',
    });
    this.refundExpiry.set(request.key, refundExpiresAt);
    return { entry, balance: this.balance, lifetime: this.lifetime, buckets: {} };
  }

  reverse(request: ResolvedReverse, now: number): StoredResult {
    const target = this.byId.get(request.entryId);
    if (target === undefined) throw entryNotFound(this.memberId, request.entryId);
    if (target.kind !== 'credit' && target.kind !== 'debit')
      throw notReversible(target.id, `a ${target.kind} entry`);
    if (this.reversed.has(target.id)) throw notReversible(target.id, 'already reversed');
    const base = {
      id: request.key,
      reason: request.reason,
      at: now,
      kind: 'reversal' as const,
      compensates: target.id,
    };
    let entry: LedgerEntry;
    if (target.delta > 0) {
      if (this.balance < target.delta) throw insufficientPoints(this.memberId, this.balance, target.delta);
      const own = this.lots.find((lot) => lot.entryId === target.id);
      const fromOwn = Math.min(own?.remaining ?? 0, target.delta);
      if (own !== undefined) own.remaining -= fromOwn;
      this.lots = this.lots.filter((lot) => lot.remaining > 0);
      this.consume(target.delta - fromOwn);
      entry = this.append({ ...base, delta: -target.delta });
      this.lifetime -= target.delta;
    } else {
      const expiresAt = this.refundExpiry.get(target.id);
      entry = this.append({ ...base, delta: -target.delta });
      this.addLot(-target.delta, expiresAt, request.key);
    }
    this.reversed.add(target.id);
    return { entry, balance: this.balance, lifetime: this.lifetime, buckets: {} };
  }

  /** Empties the account into a move-out entry; the lots go to the receiving member. */
  moveOut(key: string, toMemberId: string, now: number): MovedLots {
    const moved: MovedLots = {
      lots: this.lots.map((lot) => ({ remaining: lot.remaining, expiresAt: lot.expiresAt })),
      lifetime: this.lifetime,
    };
    if (this.balance > 0 || this.lifetime > 0) {
      this.append({
        id: key,
        delta: 0 - this.balance,
        reason: `moved to member ${toMemberId}`,
        at: now,
        kind: 'move',
      });
    }
    this.lots = [];
    this.lifetime = 0;
    return moved;
  }

  /** Takes the lots in; returns the expiry entries of those already due. */
  moveIn(id: string, fromMemberId: string, moved: MovedLots, now: number): LedgerEntry[] {
    const total = moved.lots.reduce((sum, lot) => sum + lot.remaining, 0);
    if (total === 0 && moved.lifetime === 0) return [];
    this.append({ id, delta: total, reason: `moved from member ${fromMemberId}`, at: now, kind: 'move' });
    for (const lot of moved.lots) this.addLot(lot.remaining, lot.expiresAt, id);
    this.lifetime += moved.lifetime;
    return this.expireDue(now);
  }

  verify(): LedgerVerification {
    const entriesSum = this.entries.reduce((sum, entry) => sum + entry.delta, 0);
    const lotsSum = this.lots.reduce((sum, lot) => sum + lot.remaining, 0);
    return {
      memberId: this.memberId,
      isConsistent: entriesSum === this.balance && lotsSum === this.balance && this.balance >= 0,
      balance: this.balance,
      entriesSum,
      lotsSum,
      entries: this.entries.length,
    };
  }

  private bucket(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (bucket === undefined || bucket.expiresAt <= now) {
      this.buckets.delete(key);
      return 0;
    }
    return bucket.value;
  }

  /** Takes `amount` from the lots, soonest-expiring first; returns the latest expiry it touched. */
  private consume(amount: number): number | undefined {
    let left = amount;
    let latest: number | undefined = 0;
    for (const lot of this.lots) {
      if (left === 0) break;
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      left -= take;
      if (latest !== undefined)
        latest = lot.expiresAt === undefined ? undefined : Math.max(latest, lot.expiresAt);
    }
    this.lots = this.lots.filter((lot) => lot.remaining > 0);
    return latest === 0 ? undefined : latest;
  }

  private addLot(amount: number, expiresAt: number | undefined, entryId: string): void {
    this.seq += 1;
    this.lots.push({ seq: this.seq, remaining: amount, expiresAt, entryId });
    const order = (lot: Lot) => lot.expiresAt ?? Number.POSITIVE_INFINITY;
    this.lots.sort((a, b) => order(a) - order(b) || a.seq - b.seq);
  }

  private append(fields: {
    id: string;
    delta: number;
    reason: string;
    at: number;
    kind: LedgerEntryKind;
    expiresAt?: number;
    compensates?: string;
  }): LedgerEntry {
    this.balance += fields.delta;
    const entry: LedgerEntry = { ...fields, memberId: this.memberId, balanceAfter: this.balance };
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    return structuredClone(entry);
  }
}
