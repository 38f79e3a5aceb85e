import type { Activity } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import type { TurnCommit } from '../core/turn-commit.js';
import type { Holder, InboundBackend, Next } from './inbound-backend.js';
import type { LockManager } from './types.js';

/** One queued inbound activity as a handler receives it. */
export interface InboundEntry {
  /** The activity's idempotency key (the platform's id): queued once however often it is posted. */
  id: string;
  /** What keeps its order: one conversation, named `<channel>:<conversation id>`. */
  partition: string;
  activity: Partial<Activity>;
  /** 1 on the first run; more when an earlier run failed or its process died. */
  attempt: number;
  /** When the first run started (ms since the epoch; Redis's clock on Redis). */
  firstRunAt: number;
  /** What the turn leaves for the queue to write as it removes the entry (see {@link TurnCommit}). */
  commit: TurnCommit;
  /**
   * Aborts when the run must send nothing more: its partition's turn lock is no longer this drain's
   * (another process may run the entry again; reason `RELEVO_TURN_LOCK_LOST`), or the queue is
   * stopping (`RELEVO_QUEUE_STOPPING`). A handler that waits or sends honours it and fails the turn
   * with its reason; such a run is not counted toward `maxAttempts`.
   */
  signal: AbortSignal;
}

/** Runs one entry's turn; rejecting leaves the entry at the head of its partition for a later attempt. */
export type InboundHandler = (entry: InboundEntry) => Promise<void>;

/**
 * Removes the finished entry `done` writing `commit` in the same step, then claims as
 * {@link InboundBackend.next} does: a store that also appends the turn's replies (web chat) does it here.
 */
export type FinishTurn = (
  partition: string,
  holder: Holder,
  done: string,
  commit: TurnCommit,
) => Promise<Next>;

/**
 * Writes what a failed turn's commit holds — its transcript and, on web chat, its held replies — without
 * removing its entry, which is run again (see {@link InboundQueue}).
 */
export type KeepTurn = (commit: TurnCommit) => Promise<void>;

export interface InboundQueueOptions {
  backend: InboundBackend;
  /** Runs one entry's turn. */
  handler: InboundHandler;
  /**
   * The lock manager of the pipeline's conversation lock: a drain holds `turnLockResource(partition)`
   * (taken by the backend's claims) and extends and releases it through this.
   */
  locks: LockManager;
  logger?: Logger;
  /**
   * A wake-up whose consumer has not acknowledged it for this long is taken over by another process;
   * it is also the lifetime of a drain's lock (extended while alive), so a killed process holds a
   * conversation for at most this long. Default 10 s.
   */
  visibilityMs?: number;
  /**
   * How often a consumer looks for wake-ups. Default a quarter of `visibilityMs`, at most 1 s: a
   * wake-up is only taken over once idle for `visibilityMs`, so looking more often finds nothing more.
   */
  pollMs?: number;
  /** Partitions one process's consumer drains at once for wake-ups (besides the connector's own). Default 16. */
  concurrency?: number;
  /** Failed runs (the handler rejected) of an entry before it is given up (logged at error and removed). Default 5. */
  maxAttempts?: number;
  /**
   * Runs of an entry of any outcome before it is given up, counting runs cut short because their process
   * died: only a message that kills every process taking it gets there. Processes killed while running it
   * are no fault of the message, so they do not count toward `maxAttempts`. Default 50.
   */
  maxRuns?: number;
  /** How long a drain waits for the partition's lock before leaving the work to a later wake-up. */
  lockWaitMs?: number;
  /** Finishes a turn whose replies the commit appends (web chat); absent: the backend's `next`. */
  finish?: FinishTurn;
  /** Keeps a failed turn's commit whose replies the commit appends (web chat); absent: its transcript only. */
  keep?: KeepTurn;
}
