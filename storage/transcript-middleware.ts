import type { Activity, Middleware, SendActivitiesHandler, TranscriptStore, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { CommitTranscriptEntry } from '../core/turn-commit.js';
import {
  claimedActivity,
  isProactive,
  markTurnIncomplete,
  turnCommit,
  turnReplayed,
} from '../core/turn-state.js';
import { logTranscript } from './transcript-log.js';

const LOGGING = Symbol.for('relevo.transcriptLogging');
/** The write of the turn's inbound activity, once started. */
const INBOUND = Symbol.for('relevo.transcriptInbound');
/** How many replies of a claimed turn were logged so far: the index in their ids. */
const LOGGED_REPLIES = Symbol.for('relevo.transcriptReplies');

export interface TranscriptMiddlewareOptions {
  logger?: Logger;
  /** Rewrites an activity before it is stored (PII redaction); the original is what gets sent. */
  redact?: (activity: Activity) => Activity;
}

/**
 * Logs every inbound activity and every activity the bot really sends to a `TranscriptStore`.
 * Unlike botbuilder's TranscriptLoggerMiddleware it awaits each write (so a transcript read right after
 * a turn is complete) and reports failures to the injected logger, marking the turn incomplete: a turn
 * from the durable inbound queue runs again, and one run in its request under the dedupe stage's claim
 * fails its request once so that the platform's retry replays it; either completes the transcript (the
 * stores log an activity id once, and a claimed turn's replies get ids stable across its runs). The inbound activity is written while the turn
 * runs (with {@link TranscriptMiddleware.inbound} before the state stage, together with the state read)
 * and awaited before the turn ends; the replies of one send are written together. A replayed turn
 * (`turnReplayed`) is logged by {@link TranscriptMiddleware.inbound}, before the state stage.
 */
export class TranscriptMiddleware implements Middleware {
  private readonly logger: Logger;
  private readonly redact: (activity: Activity) => Activity;

  constructor(
    private readonly store: TranscriptStore,
    options: TranscriptMiddlewareOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.redact = options.redact ?? ((activity) => activity);
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    // A turn run again (StateMiddleware after a conflict) is logged once.
    if (context.turnState.get(LOGGING)) return next();
    context.turnState.set(LOGGING, true);
    const inbound = this.startInbound(context);
    context.onSendActivities(this.logSent(context, inbound));
    try {
      await next();
    } finally {
      await inbound;
    }
  }

  /**
   * A stage that only starts the inbound write (and waits for it when the turn ends): placed right
   * before the state stage, the write travels with the state read instead of on its own. This
   * middleware, later in the pipeline, then logs the replies as usual. It also logs a replay
   * (`turnReplayed`, a queued turn's or one run in its request): the state stage sends the saved
   * replies and runs no later stage, this middleware included.
   */
  inbound(): Middleware {
    return {
      onTurn: async (context: TurnContext, next: () => Promise<void>) => {
        // A queued turn's inbound activity is written with its commit, from the main stage: a turn the
        // state stage drops (over the rate limit) leaves no trace. Any other is written now.
        const inbound = turnCommit(context) ? undefined : this.startInbound(context);
        let logSent: SendActivitiesHandler | undefined;
        context.onSendActivities((sending, activities, sendNext) => {
          if (!turnReplayed(context)) return sendNext();
          logSent ??= this.logSent(context, this.startInbound(context));
          return logSent(sending, activities, sendNext);
        });
        try {
          await next();
          // A replay without replies still logs the message.
          if (turnReplayed(context)) await this.startInbound(context);
        } finally {
          await inbound;
        }
      },
    };
  }

  /**
   * The handler that logs what is really sent (after the inbound activity's write, `inbound`);
   * typing indicators and traces are not part of what the customer and the agent read back.
   */
  private logSent(context: TurnContext, inbound: Promise<void>): SendActivitiesHandler {
    return async (_context, activities, sendNext) => {
      const responses = await sendNext();
      const sent: CommitTranscriptEntry[] = [];
      const commit = turnCommit(context);
      const claimed = commit ? undefined : claimedActivity(context);
      for (const [i, activity] of activities.entries()) {
        if (activity.type !== 'message' && activity.type !== 'event') continue;
        const reply = commit?.replyOf(responses[i]);
        // A claimed turn's replies (`expectReplies` ones have no id) are named by the activity and their
        // place in the turn, the same in a replay: the store keeps each once.
        const index = claimed ? this.nextReply(context) : 0;
        const own = responses[i]?.id ?? activity.id;
        const id = claimed && !own ? `${claimed.id}:reply:${index}` : own;
        sent.push({
          activity: {
            ...activity,
            id,
            timestamp: activity.timestamp ?? new Date(),
          } as Activity,
          // A reply the turn's commit appends gets its id there.
          ...(reply === undefined ? {} : { reply }),
        });
      }
      // A reply sent while the inbound write is still on its way is logged after it.
      await inbound;
      if (sent.length > 0) await this.log(context, sent);
      return responses;
    };
  }

  private nextReply(context: TurnContext): number {
    const index = (context.turnState.get(LOGGED_REPLIES) as number | undefined) ?? 0;
    context.turnState.set(LOGGED_REPLIES, index + 1);
    return index;
  }

  private startInbound(context: TurnContext): Promise<void> {
    const started = context.turnState.get(INBOUND) as Promise<void> | undefined;
    if (started) return started;
    const inbound = !isProactive(context.activity)
      ? this.log(context, [{ activity: context.activity }])
      : Promise.resolve();
    context.turnState.set(INBOUND, inbound);
    return inbound;
  }

  /**
   * Logs the activities in order, or hands them to the turn's commit (a queued turn: written as its entry
   * is removed); a failure is reported, never thrown.
   */
  private async log(context: TurnContext, entries: CommitTranscriptEntry[]): Promise<void> {
    const redactedEntries = entries.map(({ activity, reply }) => ({
      activity: this.redact({ ...activity, timestamp: activity.timestamp ?? new Date() }),
      ...(reply === undefined ? {} : { reply }),
    }));
    if (turnCommit(context)?.logs(this.store, redactedEntries)) return;
    const activities = entries.map((entry) => entry.activity);
    const redacted = redactedEntries.map((entry) => entry.activity);
    try {
      await logTranscript(this.store, redacted);
    } catch (error) {
      const first = activities[0];
      this.logger.warn(
        { err: error, channelId: first?.channelId, conversationId: first?.conversation?.id },
        'could not log activity to the transcript',
      );
      markTurnIncomplete(context, 'transcript');
    }
  }
}
