import { type Clock, systemClock } from '../../core/clock.js';
import { type RedisConnection, scanSet } from '../../storage/redis-connection.js';
import { memberTag } from '../../storage/redis-keys.js';
import { RedisScript } from '../../storage/redis-script.js';
import { entryNotFound, idempotencyConflict, insufficientPoints, notReversible } from './errors.js';
import {
  BALANCE_LUA,
  CREDIT_LUA,
  DEBIT_LUA,
  MOVE_IN_LUA,
  MOVE_OUT_LUA,
  REVERSE_LUA,
  VERIFY_LUA,
} from './ledger-lua.js';
import type { LedgerOptions } from './memory-ledger.js';
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

const scripts = {
  credit: new RedisScript(CREDIT_LUA),
  debit: new RedisScript(DEBIT_LUA),
  reverse: new RedisScript(REVERSE_LUA),
  moveOut: new RedisScript(MOVE_OUT_LUA),
  moveIn: new RedisScript(MOVE_IN_LUA),
  balance: new RedisScript(BALANCE_LUA),
  verify: new RedisScript(VERIFY_LUA),
};

/** The Redis keys of one member's account; all share the hash tag `{m:<memberId>}` (Redis Cluster). */
export function memberKeys(prefix: string, memberId: string): string[] {
  const base = `${prefix}:ledger:${memberTag(memberId)}`;
  return ['state', 'entries', 'log', 'lots', 'lotdata', 'keys'].map((name) => `${base}:${name}`);
}

export interface RedisLedgerOptions extends LedgerOptions {
  /** Prefix of every key (the `prefix` of `Stores`). */
  prefix?: string;
}

/** What a ledger script answers: a status and, when it applied or replayed, the stored result. */
export interface ScriptReply {
  /** `ok`, `replay`, `conflict`, `insufficient`, `not_found`, `not_reversible`, or a status of a script built on the prelude. */
  status: string;
  result?: unknown;
  /** Expiry entries the script wrote (also inside `result` when it was remembered). */
  expired?: unknown;
  balance?: number;
  needed?: number;
  why?: string;
  [field: string]: unknown;
}

/**
 * {@link Ledger} on Redis: every write is one Lua script (check idempotency, expire what is due,
 * apply, append), so any number of processes share one ledger and a balance never goes negative.
 * Idempotency keys are also claimed globally (`SET NX` key → member) so a key can only ever belong to
 * one member, which a per-member script alone could not see; a key that names its member (the
 * `earn:` space) belongs to it by construction, and its write goes without waiting for a claim.
 */
export class RedisLedger implements Ledger {
  readonly prefix: string;
  private readonly clock: Clock;
  private readonly validDays: number;
  private readonly expiryListeners: ExpiryListener[] = [];

  constructor(
    private readonly client: RedisConnection,
    options: RedisLedgerOptions = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
    this.clock = options.clock ?? systemClock;
    this.validDays = options.pointsValidForDays ?? 365;
  }

  async credit(request: CreditRequest): Promise<LedgerResult> {
    const now = this.clock.now();
    const credit = resolveCredit(request, now, this.validDays);
    const claimed = this.claimOrList(credit.key, credit.memberId);
    const bucketKeys = credit.buckets.map(
      (bucket) => `${this.prefix}:ledger:${memberTag(credit.memberId)}:bucket:${bucket.key}`,
    );
    const bucketArgs = credit.buckets.flatMap((b) => [
      b.key,
      b.limit === undefined ? '' : String(b.limit),
      String(b.ttlMs),
    ]);
    const reply = await this.afterClaim(claimed, () =>
      this.run(scripts.credit, credit.memberId, now, bucketKeys, [
        credit.key,
        credit.fingerprint,
        String(credit.amount),
        credit.reason,
        credit.expiresAt === undefined ? '' : String(credit.expiresAt),
        ...bucketArgs,
      ]),
    );
    return this.result(reply, credit.key, credit.memberId);
  }

  async debit(request: DebitRequest): Promise<LedgerResult> {
    const debit = resolveDebit(request);
    const claimed = this.claimOrList(debit.key, debit.memberId);
    const reply = await this.afterClaim(claimed, () =>
      this.run(
        scripts.debit,
        debit.memberId,
        this.clock.now(),
        [],
        [debit.key, debit.fingerprint, String(debit.amount), debit.reason],
      ),
    );
    return this.result(reply, debit.key, debit.memberId);
  }

  async reverse(request: ReverseRequest): Promise<LedgerResult> {
    const reverse = resolveReverse(request);
    const claimed = this.claimOrList(reverse.key, reverse.memberId);
    const reply = await this.afterClaim(claimed, () =>
      this.run(
        scripts.reverse,
        reverse.memberId,
        this.clock.now(),
        [],
        [reverse.key, reverse.fingerprint, reverse.entryId, reverse.reason],
      ),
    );
    if (reply.status === 'not_found') throw entryNotFound(reverse.memberId, reverse.entryId);
    if (reply.status === 'not_reversible') throw notReversible(reverse.entryId, String(reply.why));
    return this.result(reply, reverse.key, reverse.memberId);
  }

  async balance(memberId: string): Promise<LedgerBalance> {
    const reply = await this.run(scripts.balance, requireMemberId(memberId), this.clock.now(), [], []);
    return { memberId, balance: Number(reply.balance), lifetime: Number(reply.lifetime) };
  }

  async history(memberId: string, options: HistoryOptions = {}): Promise<LedgerEntry[]> {
    const keys = memberKeys(this.prefix, requireMemberId(memberId));
    // Expire first, so the history shows the expiry entries a balance read would write.
    await this.balance(memberId);
    const offset = clampOffset(options.offset);
    const limit = clampLimit(options.limit);
    const ids = await this.client.lRange(keys[2] as string, -(offset + limit), -(offset + 1));
    if (ids.length === 0) return [];
    const rows = await this.client.hmGet(keys[1] as string, ids);
    return rows
      .filter((row): row is string => typeof row === 'string')
      .map((row) => toEntry(JSON.parse(row)))
      .reverse();
  }

  async verify(memberId: string): Promise<LedgerVerification> {
    const reply = await this.run(scripts.verify, requireMemberId(memberId), this.clock.now(), [], []);
    const balance = Number(reply.balance);
    const entriesSum = Number(reply.entriesSum);
    const lotsSum = Number(reply.lotsSum);
    return {
      memberId,
      isConsistent: balance === entriesSum && balance === lotsSum && balance >= 0,
      balance,
      entriesSum,
      lotsSum,
      entries: Number(reply.entries),
    };
  }

  /**
   * Two scripts, one per member (the members live in different hash slots): the move-out records what
   * it took under the key, so a retry after a crash between the two replays it and finishes the move-in.
   */
  async moveAll(fromMemberId: string, toMemberId: string, idempotencyKey: string): Promise<MoveResult> {
    const from = requireMemberId(fromMemberId);
    const to = requireMemberId(toMemberId);
    const key = requireKey(idempotencyKey);
    const fingerprint = moveFingerprint(from, to);
    await this.afterClaim(this.claimOrList(key, from), async () => {});
    const now = this.clock.now();
    const out = await this.run(scripts.moveOut, from, now, [], [key, fingerprint, to]);
    if (out.status === 'conflict') throw idempotencyConflict(key);
    const moved = out.result as { lots: unknown; lifetime: number };
    // cjson writes an empty Lua table as `{}`, not `[]`.
    const lots = (Array.isArray(moved.lots) ? moved.lots : []) as { r: number; x?: number }[];
    const inbound = await this.run(
      scripts.moveIn,
      to,
      now,
      [],
      [`sys:move-in:${key}`, fingerprint, from, JSON.stringify({ lots, lifetime: moved.lifetime })],
    );
    if (inbound.status === 'conflict') throw idempotencyConflict(key);
    return {
      fromMemberId: from,
      toMemberId: to,
      moved: lots.reduce((sum, lot) => sum + lot.r, 0),
      lifetimeMoved: moved.lifetime,
      replayed: out.status === 'replay',
    };
  }

  async *members(): AsyncIterable<string> {
    for await (const batch of scanSet(this.client, `${this.prefix}:ledger:members`)) {
      yield* batch;
    }
  }

  onExpired(listener: ExpiryListener): void {
    this.expiryListeners.push(listener);
  }

  /**
   * Runs a ledger script for one member; `extraKeys` and `args` follow the script's own layout. Tells
   * the expiry listeners what the script expired before answering.
   */
  async run(
    script: RedisScript,
    memberId: string,
    now: number,
    extraKeys: string[],
    args: string[],
  ): Promise<ScriptReply> {
    const raw = await script.run(
      this.client,
      [...memberKeys(this.prefix, memberId), ...extraKeys],
      [memberId, String(now), ...args],
    );
    const reply = JSON.parse(String(raw)) as ScriptReply;
    const stored = reply.result as { expired?: unknown } | null | undefined;
    const expired = reply.expired ?? (typeof stored === 'object' ? stored?.expired : undefined);
    if (Array.isArray(expired) && expired.length > 0) {
      const entries = expired.map(toEntry);
      for (const listener of this.expiryListeners) await listener(entries);
    }
    return reply;
  }

  /**
   * Claims `key` for `memberId` for ever, and lists the member for `members()`: one round trip
   * (`SET NX GET` answers the owner when the key was already claimed).
   */
  async claim(key: string, memberId: string): Promise<void> {
    const [owner] = await Promise.all([
      this.client.set(`${this.prefix}:ledger:key:${key}`, memberId, { condition: 'NX', GET: true }),
      this.listMember(memberId),
    ]);
    if (owner !== null && owner !== memberId) throw idempotencyConflict(key);
  }

  /**
   * What must happen before a write under `key`: a key that names its member needs no claim, only
   * the listing, which may travel with the write itself (`listed`); any other key is claimed first.
   */
  private claimOrList(
    key: string,
    memberId: string,
  ): { listed: Promise<unknown> } | { claimed: Promise<void> } {
    if (namesItsMember(key, memberId)) return { listed: this.listMember(memberId) };
    return { claimed: this.claim(key, memberId) };
  }

  /** Runs `write` once the claim holds, or right away, in the same round trip as the listing. */
  private async afterClaim<T>(
    claim: { listed: Promise<unknown> } | { claimed: Promise<void> },
    write: () => Promise<T>,
  ): Promise<T> {
    if ('claimed' in claim) {
      await claim.claimed;
      return write();
    }
    const [, written] = await Promise.all([claim.listed, write()]);
    return written;
  }

  private listMember(memberId: string): Promise<number> {
    return this.client.sAdd(`${this.prefix}:ledger:members`, memberId);
  }

  /** Maps a script reply to a result, or throws the typed error its status stands for. */
  result(reply: ScriptReply, key: string, memberId: string): LedgerResult {
    if (reply.status === 'conflict') throw idempotencyConflict(key);
    if (reply.status === 'insufficient') {
      throw insufficientPoints(memberId, Number(reply.balance), Number(reply.needed));
    }
    const stored = reply.result as { entry?: unknown; balance: number; lifetime: number; buckets: unknown };
    const buckets = stored.buckets !== null && typeof stored.buckets === 'object' ? stored.buckets : {};
    return {
      entry: stored.entry === undefined ? undefined : toEntry(stored.entry),
      balance: stored.balance,
      lifetime: stored.lifetime,
      buckets: buckets as Record<string, number>,
      replayed: reply.status === 'replay',
    };
  }
}

/** An entry as stored by Lua, with fields in a stable order and no extras. */
function toEntry(raw: unknown): LedgerEntry {
  const e = raw as LedgerEntry;
  const entry: LedgerEntry = {
    id: e.id,
    memberId: e.memberId,
    delta: e.delta,
    reason: e.reason,
    at: e.at,
    kind: e.kind,
    balanceAfter: e.balanceAfter,
  };
  if (e.expiresAt !== undefined) entry.expiresAt = e.expiresAt;
  if (e.compensates !== undefined) entry.compensates = e.compensates;
  return entry;
}
