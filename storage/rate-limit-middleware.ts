import type { Middleware, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { claimedActivity, gateWithStateRead, inboundDelivery, TurnDroppedError } from '../core/turn-state.js';
import { activityResource } from './activity-claims.js';
import type { RateCounter } from './rate-counter.js';

export interface RateLimitOptions {
  counter: RateCounter;
  /** Messages one identity key may send per window; 0 turns the limit off. */
  limit: number;
  /** Length of a window (default one minute). */
  windowMs?: number;
  /** The one answer a customer gets when they pass the limit, in their language. */
  notice?: (locale: string | undefined) => string;
  /**
   * A state stage (storage/state-middleware.ts) runs later in the pipeline: a queued turn's count then
   * travels with the state read (one round trip less) and the state stage drops the turn there when it
   * is over the limit. Only for a pipeline whose stages between the two write nothing of the turn
   * before the state read (the composed agent's identity and conversation references write with the
   * state save, and a new member is created once `untilAllowed` in core/turn-state.ts says so): whatever they did
   * for a dropped message would stay done.
   */
  withStateRead?: boolean;
  logger?: Logger;
}

/** What a customer over the limit is told, once per window. */
export function defaultRateLimitNotice(locale: string | undefined): string {
  return locale?.toLowerCase().startsWith('es')
    ? 'Estás enviando mensajes más rápido de lo que puedo responder. Espera un minuto y vuelve a escribirme, por favor.'
    : 'You are sending messages faster than I can answer. Please wait a minute and write to me again.';
}

/**
 * Caps the messages one customer (one identity key, `activity.from.id`) may send per window, on every
 * channel and across processes when the counter is on Redis. The first message over the limit gets
 * one polite answer; the rest of the window is dropped unanswered, before it takes a lock, runs the
 * NLU or earns points. Runs right after dedupe, so a platform's retry of a finished activity is never
 * counted; a turn from the durable inbound queue is counted under its inbound id and one run in its
 * request under the dedupe stage's claim under its activity, so a re-run or retry of it (replayed from
 * its save) is not counted twice either, and gets its saved answer rather than the notice. A
 * counter that fails lets the message through (and is logged): the limit protects, never blocks.
 */
export class RateLimitMiddleware implements Middleware {
  private readonly windowMs: number;
  private readonly logger: Logger;

  constructor(private readonly options: RateLimitOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.logger = options.logger ?? silentLogger;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const { type, from } = context.activity;
    if (this.options.limit <= 0 || type !== 'message' || !from?.id) return next();
    const inbound = inboundDelivery(context);
    const claimed = inbound ? undefined : claimedActivity(context);
    // A queued turn run again, or a claimed one retried, is the same message: counted once.
    const event =
      inbound?.id ??
      (claimed &&
        activityResource(context.activity.channelId, context.activity.conversation?.id ?? '', claimed.id));
    const counting = this.options.counter
      .hit(`message:${from.id}`, this.windowMs, event)
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'rate counter unavailable; message let through');
        return 0;
      });
    if (inbound && this.options.withStateRead) {
      gateWithStateRead(
        context,
        counting.then((count) => count <= this.options.limit),
      );
      try {
        return await next();
      } catch (error) {
        if (!(error instanceof TurnDroppedError)) throw error;
      }
      return this.refuse(context, await counting);
    }
    const count = await counting;
    if (count <= this.options.limit) return next();
    return this.refuse(context, count);
  }

  /** The customer is over the limit: told once per window, then dropped without a word. */
  private async refuse(context: TurnContext, count: number): Promise<void> {
    if (count === this.options.limit + 1) {
      // The identity key is personal data (an email address, a phone): the log names the channel only.
      this.logger.warn(
        { channelId: context.activity.channelId, limit: this.options.limit },
        'rate limit reached',
      );
      await context.sendActivity((this.options.notice ?? defaultRateLimitNotice)(context.activity.locale));
    }
  }
}
