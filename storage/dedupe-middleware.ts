import type { Middleware, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { inboundDelivery } from '../core/turn-state.js';
import type { IdempotencyStore } from './types.js';

/**
 * First stage of the pipeline: an inbound activity whose id was already processed is dropped, so a
 * retry never causes a second reply or a second point credit. Connectors set `activity.id` to the
 * platform's own event id (DESIGN.md §3). A turn that fails releases its key, so the retry can succeed.
 * Turns from the durable inbound queue (every channel's messages) pass: the queue deduplicated them
 * when they were queued, and a re-run after a crash must not be dropped. What is left here are turns
 * run outside the queue: Bot Framework invokes and `expectReplies`, whose answer is their HTTP
 * response, and custom adapters.
 */
export class DedupeMiddleware implements Middleware {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly logger: Logger = silentLogger,
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const { id, channelId, name } = context.activity;
    // Proactive turns (continueConversation) and activities without an id have nothing to dedupe.
    if (!id || name === 'continueConversation' || inboundDelivery(context)) return next();
    const key = `activity:${channelId}:${id}`;
    if (!(await this.store.claim(key))) {
      this.logger.info({ channelId, activityId: id }, 'duplicate inbound activity ignored');
      return;
    }
    try {
      await next();
    } catch (error) {
      await this.store.release(key).catch((releaseError: unknown) => {
        this.logger.warn({ err: releaseError, key }, 'could not release idempotency key after a failed turn');
      });
      throw error;
    }
  }
}
