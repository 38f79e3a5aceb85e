import type { Activity, Middleware, TranscriptStore, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { CommitTranscriptEntry } from '../core/turn-commit.js';
import { markTurnIncomplete, turnCommit, turnReplayed } from '../core/turn-state.js';
import { logTranscript } from './transcript-log.js';

const LOGGING = Symbol.for('relevo.transcriptLogging');
/** The write of the turn's inbound activity, once started. */
const INBOUND = Symbol.for('relevo.transcriptInbound');

export interface TranscriptMiddlewareOptions {
  logger?: Logger;
  /** Rewrites an activity before it is stored (PII redaction); the original is what gets sent. */
  redact?: (activity: Activity) => Activity;
}

/**
 * Logs every inbound activity and every activity the bot really sends to a `TranscriptStore`.
 * Unlike botbuilder's TranscriptLoggerMiddleware it awaits each write (so a transcript read right after
 * a turn is complete) and reports failures to the injected logger without failing the turn (a turn
 * from the durable inbound queue is marked incomplete instead, so it runs again and completes the
 * transcript: the stores log an activity id once). The inbound activity is written while the turn
 * runs (with {@link TranscriptMiddleware.inbound} before the state stage, together with the state read)
 * and awaited before the turn ends; the replies of one send are written together. Placed right after
 * the state stage, it also ends a replayed turn (`turnReplayed`): no stage after it runs.
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
    // A turn run again (StateMiddleware after a conflict) is logged once; a replay runs nothing more.
    if (context.turnState.get(LOGGING)) return turnReplayed(context) ? undefined : next();
    context.turnState.set(LOGGING, true);
    const inbound = this.startInbound(context);
    context.onSendActivities(async (_context, activities, sendNext) => {
      const responses = await sendNext();
      const sent: CommitTranscriptEntry[] = [];
      const commit = turnCommit(context);
      for (const [i, activity] of activities.entries()) {
        // Typing indicators and traces are not part of what the customer and the agent read back.
        if (activity.type !== 'message' && activity.type !== 'event') continue;
        const reply = commit?.replyOf(responses[i]);
        sent.push({
          activity: {
            ...activity,
            id: responses[i]?.id ?? activity.id,
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
    });
    try {
      // The replay of a queued turn whose state was saved (StateMiddleware): the state stage sends the
      // saved replies, logged by the handler above; no later stage runs the turn again.
      if (!turnReplayed(context)) await next();
    } finally {
      await inbound;
    }
  }

  /**
   * A stage that only starts the inbound write (and waits for it when the turn ends): placed right
   * before the state stage, the write travels with the state read instead of on its own. This
   * middleware, later in the pipeline, then logs the replies as usual.
   */
  inbound(): Middleware {
    return {
      onTurn: async (context: TurnContext, next: () => Promise<void>) => {
        // A queued turn's inbound activity is written with its commit, from the main stage: a turn the
        // state stage drops (over the rate limit) leaves no trace.
        if (turnCommit(context)) return next();
        const inbound = this.startInbound(context);
        try {
          await next();
        } finally {
          await inbound;
        }
      },
    };
  }

  private startInbound(context: TurnContext): Promise<void> {
    const started = context.turnState.get(INBOUND) as Promise<void> | undefined;
    if (started) return started;
    const inbound =
      context.activity.name !== 'continueConversation'
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
