import type { TurnContext } from 'botbuilder';
import type { Logger } from '../../core/logger.js';
import { throwIfStopped } from '../../core/abort.js';
import {
  type ClaimedActivity,
  claimedActivity,
  type InboundDelivery,
  inboundDelivery,
  markTurnIncomplete,
} from '../../core/turn-state.js';
import { activityResource } from '../../storage/activity-claims.js';
import type { IdempotencyStore } from '../../storage/types.js';

/** How many replies of a queued or claimed turn were sent so far: the index in each reply's key. */
const REPLY_INDEX = Symbol('relevo.replyIndex');
/** The platform ids this run of a turn answered for its replies so far (sent, recorded or found). */
const REPLY_IDS = Symbol('relevo.replyIds');

/** How long a sent reply is remembered: longer than a queued turn can be run again. */
const SENT_REPLY_TTL_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * Asks the platform for a reply sent under `replyKey` and resolves with its id, or `undefined` when
 * there is none; rejects when it cannot tell. `taken` holds the ids of the turn's earlier replies,
 * which cannot be this one (a platform that can only match by text must skip an earlier reply with
 * the same text).
 */
export type FindSent = (replyKey: string, taken: ReadonlySet<string>) => Promise<string | undefined>;

export interface SendOptions {
  /**
   * Claim the reply before sending it (a public post). A later run that finds the claim but no
   * recorded id asks `findSent` before sending; without it, or when the look fails (or cannot read
   * far enough), the reply is not sent again (possibly lost). It goes out twice only when the look
   * misses a reply that is out (docs/x.md "What remains").
   */
  atMostOnce?: boolean;
  /** Called only on a later run of the turn, for a reply it has no record of. */
  findSent?: FindSent;
}

/** A turn's reads of a platform for sent replies, by where they read. */
const TURN_LOOKUPS = Symbol('relevo.sentReplyLookups');

/**
 * `read()` once per turn and place (`at`): the first reply of a run with no record reads the
 * platform, the run's other replies are answered from that read. An earlier run of the turn is over
 * by then, so one read sees everything it sent.
 */
export function lookupOncePerTurn<T>(context: TurnContext, at: string, read: () => Promise<T>): Promise<T> {
  let lookups = context.turnState.get(TURN_LOOKUPS) as Map<string, Promise<unknown>> | undefined;
  if (!lookups) {
    lookups = new Map();
    context.turnState.set(TURN_LOOKUPS, lookups);
  }
  let lookup = lookups.get(at) as Promise<T> | undefined;
  if (!lookup) {
    lookup = read();
    lookups.set(at, lookup);
  }
  return lookup;
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
   * and answered instead (Slack: the key travels in the message's metadata; X: a DM's text). A failed
   * look sends the reply (at least once beats lost). With `atMostOnce` (a public post) the reply is
   * claimed before it is sent instead, and a later run that finds the claim without a record looks
   * before posting; a failed look does not post (possibly lost; twice only where the platform's read
   * misses a post that is out, as docs/x.md "What remains" lists). A claimed turn's replies
   * are keyed by its activity in its conversation (`reply:activity:{<tag>}:<id>:<n>`) and looked up on
   * its replay only. Other turns just send.
   */
  async send(
    context: TurnContext,
    send: (replyKey?: string) => Promise<string>,
    options: SendOptions = {},
  ): Promise<string> {
    const inbound = inboundDelivery(context);
    const claimed = inbound ? undefined : claimedActivity(context);
    if (!inbound && !claimed) return send();
    const signal = inbound?.signal;
    try {
      // Before a claim too: a cut run leaves no claim without a post for the rerun to look up.
      await throwIfStopped(signal);
      return await this.sendKeyed(context, inbound, claimed, send, options, signal);
    } catch (error) {
      // The turn was cut: even if a stage swallows this, it must run again rather than be committed.
      if (signal?.aborted) markTurnIncomplete(context, `a reply was not sent (${signal.reason?.code})`);
      throw error;
    }
  }

  private async sendKeyed(
    context: TurnContext,
    inbound: InboundDelivery | undefined,
    claimed: ClaimedActivity | undefined,
    send: (replyKey?: string) => Promise<string>,
    options: SendOptions,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    // A run whose lock was lost (another process may rerun the turn), or whose queue stops, sends no more.
    const sendUnlessAborted = signal
      ? async (replyKey: string) => {
          await throwIfStopped(signal);
          return send(replyKey);
        }
      : send;
    const index = (context.turnState.get(REPLY_INDEX) as number | undefined) ?? 0;
    context.turnState.set(REPLY_INDEX, index + 1);
    const { channelId, conversation } = context.activity;
    const key = inbound
      ? `reply:${channelId}:${inbound.id}:${index}`
      : `reply:${activityResource(channelId, conversation?.id ?? '', claimed?.id ?? '')}:${index}`;
    // Only a run after the first (a claimed turn's replay: its replies wait for its save) can find a
    // reply sent already: the first run saves the round trips.
    const later = inbound ? inbound.attempt > 1 : claimed?.replayedUntil !== undefined;
    const taken = replyIds(context);
    const id = options.atMostOnce
      ? await this.sendAtMostOnce(key, later, sendUnlessAborted, options.findSent, taken)
      : await this.sendAtLeastOnce(key, later, sendUnlessAborted, options.findSent, taken);
    if (id) taken.add(id);
    return id;
  }

  private async sendAtLeastOnce(
    key: string,
    later: boolean,
    send: (replyKey: string) => Promise<string>,
    findSent: FindSent | undefined,
    taken: ReadonlySet<string>,
  ): Promise<string> {
    const sent = later ? await this.store.valueOf(key) : undefined;
    if (sent !== undefined) return sent;
    const found = later && findSent ? await this.find(findSent, key, taken) : undefined;
    const id = found ?? (await send(key));
    await this.record(key, id);
    return id;
  }

  /**
   * A public post: claimed under `<key>:claim` before it is sent, and its id recorded under `key` once
   * the platform took it, so a later run tells "confirmed, with this id" from "claimed, never
   * confirmed". The claim is never released, not even when the send fails (a timeout may hide a post
   * that went out): a later run that finds it without a record asks the platform instead. That earlier
   * run is over by then: the turns of one conversation run one at a time, across processes, under its
   * partition's turn lock, which a running turn keeps extending (storage/inbound-queue.ts); a later run
   * starts only after the earlier one failed, or died and its lock lapsed.
   */
  private async sendAtMostOnce(
    key: string,
    later: boolean,
    send: (replyKey: string) => Promise<string>,
    findSent: FindSent | undefined,
    taken: ReadonlySet<string>,
  ): Promise<string> {
    const sent = later ? await this.store.valueOf(key) : undefined;
    if (sent !== undefined) return sent;
    if (!(await this.store.claim(`${key}:claim`, SENT_REPLY_TTL_MS))) {
      // Nobody to ask: it may be out, so it is not sent again.
      if (!findSent) return '';
      let found: string | undefined;
      try {
        found = await findSent(key, taken);
      } catch (error) {
        this.logger.warn({ err: error, key }, 'could not look for a sent public reply: not posting it again');
        return '';
      }
      if (found) {
        await this.record(key, found);
        return found;
      }
      // Claimed but not out: the earlier run died (or was refused) before the platform took it.
    }
    const id = await send(key);
    await this.record(key, id);
    return id;
  }

  private async record(key: string, id: string): Promise<void> {
    await this.store.claim(key, SENT_REPLY_TTL_MS, id).catch((error: unknown) => {
      // The reply is out: failing the turn now would only send it again.
      this.logger.warn({ err: error, key }, 'could not record a sent reply');
    });
  }

  /** The id of a reply an earlier run sent under `key` but did not record; none if the look failed. */
  private async find(findSent: FindSent, key: string, taken: ReadonlySet<string>) {
    try {
      return await findSent(key, taken);
    } catch (error) {
      this.logger.warn({ err: error, key }, 'could not look for a sent reply: sending it, perhaps again');
      return undefined;
    }
  }
}

function replyIds(context: TurnContext): Set<string> {
  let ids = context.turnState.get(REPLY_IDS) as Set<string> | undefined;
  if (!ids) {
    ids = new Set();
    context.turnState.set(REPLY_IDS, ids);
  }
  return ids;
}
