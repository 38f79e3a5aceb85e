import type { Activity, Storage, StoreItems, TranscriptStore } from 'botbuilder';

/** Default time an idempotency key is remembered: X may re-deliver an event up to 5 days later. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 6 * 24 * 60 * 60 * 1000;

/**
 * Remembers which events were already processed. `claim` is the one operation: the first caller for
 * a key wins (`true`), every later caller within the TTL loses (`false`).
 */
export interface IdempotencyStore {
  /** `value` (default `'1'`) is kept with the claim for {@link IdempotencyStore.valueOf}. */
  claim(key: string, ttlMs?: number, value?: string): Promise<boolean>;
  /**
   * The value `key` was claimed with, or `undefined` when it is not claimed (or expired): a turn run
   * again asks what its earlier run did (the id of a reply it sent).
   */
  valueOf(key: string): Promise<string | undefined>;
  /** Forgets a claim, so a failed attempt can be retried by the next delivery. */
  release(key: string): Promise<void>;
}

/** A held lock. Only its holder can extend or release it. */
export interface Lock {
  readonly resource: string;
  readonly token: string;
  /** Extends the lock's lifetime; rejects with `RELEVO_LOCK_LOST` if it expired and another took it. */
  extend(ttlMs: number): Promise<void>;
  /** Releases the lock; a no-op if it already expired (returns false then). */
  release(): Promise<boolean>;
}

export interface AcquireOptions {
  /** How long the lock lives unless extended, so a crashed holder cannot block others for ever. */
  ttlMs: number;
  /** How long to wait for a held lock before rejecting with `RELEVO_LOCK_TIMEOUT`; 0 = try once. */
  waitMs?: number;
}

/** Mutual exclusion per resource (a conversation, a member), across processes when on Redis. */
export interface LockManager {
  acquire(resource: string, options: AcquireOptions): Promise<Lock>;
  /**
   * The handle of a lock on `resource` taken under `token` by a store that takes it along with its own
   * work (the inbound queue's claim script): extend and release it as if `acquire` had returned it.
   */
  held(resource: string, token: string): Lock;
}

export type MessageHandler = (message: string) => void;

/** Fan-out of messages between processes (agent replies, web chat deliveries). */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Subscribes `handler`; resolves once the subscription is active, with a function that removes it. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A transcript store that can log several activities at once (one round trip on Redis), in order. */
export interface BatchTranscriptStore extends TranscriptStore {
  logActivities(activities: Activity[]): Promise<void>;
}

/** Options of a write to one of Relevo's `Storage` implementations. */
export interface StorageWriteOptions {
  /**
   * The written items are deleted this long after the write unless written again; a write without it
   * keeps them for good. For what must not outlive its use (a "forget me" conversation's outbox).
   * A whole number of ms above 0; anything else is refused (`RELEVO_STORAGE_INVALID_ARGUMENT`) before
   * any item is written.
   */
  ttlMs?: number | undefined;
  /**
   * The turn this batch saves: `id` tells it from every other turn that writes the items (the state
   * stage's is its conversation's key and the inbound or activity id). On a Redis Cluster a batch that
   * spans slots is written part by part, the part of its last item last; each of `keys` written in an
   * earlier part keeps the value it replaced, marked with a digest of `id`, until the item is written
   * again. A run of the same turn again after a process died between the parts reads that value back
   * ({@link StorageReadOptions}), so the turn's changes are applied once. Other stores ignore it:
   * their batches are atomic.
   */
  turn?: { id: string; keys: readonly string[] } | undefined;
}

/** Options of a read from one of Relevo's `Storage` implementations. */
export interface StorageReadOptions {
  /**
   * The `turn.id` of the turn reading: an item an earlier save of that same turn wrote in a
   * part before its last ({@link StorageWriteOptions.turn}), and nobody wrote since (by whatever means:
   * the item's eTag is still the one that part wrote), is read as it was before that save, under
   * its current eTag (so a write over it still meets whoever wrote since), and
   * `restoredBeforeTurn(item)` answers true; an item absent then reads as an empty one. Every other
   * item reads as stored.
   */
  turn?: string | undefined;
  /**
   * The caller only looks at what it reads and changes none of it: a store may hand it an item it
   * keeps ({@link TurnCachedStorage}'s items kept for a turn) without a copy.
   */
  readOnly?: boolean | undefined;
}

/** botbuilder `Storage` whose writes can expire (`MemoryStorage`, `RedisStorage`, `TurnCachedStorage`). */
export interface ExpiringStorage extends Storage {
  read(keys: string[], options?: StorageReadOptions): Promise<StoreItems>;
  write(changes: StoreItems, options?: StorageWriteOptions): Promise<void>;
}
