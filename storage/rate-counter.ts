import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisScript } from './redis-script.js';

/**
 * Counts events per key in fixed windows. `hit` records one event and resolves with how many the
 * key's current window holds, this one included; a window starts with the first event after the last
 * one ended. With `eventId` an event is counted once per window however often it is hit (a queued
 * turn run again after a crash): a repeat answers the window's count without adding to it.
 */
export interface RateCounter {
  hit(key: string, windowMs: number, eventId?: string): Promise<number>;
}

/** {@link RateCounter} in process memory; ended windows are swept as new hits arrive. */
export class MemoryRateCounter implements RateCounter {
  private readonly windows = new Map<string, { count: number; endsAt: number; events: Set<string> }>();
  private hitsSinceSweep = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async hit(key: string, windowMs: number, eventId?: string): Promise<number> {
    const now = this.clock.now();
    if (++this.hitsSinceSweep >= 1_000) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs, events: new Set() };
      this.windows.set(key, window);
    }
    if (eventId !== undefined) {
      if (window.events.has(eventId)) return window.count;
      window.events.add(eventId);
    }
    return ++window.count;
  }

  private sweep(now: number): void {
    this.hitsSinceSweep = 0;
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

// One window is one hash: `n` counts, `e:<event id>` marks an event counted; it expires with the window.
const HIT = new RedisScript(`
if redis.call('HSETNX', KEYS[1], 'n', 0) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if ARGV[2] ~= '' and redis.call('HSETNX', KEYS[1], 'e:' .. ARGV[2], 1) == 0 then
  return tonumber(redis.call('HGET', KEYS[1], 'n'))
end
return redis.call('HINCRBY', KEYS[1], 'n', 1)
`);

/**
 * {@link RateCounter} on Redis, shared by every process: one script per hit opens the window (a hash
 * expiring with it) if none is open, and counts unless the event was counted in it already.
 * https://redis.io/docs/latest/commands/incr/#pattern-rate-limiter-1
 */
export class RedisRateCounter implements RateCounter {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    // `w:` (a hash per window) keeps these keys apart from the plain counters of earlier versions.
    this.prefix = `${options.prefix ?? 'relevo'}:rate:w:`;
  }

  async hit(key: string, windowMs: number, eventId?: string): Promise<number> {
    return Number(await HIT.run(this.client, [this.prefix + key], [String(windowMs), eventId ?? '']));
  }
}
