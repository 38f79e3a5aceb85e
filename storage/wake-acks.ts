import type { Logger } from '../core/logger.js';
import type { InboundBackend } from './inbound-backend.js';

/** The longest a drained partition's wake-ups wait to be acknowledged with other work. */
const ACK_DELAY_MS = 1_000;

/**
 * An inbound queue's acknowledgements of drained partitions' wake-ups, batched: sent in the same tick as
 * the next work this process sends (one burst), or after a short delay when there is none.
 */
export class WakeAcks {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly delayMs: number;

  /** `visibilityMs`: the queue's; a batch waits at most half of it (and at most 1 s). */
  constructor(
    private readonly backend: InboundBackend,
    private readonly logger: Logger,
    visibilityMs: number,
  ) {
    this.delayMs = Math.min(ACK_DELAY_MS, visibilityMs / 2);
  }

  /** Acknowledges `keys` with the next flush, at the latest after the delay. */
  soon(keys: string[]): void {
    if (keys.length === 0) return;
    this.pending.push(...keys);
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
    this.timer.unref();
  }

  /** Sends the pending acknowledgements (in the same tick as the caller's own commands: one burst). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = this.pending.splice(0);
    if (keys.length === 0) return Promise.resolve();
    return this.backend.ack(keys).catch((error: unknown) => {
      // Left pending: a consumer claims them after visibilityMs and finds their partitions drained.
      this.logger.warn({ err: error }, 'could not acknowledge inbound wake-ups');
    });
  }
}
