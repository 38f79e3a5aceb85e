import type { Activity, Middleware, TranscriptStore, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';

const LOGGING = Symbol.for('relevo.transcriptLogging');

export interface TranscriptMiddlewareOptions {
  logger?: Logger;
  /** Rewrites an activity before it is stored (PII redaction); the original is what gets sent. */
  redact?: (activity: Activity) => Activity;
}

/**
 * Logs every inbound activity and every activity the bot really sends to a `TranscriptStore`.
 * Unlike botbuilder's TranscriptLoggerMiddleware it awaits each write (so a transcript read right after
 * a turn is complete) and reports failures to the injected logger without failing the turn.
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
    if (context.activity.name !== 'continueConversation') await this.log(context.activity);
    context.onSendActivities(async (_context, activities, sendNext) => {
      const responses = await sendNext();
      for (const [i, activity] of activities.entries()) {
        // Typing indicators and traces are not part of what the customer and the agent read back.
        if (activity.type !== 'message' && activity.type !== 'event') continue;
        await this.log({
          ...activity,
          id: responses[i]?.id ?? activity.id,
          timestamp: activity.timestamp ?? new Date(),
        } as Activity);
      }
      return responses;
    });
    await next();
  }

  private async log(activity: Activity): Promise<void> {
    try {
      await this.store.logActivity(this.redact({ ...activity, timestamp: activity.timestamp ?? new Date() }));
    } catch (error) {
      this.logger.warn(
        { err: error, channelId: activity.channelId, conversationId: activity.conversation?.id },
        'could not log activity to the transcript',
      );
    }
  }
}
