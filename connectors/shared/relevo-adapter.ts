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
import {
  type InboundDelivery,
  inboundDelivery,
  TurnStateKey,
  turnIncompleteReason,
} from '../../core/turn-state.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { IdempotencyStore } from '../../storage/types.js';

export interface RelevoAdapterOptions {
  logger?: Logger;
  /** Shared with the server, so a shutdown waits for this adapter's turns. */
  inFlight?: InFlightWork;
  /** Middleware run on every turn, in order. */
  pipeline?: Pipeline;
  /**
   * Where the replies of queued turns are recorded once the platform took them, so a turn run again
   * after a crash sends only the replies its earlier run did not (see {@link RelevoAdapter.sendOnce}).
   */
  sentReplies?: IdempotencyStore;
}

/** How many replies of a queued turn were sent so far: the index in each reply's key. */
const REPLY_INDEX = Symbol('relevo.replyIndex');

/** How long a sent reply is remembered: longer than a queued turn can be run again. */
const SENT_REPLY_TTL_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * The base of every Relevo connector's adapter: runs an inbound activity through the shared middleware
 * pipeline and the bot's logic in a `TurnContext`, counts it as in-flight work, and implements
 * `continueConversation` for proactive messages. Subclasses implement the channel's I/O.
 */
export abstract class RelevoAdapter extends BotAdapter {
  protected readonly logger: Logger;
  protected readonly inFlight: InFlightWork;
  private readonly sentReplies: IdempotencyStore | undefined;

  constructor(options: RelevoAdapterOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.inFlight = options.inFlight ?? new InFlightWork();
    this.sentReplies = options.sentReplies;
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
      await this.runMiddleware(context, logic);
      const incomplete = inbound && turnIncompleteReason(context);
      if (incomplete) {
        throw new RelevoError('RELEVO_TURN_INCOMPLETE', `The turn's side work failed: ${incomplete}`, {
          details: { activityId: activity.id },
        });
      }
    });
  }

  /**
   * Sends one reply with `send` (which resolves with the platform's id of it). In a turn from the
   * durable inbound queue the reply is keyed by the inbound id and its index in the turn and recorded
   * with its platform id once the platform took it; a later run of the same turn answers that id
   * instead of sending again, so a turn re-run after a crash sends only what was not sent. The
   * platforms take no idempotency key, so a process killed between the platform's answer and the
   * record repeats that one reply. With `atMostOnce` (a public post) the reply is claimed before it is
   * sent instead: a process killed while sending it loses it rather than risk posting it twice.
   */
  protected async sendOnce(
    context: TurnContext,
    send: () => Promise<string>,
    options: { atMostOnce?: boolean } = {},
  ): Promise<string> {
    const inbound = inboundDelivery(context);
    if (!inbound || !this.sentReplies) return send();
    const index = (context.turnState.get(REPLY_INDEX) as number | undefined) ?? 0;
    context.turnState.set(REPLY_INDEX, index + 1);
    const key = `reply:${context.activity.channelId}:${inbound.id}:${index}`;
    if (options.atMostOnce) {
      if (!(await this.sentReplies.claim(key, SENT_REPLY_TTL_MS, ''))) return '';
      try {
        return await send();
      } catch (error) {
        // Refused, so not posted: a later run may try again.
        await this.sentReplies.release(key).catch(() => {});
        throw error;
      }
    }
    // Only a run after the first can find a reply sent already: the first run saves the round trip.
    const sent = inbound.attempt > 1 ? await this.sentReplies.valueOf(key) : undefined;
    if (sent !== undefined) return sent;
    const id = await send();
    await this.sentReplies.claim(key, SENT_REPLY_TTL_MS, id).catch((error: unknown) => {
      // The reply is out: failing the turn now would only send it again.
      this.logger.warn({ err: error, key }, 'could not record a sent reply');
    });
    return id;
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
