import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * Counts events per key in fixed windows. `hit` records one event and resolves with how many the
 * key's current window holds, this one included; a window starts with the first event after the last
 * one ended.
 */
export interface RateCounter {
  hit(key: string, windowMs: number): Promise<number>;
}

/** {@link RateCounter} in process memory; ended windows are swept as new hits arrive. */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private hitsSinceSweep = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async hit(key: string, windowMs: number): Promise<number> {
    const now = this.clock.now();
    if (++this.hitsSinceSweep >= 1_000) this.sweep(now);
    const current = this.windows.get(key);
    if (current && current.endsAt > now) return ++current.count;
    this.windows.set(key, { count: 1, endsAt: now + windowMs });
    return 1;
  }

  private sweep(now: number): void {
    this.hitsSinceSweep = 0;
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/**
 * {@link RateCounter} on Redis, shared by every process: in one transaction `SET key 0 NX PX window`
 * opens the window (only if none is open) and `INCR` counts, keeping the key's expiry.
 * https://redis.io/docs/latest/commands/incr/#pattern-rate-limiter-1
 */
export class RedisRateCounter implements RateCounter {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:rate:`;
  }

  async hit(key: string, windowMs: number): Promise<number> {
    const replies = await this.client
      .multi()
      .set(this.prefix + key, '0', { condition: 'NX', expiration: { type: 'PX', value: windowMs } })
      .incr(this.prefix + key)
      .exec();
    return Number(replies[1]);
  }
}
