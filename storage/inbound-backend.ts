import type { TranscriptStore } from 'botbuilder';
import { RelevoError } from '../core/errors.js';
import type { TurnCommit } from '../core/turn-commit.js';
import { partitionTag } from './redis-keys.js';

/** An entry as a backend keeps it. */
export interface StoredEntry {
  /** The backend's own key of the entry (a stream id), to remove it with `next`. */
  key: string;
  id: string;
  json: string;
  /** Runs started, this one included (a run cut short by a dying process counts too). */
  attempt: number;
  /** Runs whose handler rejected. */
  failures: number;
  /** When its first run started (ms since the epoch), set as that run claims it. */
  firstRunAt: number;
}

/** A wake-up: "partition P has entries", delivered to one consumer until acknowledged. */
export interface Wake {
  key: string;
  partition: string;
  /** When it was recorded (ms since the epoch). */
  createdAt: number;
}

/** One drain's hold on a partition's turn lock ({@link turnLockResource}): its token and lifetime. */
export interface Holder {
  token: string;
  ttlMs: number;
}

/**
 * What a claim found: the partition's oldest entry (the holder now has the turn lock), nothing (the
 * lock is free, the holder's released), or the lock held by someone else (nothing was claimed).
 */
export type Next = { kind: 'entry'; entry: StoredEntry } | { kind: 'empty' } | { kind: 'busy' };

/**
 * Where a queue keeps its entries: per partition an ordered log, plus one stream of wake-ups read by
 * every process as a consumer group. The partition's turn lock is the lock manager's lock on
 * {@link turnLockResource}, taken and freed by the backend's claims in the same step as their reads,
 * so the pipeline's conversation lock excludes queued turns and other turns alike. Memory and Redis
 * implementations pass the same contract suite.
 */
export interface InboundBackend {
  /**
   * Appends unless `id` was appended within the retention (`isNew` says which). With a `holder`, claims
   * in the same step (as `next` without `done`) and answers that as `next`: one round trip to queue a
   * message and take its conversation.
   */
  append(
    partition: string,
    id: string,
    json: string,
    holder?: Holder,
  ): Promise<{ isNew: boolean; next?: Next }>;
  /** Records a wake-up for the partition (after every append, new or not: it is harmless twice). */
  wake(partition: string): Promise<string>;
  /**
   * Removes the finished (or given-up) entry `done`, if given, then claims for `holder`: takes (or
   * renews) the partition's turn lock and answers its oldest entry with its attempt count raised by
   * one; frees the lock when the partition is empty — one round trip per turn. With `commit`, the turn's
   * transcript is written in the same step (the backend appends no replies: it rejects a commit with some).
   */
  next(partition: string, holder: Holder, done?: string, commit?: TurnCommit): Promise<Next>;
  /** The transcript store `next` writes a commit's transcript to, if any. */
  readonly transcripts?: TranscriptStore | undefined;
  /** Counts a run of the entry `key` whose handler rejected. */
  fail(partition: string, key: string): Promise<void>;
  /** New wake-ups for `consumer`, and wake-ups another consumer left unacknowledged for `idleMs`. */
  claimWakes(consumer: string, count: number, idleMs: number): Promise<Wake[]>;
  /** Acknowledges (and forgets) wake-ups, delivered or not: their partitions were drained. */
  ack(keys: readonly string[]): Promise<void>;
}

/**
 * The lock a drain holds; the pipeline's ConversationLockMiddleware uses the same name. It carries the
 * conversation's hash tag, so the backend's scripts take it on the partition's own cluster slot.
 */
export function turnLockResource(partition: string): string {
  return `turn:${partitionTag(partition)}:${partition}`;
}

/** A backend's `next` writes a commit's transcript only: one holding replies needs the channel's store. */
export function refuseCommitReplies(commit: TurnCommit | undefined): void {
  if (commit && commit.replies.length > 0) {
    throw new RelevoError('RELEVO_COMMIT_REPLIES', "This inbound queue cannot append a turn's replies");
  }
}
