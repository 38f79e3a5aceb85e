import type { Middleware, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { inboundDelivery } from '../core/turn-state.js';
import { turnLockResource } from './inbound-backend.js';
import type { LockManager } from './types.js';

export interface ConversationLockOptions {
  /** Lifetime of the lock; extended while the turn runs, so only a crashed holder lets it lapse. */
  ttlMs?: number;
  /** How long a turn waits for the previous turn of its conversation. */
  waitMs?: number;
  logger?: Logger;
}

/**
 * Turns of one conversation never interleave: a message that arrives while the previous turn is still
 * running waits for it (across processes when the locks are on Redis). The lock is extended every third
 * of its lifetime while the turn runs. A turn from the durable inbound queue already runs under this
 * lock (`turnLockResource('<channel>:<conversation>')`, taken by the queue's drain for all of the
 * conversation's queued messages), so it passes.
 */
export class ConversationLockMiddleware implements Middleware {
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly logger: Logger;

  constructor(
    private readonly locks: LockManager,
    options: ConversationLockOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.waitMs = options.waitMs ?? 30_000;
    this.logger = options.logger ?? silentLogger;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    if (inboundDelivery(context)) return next();
    const { channelId, conversation } = context.activity;
    const lock = await this.locks.acquire(turnLockResource(`${channelId}:${conversation?.id}`), {
      ttlMs: this.ttlMs,
      waitMs: this.waitMs,
    });
    const keepAlive = setInterval(() => {
      lock.extend(this.ttlMs).catch((error: unknown) => {
        this.logger.warn({ err: error, resource: lock.resource }, 'could not extend a conversation lock');
      });
    }, this.ttlMs / 3);
    try {
      await next();
    } finally {
      clearInterval(keepAlive);
      await lock.release().catch((error: unknown) => {
        this.logger.warn({ err: error, resource: lock.resource }, 'could not release a conversation lock');
      });
    }
  }
}
