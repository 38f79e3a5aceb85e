import { type Clock, systemClock } from '../../core/clock.js';
import { idempotencyConflict } from './errors.js';
import { type MemberBook as Book, MemberBook, type MovedLots } from './memory-book.js';
import {
  clampLimit,
  clampOffset,
  moveFingerprint,
  namesItsMember,
  requireKey,
  requireMemberId,
  resolveCredit,
  resolveDebit,
  resolveReverse,
} from './requests.js';
import type {
  CreditRequest,
  DebitRequest,
  ExpiryListener,
  HistoryOptions,
  Ledger,
  LedgerBalance,
  LedgerEntry,
  LedgerResult,
  LedgerVerification,
  MoveResult,
  ReverseRequest,
} from './types.js';

export interface LedgerOptions {
  clock?: Clock;
  /** Days points stay valid after they are earned; `0` = forever. Default 365. */
  pointsValidForDays?: number;
}

/**
 * {@link Ledger} in process memory, for tests and single-process development. Every operation runs
 * synchronously between two awaits, which is what makes it atomic.
 */
export class MemoryLedger implements Ledger {
  private readonly books = new Map<string, MemberBook>();
  /** Idempotency key → member: a key belongs to one member for ever. */
  private readonly keyOwners = new Map<string, string>();
  private readonly clock: Clock;
  private readonly validDays: number;
  private readonly expiryListeners: ExpiryListener[] = [];
  /** Expiry entries written but not yet told to the listeners (the synchronous calls cannot await). */
  private unreported: LedgerEntry[] = [];

  constructor(options: LedgerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.validDays = options.pointsValidForDays ?? 365;
  }

  async credit(request: CreditRequest): Promise<LedgerResult> {
    const now = this.clock.now();
    const credit = resolveCredit(request, now, this.validDays);
    return this.reporting(() =>
      this.apply(credit.memberId, credit.key, credit.fingerprint, (book) => book.credit(credit, now)),
    );
  }

  async debit(request: DebitRequest): Promise<LedgerResult> {
    return this.reporting(() => this.debitNow(request));
  }

  /**
   * The debit, synchronously: the memory rewards store calls it between its own stock checks so the
   * pair stays atomic, then {@link reportExpired}. Throws like {@link debit}.
   */
  debitNow(request: DebitRequest): LedgerResult {
    const debit = resolveDebit(request);
    return this.apply(debit.memberId, debit.key, debit.fingerprint, (book) =>
      book.debit(debit, this.clock.now()),
    );
  }

  async reverse(request: ReverseRequest): Promise<LedgerResult> {
    return this.reporting(() => this.reverseNow(request));
  }

  /** The reversal, synchronously (see {@link debitNow}). */
  reverseNow(request: ReverseRequest): LedgerResult {
    const reverse = resolveReverse(request);
    return this.apply(reverse.memberId, reverse.key, reverse.fingerprint, (book) =>
      book.reverse(reverse, this.clock.now()),
    );
  }

  async balance(memberId: string): Promise<LedgerBalance> {
    const book = this.books.get(requireMemberId(memberId));
    return this.reporting(() => {
      if (book !== undefined) this.unreport(book.expireDue(this.clock.now()));
      return { memberId, balance: book?.balance ?? 0, lifetime: book?.lifetime ?? 0 };
    });
  }

  /** The balance, synchronously, after expiring what is due (see {@link debitNow}). */
  balanceNow(memberId: string): number {
    const book = this.books.get(memberId);
    if (book !== undefined) this.unreport(book.expireDue(this.clock.now()));
    return book?.balance ?? 0;
  }

  async history(memberId: string, options: HistoryOptions = {}): Promise<LedgerEntry[]> {
    const book = this.books.get(requireMemberId(memberId));
    if (book === undefined) return [];
    this.unreport(book.expireDue(this.clock.now()));
    await this.reportExpired();
    const offset = clampOffset(options.offset);
    const newest = book.entries.slice().reverse();
    return structuredClone(newest.slice(offset, offset + clampLimit(options.limit)));
  }

  async verify(memberId: string): Promise<LedgerVerification> {
    return (this.books.get(requireMemberId(memberId)) ?? new MemberBook(memberId)).verify();
  }

  async moveAll(fromMemberId: string, toMemberId: string, idempotencyKey: string): Promise<MoveResult> {
    const from = requireMemberId(fromMemberId);
    const to = requireMemberId(toMemberId);
    const key = requireKey(idempotencyKey);
    const fingerprint = moveFingerprint(from, to);
    return this.reporting(() => {
      this.claimKey(key, from);
      const source = this.book(from);
      const now = this.clock.now();
      const prior = source.replay<MovedLots>(key, fingerprint);
      let moved = prior?.result;
      if (prior === undefined) {
        const expired = source.expireDue(now);
        moved = source.moveOut(key, to, now);
        source.remember(key, fingerprint, moved, expired);
        this.unreport(expired);
      } else this.unreport(prior.expired);
      const lots = moved as MovedLots;
      const target = this.book(to);
      const inKey = `sys:move-in:${key}`;
      const priorIn = target.replay(inKey, fingerprint);
      if (priorIn === undefined) {
        const expired = [...target.expireDue(now), ...target.moveIn(inKey, from, lots, now)];
        target.remember(inKey, fingerprint, true, expired);
        this.unreport(expired);
      } else this.unreport(priorIn.expired);
      const total = lots.lots.reduce((sum, lot) => sum + lot.remaining, 0);
      return {
        fromMemberId: from,
        toMemberId: to,
        moved: total,
        lifetimeMoved: lots.lifetime,
        replayed: prior !== undefined,
      };
    });
  }

  async *members(): AsyncIterable<string> {
    yield* [...this.books.keys()];
  }

  onExpired(listener: ExpiryListener): void {
    this.expiryListeners.push(listener);
  }

  /**
   * Tells the listeners the expiry entries the synchronous calls ({@link debitNow}, {@link reverseNow},
   * {@link balanceNow}) wrote; every asynchronous method does it before it resolves.
   */
  async reportExpired(): Promise<void> {
    if (this.unreported.length === 0) return;
    const entries = this.unreported;
    this.unreported = [];
    for (const listener of this.expiryListeners) await listener(entries);
  }

  /** Runs a synchronous step, then reports what it expired, whether it succeeded or threw. */
  private async reporting<T>(step: () => T): Promise<T> {
    try {
      return step();
    } finally {
      await this.reportExpired();
    }
  }

  private unreport(entries: readonly LedgerEntry[]): void {
    if (this.expiryListeners.length > 0) this.unreported.push(...structuredClone([...entries]));
  }

  private apply(
    memberId: string,
    key: string,
    fingerprint: string,
    operation: (book: Book) => Omit<LedgerResult, 'replayed'>,
  ): LedgerResult {
    this.claimKey(key, memberId);
    const book = this.book(memberId);
    const prior = book.replay<Omit<LedgerResult, 'replayed'>>(key, fingerprint);
    if (prior !== undefined) {
      this.unreport(prior.expired);
      return { ...prior.result, replayed: true };
    }
    const expired = book.expireDue(this.clock.now());
    this.unreport(expired);
    const result = operation(book);
    book.remember(key, fingerprint, result, expired);
    return { ...structuredClone(result), replayed: false };
  }

  private claimKey(key: string, memberId: string): void {
    if (namesItsMember(key, memberId)) return;
    const owner = this.keyOwners.get(key);
    if (owner !== undefined && owner !== memberId) throw idempotencyConflict(key);
    this.keyOwners.set(key, memberId);
  }

  private book(memberId: string): MemberBook {
    let book = this.books.get(memberId);
    if (book === undefined) {
      book = new MemberBook(memberId);
      this.books.set(memberId, book);
    }
    return book;
  }
}
