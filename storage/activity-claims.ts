import { randomUUID } from 'node:crypto';
import { conversationTag } from './redis-keys.js';
import type { MemoryIdempotencyStore } from './memory-idempotency.js';
import type { MemoryLockManager } from './memory-lock.js';
import type { Lock } from './types.js';

/**
 * An activity run outside the durable queue (a Bot Framework invoke, `expectReplies`): keyed by its
 * conversation's tag and its id, so that a platform reusing an id in another conversation never gets
 * this one's answer, and so that the claim, the done mark and the answer share one Redis Cluster slot.
 */
export function activityResource(channelId: string, conversationId: string, activityId: string): string {
  return `activity:${conversationTag(channelId, conversationId)}:${activityId}`;
}

/** What a delivery finds as it takes an activity's claim. */
export type ActivityClaim =
  /** Nobody finished the activity: this delivery holds the running claim and runs the turn. */
  | { lock: Lock; done?: undefined }
  /**
   * A delivery finished it; `answer` is what it answered in its HTTP response, if that is still kept.
   * `hasRecordedAnswer`: it answered something, kept for less long than the done mark, so an `answer`
   * of `undefined` then means the answer expired, not that there was none.
   */
  | { done: true; answer: string | undefined; hasRecordedAnswer: boolean };

/** What happened to an activity delivered outside the queue, and the claim of the delivery running it. */
export interface ActivityClaims {
  /**
   * In one step: what a finished delivery recorded, or else the running claim (a lock for `leaseMs`,
   * extended by its holder); `null` while another delivery holds the claim.
   */
  claim(resource: string, leaseMs: number): Promise<ActivityClaim | null>;
  /**
   * In one step: records the activity done (for `doneTtlMs`) with its `answer` (for `answerTtlMs`),
   * and releases `lock`, the claim this delivery held.
   */
  finish(lock: Lock, options: { doneTtlMs: number; answer?: string; answerTtlMs: number }): Promise<void>;
}

/**
 * The done mark's values: an activity finished with an answer, or without one. A mark written before
 * the answer was told apart (`'1'`) reads as without one.
 */
const DONE_WITH_ANSWER = 'answered';
const DONE_WITHOUT_ANSWER = '1';

/** The done mark to write for a finished activity that answered `answer` (or nothing). */
export function doneMark(answer: string | undefined): string {
  return answer === undefined ? DONE_WITHOUT_ANSWER : DONE_WITH_ANSWER;
}

/** Whether a done mark read back says the activity answered something. */
export function markHasAnswer(mark: string | undefined): boolean {
  return mark === DONE_WITH_ANSWER;
}

/**
 * Where a finished activity's answer is kept, in the idempotency store's names (its done mark is kept
 * under the resource itself).
 */
export function answerKey(resource: string): string {
  return `answer:${resource}`;
}

/** {@link ActivityClaims} of one process: the memory idempotency store and lock manager. */
export class MemoryActivityClaims implements ActivityClaims {
  constructor(
    private readonly once: MemoryIdempotencyStore,
    private readonly locks: MemoryLockManager,
  ) {}

  async claim(resource: string, leaseMs: number): Promise<ActivityClaim | null> {
    // The claim is taken before the reads, with nothing awaited in between: a delivery that finishes
    // records done before it frees the claim, so a free claim means done is already readable.
    if (this.locks.holderOf(resource) !== undefined) return null;
    const token = randomUUID();
    this.locks.setHolder(resource, token, leaseMs);
    const lock = this.locks.held(resource, token);
    const mark = await this.once.valueOf(resource);
    if (mark === undefined) return { lock };
    await lock.release();
    return {
      done: true,
      answer: await this.once.valueOf(answerKey(resource)),
      hasRecordedAnswer: markHasAnswer(mark),
    };
  }

  async finish(
    lock: Lock,
    options: { doneTtlMs: number; answer?: string; answerTtlMs: number },
  ): Promise<void> {
    await this.once.claim(lock.resource, options.doneTtlMs, doneMark(options.answer));
    if (options.answer !== undefined) {
      await this.once.claim(answerKey(lock.resource), options.answerTtlMs, options.answer);
    }
    await lock.release();
  }
}
