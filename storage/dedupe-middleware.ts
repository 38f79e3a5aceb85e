import {
  type Activity,
  INVOKE_RESPONSE_KEY,
  type InvokeResponse,
  type Middleware,
  type TurnContext,
} from 'botbuilder';
import { hasCode, RelevoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  type ClaimedActivity,
  inboundDelivery,
  isProactive,
  TurnStateKey,
  turnIncompleteReason,
} from '../core/turn-state.js';
import { type ActivityClaim, type ActivityClaims, activityResource } from './activity-claims.js';
import { MAX_ACTIVITY_ANSWER_BYTES } from './activity-outbox.js';
import { StorageErrorCode } from './errors.js';
import { waitForLock } from './lock-wait.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, type Lock } from './types.js';

export interface DedupeOptions {
  logger?: Logger;
  /**
   * Lifetime of a running turn's claim, extended every third of it while the turn runs: how long a
   * process that died mid-turn holds off the platform's retry. Default 10 s, under the 15 s after which
   * Teams and the Bot Connector send an unanswered activity again.
   */
  leaseMs?: number;
  /**
   * How long a retry that finds the first delivery still running waits for it, to answer with its
   * result; after that it gets 409 `RELEVO_ACTIVITY_IN_PROGRESS`. Default 10 s.
   */
  waitMs?: number;
  /** How long a finished activity id is remembered (default 6 days, as the inbound queue's ids). */
  ttlMs?: number;
  /**
   * How long a finished turn's answer (an invoke's result, `expectReplies`' replies: what the customer
   * was shown, unredacted) is kept for its retries. Default 2 minutes: a retry comes 15 s after an
   * unanswered delivery, and one that arrives while the first runs waits and reads the answer at once;
   * only a retry sent just before the first finished needs it later, within seconds. Kept no longer, as
   * erasing a member does not find it. A retry after it expired (but within `ttlMs`) is not run again:
   * it gets 409 `RELEVO_ACTIVITY_ANSWER_EXPIRED`.
   */
  answerTtlMs?: number;
}

/** What a turn answered in its HTTP response, kept so that a retry gets the same answer. */
interface Answer {
  invoke?: InvokeResponse;
  replies?: Partial<Activity>[];
}

/**
 * First stage of the pipeline: an inbound activity whose id was already processed is not run again, so
 * a retry never causes a second reply or a second point credit. Connectors set `activity.id` to the
 * platform's own event id (DESIGN.md §3). Turns from the durable inbound queue (every channel's
 * messages) pass: the queue deduplicated them when they were queued, and a re-run after a crash must not
 * be dropped. What is left here are turns run outside the queue: Bot Framework invokes and
 * `expectReplies`, whose answer is their HTTP response, and custom adapters.
 *
 * An id counts as processed only once its turn succeeded, and only in its conversation (a platform
 * may reuse ids across conversations). While it runs, the delivery holds a claim with a short lease,
 * extended as it goes: a turn that fails releases it and a process that dies lets it lapse, so the
 * platform's retry runs the turn. Completion is recorded with the turn's answer, and a retry of a
 * finished activity gets that answer (same status and body) without running anything. A retry that
 * arrives while the first delivery still runs (Teams re-sends after 15 s without an answer) waits for
 * it, up to `waitMs`, and answers with its result, or runs the turn itself if the first failed; past
 * the wait it gets 409. A retry of a finished activity whose answer expired (`answerTtlMs`, shorter
 * than the done mark's `ttlMs`) gets 409 `RELEVO_ACTIVITY_ANSWER_EXPIRED` rather than an empty answer.
 * Claiming (with reading what a finished delivery recorded) and finishing (with releasing the claim)
 * are one round trip each.
 */
export class DedupeMiddleware implements Middleware {
  private readonly logger: Logger;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly ttlMs: number;
  private readonly answerTtlMs: number;

  constructor(
    private readonly activities: ActivityClaims,
    options: DedupeOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.waitMs = options.waitMs ?? 10_000;
    this.ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.answerTtlMs = options.answerTtlMs ?? 2 * 60 * 1000;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const { id, channelId, conversation } = context.activity;
    // Proactive turns (continueConversation) and activities without an id have nothing to dedupe.
    if (!id || isProactive(context.activity) || inboundDelivery(context)) return next();
    const resource = activityResource(channelId, conversation?.id ?? '', id);
    const claim = await this.claim(resource);
    if (claim.done) {
      if (claim.answer === undefined && claim.hasRecordedAnswer) throw this.answerExpired();
      this.logger.info({ channelId, activityId: id }, 'duplicate inbound activity answered as before');
      if (claim.answer !== undefined) replay(context, claim.answer);
      return;
    }
    const { lock } = claim;
    // The state stage keeps the turn's answer with its save under this id, and replays it to a retry
    // that finds the save landed (this delivery died or failed after it): storage/activity-outbox.ts.
    const claimed: ClaimedActivity = { id, answerTtlMs: this.answerTtlMs };
    context.turnState.set(TurnStateKey.claimed, claimed);
    const keepAlive = setInterval(() => {
      lock.extend(this.leaseMs).catch((error: unknown) => {
        this.logger.warn({ err: error, resource }, 'could not extend the claim of a running activity');
      });
    }, this.leaseMs / 3);
    let finished = false;
    try {
      await next();
      clearInterval(keepAlive);
      const until = claimed.replayedUntil;
      // A replay whose saved answer expired (or was too large to keep): processed, not answered again.
      if (until !== undefined && until <= Date.now()) throw this.answerExpired();
      const incomplete = turnIncompleteReason(context);
      if (incomplete) {
        // Not recorded done: the platform's retry replays the turn from its save and does the side
        // work again (idempotent by its keys), rather than the work being lost. That holds for a
        // replay too, which may be the work's first try (its run died after the save). A lasting
        // failure fails each retry until the saved answer expires; a later one then gets 409.
        throw new RelevoError('RELEVO_TURN_INCOMPLETE', `The turn's side work failed: ${incomplete}`, {
          details: { activityId: id },
        });
      }
      // A replay's answer is kept only as long as the first run's would have been.
      finished = await this.finish(
        context,
        lock,
        until === undefined ? this.answerTtlMs : until - Date.now(),
      );
    } finally {
      clearInterval(keepAlive);
      if (!finished) {
        await lock.release().catch((error: unknown) => {
          this.logger.warn({ err: error, resource }, 'could not release the claim of an activity');
        });
      }
    }
  }

  /**
   * Takes the running claim, or what a finished delivery recorded, waiting (bounded) for a delivery
   * that holds the claim: 409 past the wait.
   */
  private async claim(resource: string): Promise<ActivityClaim> {
    try {
      return await waitForLock(resource, this.waitMs, () => this.activities.claim(resource, this.leaseMs));
    } catch (error) {
      if (!hasCode(error, StorageErrorCode.lockTimeout)) throw error;
      throw new RelevoError(
        StorageErrorCode.activityInProgress,
        'An earlier delivery of this activity is still being processed; its result is not known yet',
        { statusCode: 409, cause: error },
      );
    }
  }

  /**
   * A retry of a finished turn whose answer expired (or, saved with the state, was too large to keep):
   * it is not run again (its effects happened), and an empty answer would read as a broken bot
   * (botbuilder's 501 for an invoke, no replies). No platform retries this late (they re-send after
   * 15 s): a replay or a client's own retry.
   */
  private answerExpired(): RelevoError {
    const ms = this.answerTtlMs;
    const kept = ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
    return new RelevoError(
      StorageErrorCode.activityAnswerExpired,
      `This activity was processed already; its answer is kept ${kept} only (${MAX_ACTIVITY_ANSWER_BYTES / 1024} KiB at most) and is gone, and it is not run again`,
      { statusCode: 409, details: { answerTtlMs: this.answerTtlMs } },
    );
  }

  /**
   * Records the turn as done, with its answer for a retry (for `answerTtlMs`), and frees the claim;
   * false if it failed.
   */
  private async finish(context: TurnContext, lock: Lock, answerTtlMs: number): Promise<boolean> {
    const answer = answerOf(context);
    try {
      await this.activities.finish(lock, {
        doneTtlMs: this.ttlMs,
        ...(answer ? { answer: JSON.stringify(answer) } : {}),
        answerTtlMs: Math.max(1, Math.round(answerTtlMs)),
      });
      return true;
    } catch (error) {
      // The turn's effects happened: failing it now would only have the platform send it again.
      this.logger.warn(
        { err: error, resource: lock.resource },
        'could not record a processed activity; a retry would run again',
      );
      return false;
    }
  }
}

/**
 * What the turn left for its HTTP response (as botbuilder's CloudAdapter reads it after the turn);
 * none for a turn that answered nothing (no invoke response, no replies), which a retry, skipped,
 * answers the same way however late.
 */
function answerOf(context: TurnContext): Answer | undefined {
  const invoke = context.turnState.get(INVOKE_RESPONSE_KEY) as Partial<Activity> | undefined;
  const replies = context.bufferedReplyActivities;
  const answer: Answer = {
    ...(invoke?.value === undefined ? {} : { invoke: invoke.value as InvokeResponse }),
    ...(context.activity.deliveryMode === 'expectReplies' && replies.length > 0 ? { replies } : {}),
  };
  return answer.invoke || answer.replies ? answer : undefined;
}

/** Puts a recorded answer back on the turn, where the adapter reads its HTTP response from. */
function replay(context: TurnContext, json: string): void {
  let answer: Answer;
  try {
    answer = JSON.parse(json) as Answer;
  } catch {
    return;
  }
  if (answer.invoke)
    context.turnState.set(INVOKE_RESPONSE_KEY, { type: 'invokeResponse', value: answer.invoke });
  if (answer.replies) context.bufferedReplyActivities.push(...answer.replies);
}
