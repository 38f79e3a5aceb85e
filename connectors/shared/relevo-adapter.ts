import {
  type Activity,
  BotAdapter,
  type ConversationReference,
  type ResourceResponse,
  TurnContext,
} from 'botbuilder';
import type { ClaimsIdentity } from 'botframework-connector';
import type { Pipeline, TurnLogic } from '../../core/channel.js';
import { RelevoError } from '../../core/errors.js';
import { InFlightWork } from '../../core/in-flight.js';
import { type InboundDelivery, TurnStateKey, turnIncompleteReason } from '../../core/turn-state.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { IdempotencyStore } from '../../storage/types.js';
import { releaseTurnContext } from './release-turn.js';
import { type SendOptions, SentReplies } from './sent-replies.js';

export interface RelevoAdapterOptions {
  logger?: Logger;
  /** Shared with the server, so a shutdown waits for this adapter's turns. */
  inFlight?: InFlightWork;
  /** Middleware run on every turn, in order. */
  pipeline?: Pipeline;
  /**
   * Where the replies of queued turns are recorded once the platform took them, so a turn run again
   * after a crash sends only the replies its earlier run did not (see {@link SentReplies}).
   */
  sentReplies?: IdempotencyStore;
}

/**
 * The base of every Relevo connector's adapter: runs an inbound activity through the shared middleware
 * pipeline and the bot's logic in a `TurnContext`, counts it as in-flight work, and implements
 * `continueConversation` for proactive messages. Subclasses implement the channel's I/O.
 */
export abstract class RelevoAdapter extends BotAdapter {
  protected readonly logger: Logger;
  protected readonly inFlight: InFlightWork;
  private readonly sentReplies: SentReplies | undefined;

  constructor(options: RelevoAdapterOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.inFlight = options.inFlight ?? new InFlightWork();
    this.sentReplies = options.sentReplies && new SentReplies(options.sentReplies, this.logger);
    for (const middleware of options.pipeline ?? []) this.use(middleware);
    this.onTurnError = async (context, error) => {
      this.logger.error(
        {
          err: error,
          channelId: context.activity.channelId,
          conversationId: context.activity.conversation?.id,
        },
        'turn failed',
      );
      throw error;
    };
  }

  /**
   * Runs one inbound activity through the pipeline and `logic`. Rejects if the turn failed, and — for a
   * turn from the durable inbound queue (`inbound` given) — if a stage marked it incomplete, so the
   * queue runs it again.
   */
  processActivity(activity: Partial<Activity>, logic: TurnLogic, inbound?: InboundDelivery): Promise<void> {
    return this.inFlight.run(async () => {
      const context = new TurnContext(this, activity);
      if (inbound) context.turnState.set(TurnStateKey.inbound, inbound);
      let incomplete: string | undefined;
      try {
        await this.runMiddleware(context, logic);
        incomplete = inbound && turnIncompleteReason(context);
      } finally {
        releaseTurnContext(context);
      }
      if (incomplete) {
        throw new RelevoError('RELEVO_TURN_INCOMPLETE', `The turn's side work failed: ${incomplete}`, {
          details: { activityId: activity.id },
        });
      }
    });
  }

  /** Sends one reply once across the runs of a queued turn (see {@link SentReplies.send}). */
  protected sendOnce(
    context: TurnContext,
    send: (replyKey?: string) => Promise<string>,
    options: SendOptions = {},
  ): Promise<string> {
    return this.sentReplies ? this.sentReplies.send(context, send, options) : send();
  }

  override continueConversation(reference: Partial<ConversationReference>, logic: TurnLogic): Promise<void> {
    const activity = TurnContext.applyConversationReference(
      { type: 'event', name: 'continueConversation' },
      reference,
      true,
    );
    return this.processActivity(activity, logic);
  }

  override continueConversationAsync(
    _botAppIdOrClaims: string | ClaimsIdentity,
    reference: Partial<ConversationReference>,
    logicOrAudience: TurnLogic | string,
    maybeLogic?: TurnLogic,
  ): Promise<void> {
    const logic = typeof logicOrAudience === 'function' ? logicOrAudience : maybeLogic;
    if (!logic)
      throw new RelevoError('RELEVO_ADAPTER_ARGUMENT', 'continueConversationAsync needs a logic callback');
    return this.continueConversation(reference, logic);
  }

  override async updateActivity(
    _context: TurnContext,
    _activity: Partial<Activity>,
  ): Promise<ResourceResponse | undefined> {
    throw this.unsupported('updateActivity');
  }

  override async deleteActivity(
    _context: TurnContext,
    _reference: Partial<ConversationReference>,
  ): Promise<void> {
    throw this.unsupported('deleteActivity');
  }

  protected unsupported(operation: string): RelevoError {
    return new RelevoError(
      'RELEVO_CHANNEL_UNSUPPORTED',
      `${this.constructor.name} does not support ${operation}`,
      {
        statusCode: 501,
      },
    );
  }
}
