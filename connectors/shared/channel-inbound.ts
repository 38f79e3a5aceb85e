import type { Activity } from 'botbuilder';
import { RelevoError } from '../../core/errors.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import { InboundQueue } from '../../storage/inbound-queue.js';
import type { InboundHandler } from '../../storage/inbound-queue-options.js';
import type { Stores } from '../../storage/stores.js';

export interface ChannelInboundOptions {
  /** The channel's queue name (`slack`, `x`, `botframework`, `email`): its own Redis keys. */
  name: string;
  stores: Stores;
  logger: Logger;
  /** The drains this process starts for what it queued count as its work in progress (shutdown waits). */
  inFlight: InFlightWork;
  /** Runs one queued entry's turn; rejecting keeps the entry queued for another run. */
  handler: InboundHandler;
  /** `INBOUND_VISIBILITY_MS`: how soon another process takes over a dead one's queued turns. */
  visibilityMs?: number | undefined;
  /** How long a queued id is remembered against duplicates (the queue's default: 24 h). */
  retentionMs?: number;
}

/** The queue partition of a conversation; the pipeline's conversation lock uses the same name. */
export function conversationPartition(
  channelId: string | undefined,
  conversationId: string | undefined,
): string {
  return `${channelId}:${conversationId}`;
}

/**
 * What a connector queues for a platform delivery: an event named for its channel carrying `value`
 * (the delivery as the connector's turn will read it), in the conversation of the `activity` it
 * became, and that conversation's queue partition.
 */
export function deliveryEnvelope(
  name: string,
  activity: Partial<Activity>,
  value: unknown,
): { partition: string; envelope: Partial<Activity> } {
  return {
    partition: conversationPartition(activity.channelId, activity.conversation?.id),
    envelope: {
      type: 'event',
      name,
      channelId: activity.channelId,
      conversation: activity.conversation,
      value,
    } as Partial<Activity>,
  };
}

/**
 * A channel's side of the durable inbound queue (storage/inbound-queue.ts): `accept` resolves once an
 * activity is durably queued — only then does the connector acknowledge the platform — and starts its
 * conversation's turns here in the background. A duplicate delivery (a platform's retry) is recognised
 * by its id at enqueue and runs nothing new. Turns left by a process that died are taken over by
 * whichever process's consumer claims them after the visibility timeout.
 */
export class ChannelInbound {
  readonly queue: InboundQueue;
  private readonly logger: Logger;
  private readonly inFlight: InFlightWork;

  constructor(options: ChannelInboundOptions) {
    this.logger = options.logger;
    this.inFlight = options.inFlight;
    this.queue = new InboundQueue({
      backend: options.stores.inbound(
        options.name,
        options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs },
      ),
      locks: options.stores.locks,
      logger: options.logger,
      handler: options.handler,
      ...(options.visibilityMs === undefined ? {} : { visibilityMs: options.visibilityMs }),
    });
  }

  /**
   * Queues `activity` under its platform id (`false`: queued before, a duplicate) and starts draining
   * its partition (a duplicate's too: its first delivery may have reached a process that died). Rejects
   * with a 503 `RELEVO_QUEUE_UNAVAILABLE` when it could not be queued: the platform must not be told it
   * was received, so that it delivers it again. With `waitMs` it also waits (at most that long) for the
   * turns to run here, for channels that answer after the turn.
   */
  async accept(partition: string, id: string, activity: Partial<Activity>, waitMs = 0): Promise<boolean> {
    // Queued and the conversation taken in one step (one round trip); the turn runs right away, here.
    const { queued, done } = this.queue.submit(partition, id, activity);
    const ran = this.inFlight
      .run(() => done)
      .catch((error: unknown) => {
        this.logger.warn({ err: error, partition }, 'queued turn failed; it will run again');
      });
    let isNew: boolean;
    try {
      isNew = await queued;
    } catch (error) {
      throw new RelevoError('RELEVO_QUEUE_UNAVAILABLE', 'The message could not be queued; send it again', {
        statusCode: 503,
        cause: error,
      });
    }
    if (waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ran, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    return isNew;
  }

  start(): void {
    this.queue.start();
  }

  /**
   * Stops taking work; turns in progress stop at their next send or wait (their signal aborts) or
   * finish, queued ones wait for the next process.
   */
  stop(): Promise<void> {
    return this.queue.stop();
  }
}
