/** What kind of movement an entry records; compensating kinds (`expiry`, `reversal`, `move`) never stand alone. */
export type LedgerEntryKind = 'credit' | 'debit' | 'expiry' | 'reversal' | 'move';

/**
 * One append-only ledger entry (DESIGN.md §3). `id` is the idempotency key of the request that wrote
 * it, or a `sys:` id for entries the ledger writes itself (`sys:expire:<creditId>`, `sys:move-in:<key>`).
 */
export interface LedgerEntry {
  id: string;
  memberId: string;
  /** Signed points: positive adds to the balance, negative takes away. */
  delta: number;
  reason: string;
  /** When the movement took effect, ms since the epoch (an expiry entry carries the lot's `expiresAt`). */
  at: number;
  /** For credits: when these points stop counting. Absent: they never expire. */
  expiresAt?: number;
  kind: LedgerEntryKind;
  /** Balance right after this entry, so a history reads like a bank statement. */
  balanceAfter: number;
  /** For `reversal` and `expiry` entries: the entry they compensate. */
  compensates?: string;
}

/** Counter the ledger bumps by the credited points in the same atomic step: caps and weekly tallies. */
export interface LedgerBucket {
  /** Name unique for the member and period, e.g. `cap:csat:day:2026-11-22`. */
  key: string;
  /** Most points the bucket may hold; the credit is clipped to what is left. Absent: no limit. */
  limit?: number;
  /** How long the bucket lives after it is first written. */
  ttlMs: number;
}

export interface CreditRequest {
  memberId: string;
  amount: number;
  reason: string;
  idempotencyKey: string;
  /** Overrides the ledger's default validity; `0` means the points never expire. */
  validForDays?: number;
  buckets?: LedgerBucket[];
}

export interface DebitRequest {
  memberId: string;
  amount: number;
  reason: string;
  idempotencyKey: string;
}

export interface ReverseRequest {
  memberId: string;
  /** The credit or debit to compensate. */
  entryId: string;
  reason: string;
  idempotencyKey: string;
}

/** What a write returns; a replayed key returns the first result again with `replayed: true`. */
export interface LedgerResult {
  /** The entry written; `undefined` when caps clipped a credit to nothing. */
  entry: LedgerEntry | undefined;
  balance: number;
  lifetime: number;
  /** Value of each requested bucket after this credit. */
  buckets: Record<string, number>;
  replayed: boolean;
}

export interface LedgerBalance {
  memberId: string;
  /** Points the member can spend now (expired points already removed). */
  balance: number;
  /** Points ever earned, less reversed credits: what tiers are based on. Spending does not lower it. */
  lifetime: number;
}

export interface LedgerVerification {
  memberId: string;
  isConsistent: boolean;
  balance: number;
  /** Sum of every entry's delta; must equal `balance`. */
  entriesSum: number;
  /** Sum of what is left of every unexpired credit; must equal `balance`. */
  lotsSum: number;
  entries: number;
}

export interface MoveResult {
  fromMemberId: string;
  toMemberId: string;
  moved: number;
  lifetimeMoved: number;
  replayed: boolean;
}

export interface HistoryOptions {
  /** Most entries to return, newest first (default 50, at most 500). */
  limit?: number;
  /** Entries to skip from the newest. */
  offset?: number;
}

/**
 * Told the expiry entries one ledger call wrote (expiry is lazy: any read or write of a member may
 * write them). Awaited before that call resolves; a replayed write calls it again with the entries its
 * first run wrote, so a listener that keys what it records by entry id records each expiry once.
 */
export type ExpiryListener = (entries: readonly LedgerEntry[]) => Promise<void> | void;

/**
 * The points ledger: balances change only through append-only entries, every write carries an
 * idempotency key (same key twice applies once; same key with other parameters is rejected), and a
 * balance can never go below zero. Implemented on memory and on Redis, both held to one contract suite.
 */
export interface Ledger {
  credit(request: CreditRequest): Promise<LedgerResult>;
  debit(request: DebitRequest): Promise<LedgerResult>;
  /** Writes the compensating entry of a credit or a debit, once. */
  reverse(request: ReverseRequest): Promise<LedgerResult>;
  /** Balance after expiring whatever is due now. */
  balance(memberId: string): Promise<LedgerBalance>;
  /** Entries newest first. */
  history(memberId: string, options?: HistoryOptions): Promise<LedgerEntry[]>;
  /** Checks that the entries add up to the balance. */
  verify(memberId: string): Promise<LedgerVerification>;
  /** Moves every point (with its expiry) and the lifetime total when identity merges two members. */
  moveAll(fromMemberId: string, toMemberId: string, idempotencyKey: string): Promise<MoveResult>;
  /** Every member that has ever had an entry. */
  members(): AsyncIterable<string>;
  /** Reports every expiry entry written from now on to `listener` (see {@link ExpiryListener}). */
  onExpired(listener: ExpiryListener): void;
}
