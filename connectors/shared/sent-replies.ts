import type { TurnContext } from 'botbuilder';
import type { Logger } from '../../core/logger.js';
import { claimedActivity, inboundDelivery } from '../../core/turn-state.js';
import { activityResource } from '../../storage/activity-claims.js';
import type { IdempotencyStore } from '../../storage/types.js';

/** How many replies of a queued or claimed turn were sent so far: the index in each reply's key. */
const REPLY_INDEX = Symbol('relevo.replyIndex');

/** How long a sent reply is remembered: longer than a queued turn can be run again. */
const SENT_REPLY_TTL_MS = 2 * 24 * 60 * 60 * 1000;

export interface SendOptions {
  /** Claim the reply before sending it: lost rather than doubled if the process dies meanwhile. */
  atMostOnce?: boolean;
  /**
   * Asks the platform for a reply sent under `replyKey` and resolves with its id, or `undefined` when
   * there is none. Called only on a later run of the turn, for a reply it has no record of.
   */
  findSent?: (replyKey: string) => Promise<string | undefined>;
}

/**
 * The replies of turns from the durable inbound queue, recorded so that a turn run again (after a
 * crash, or a reply the platform refused) sends only what its earlier runs did not. Every adapter that
 * talks to a platform (Slack, X, Bot Framework, email) sends through {@link SentReplies.send}. The same
 * holds for a turn run in its request under the dedupe stage's claim (a Bot Framework invoke that also
 * posts messages) when it is replayed from its state save (storage/activity-outbox.ts).
 */
export class SentReplies {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Sends one reply with `send` (which resolves with the platform's id of it, and is given the reply's
   * key when it has one, so a platform that identifies messages by the sender's id can name a resent
   * reply as the first: email's Message-ID). In a turn from the
   * durable inbound queue the reply is keyed by the inbound id and its index in the turn
   * (`reply:<channel>:<inbound id>:<n>`) and recorded with its platform id once the platform took it;
   * a later run of the same turn answers that id instead of sending again. The platforms take no
   * idempotency key, so a process killed between the platform's answer and the record would repeat
   * that one reply: where the platform can be asked, `findSent` (given by the adapter) looks for a
   * reply sent under its key before a later run sends one with no record; what it finds is recorded
   * and answered instead (Slack: the key travels in the message's metadata). A failed look sends the
   * reply (at least once beats lost). With `atMostOnce` (a public post) the reply is claimed before it
   * is sent instead: a process killed while sending it loses it rather than risk posting it twice. A
   * claimed turn's replies are keyed by its activity in its conversation
   * (`reply:activity:{<tag>}:<id>:<n>`) and looked up on its replay only. Other turns just send.
   */
  async send(
    context: TurnContext,
    send: (replyKey?: string) => Promise<string>,
    options: SendOptions = {},
  ): Promise<string> {
    const inbound = inboundDelivery(context);
    const claimed = inbound ? undefined : claimedActivity(context);
    if (!inbound && !claimed) return send();
    const index = (context.turnState.get(REPLY_INDEX) as number | undefined) ?? 0;
    context.turnState.set(REPLY_INDEX, index + 1);
    const { channelId, conversation } = context.activity;
    const key = inbound
      ? `reply:${channelId}:${inbound.id}:${index}`
      : `reply:${activityResource(channelId, conversation?.id ?? '', claimed?.id ?? '')}:${index}`;
    if (options.atMostOnce) {
      if (!(await this.store.claim(key, SENT_REPLY_TTL_MS, ''))) return '';
      try {
        return await send(key);
      } catch (error) {
        // Refused, so not posted: a later run may try again.
        await this.store.release(key).catch(() => {});
        throw error;
      }
    }
    // Only a run after the first (a claimed turn's replay: its replies wait for its save) can find a
    // reply sent already: the first run saves the round trip.
    const later = inbound ? inbound.attempt > 1 : claimed?.replayedUntil !== undefined;
    const sent = later ? await this.store.valueOf(key) : undefined;
    if (sent !== undefined) return sent;
    const found = later && options.findSent ? await this.find(options.findSent, key) : undefined;
    const id = found ?? (await send(key));
    await this.store.claim(key, SENT_REPLY_TTL_MS, id).catch((error: unknown) => {
      // The reply is out: failing the turn now would only send it again.
      this.logger.warn({ err: error, key }, 'could not record a sent reply');
    });
    return id;
  }

  /** The id of a reply an earlier run sent under `key` but did not record; none if the look failed. */
  private async find(findSent: (replyKey: string) => Promise<string | undefined>, key: string) {
    try {
      return await findSent(key);
    } catch (error) {
      this.logger.warn({ err: error, key }, 'could not look for a sent reply: sending it, perhaps again');
      return undefined;
    }
  }
}
