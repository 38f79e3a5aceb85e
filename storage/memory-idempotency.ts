import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyStore } from './types.js';

/** {@link IdempotencyStore} in process memory; expired keys are swept as new claims arrive. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly expiries = new Map<string, number>();
  private readonly values = new Map<string, string>();
  private claimsSinceSweep = 0;

  constructor(private readonly clock: Clock = systemClock) {}

  async claim(key: string, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS, value = '1'): Promise<boolean> {
    const now = this.clock.now();
    if (++this.claimsSinceSweep >= 1_000) this.sweep(now);
    const expiresAt = this.expiries.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.expiries.set(key, now + ttlMs);
    this.values.set(key, value);
    return true;
  }

  async valueOf(key: string): Promise<string | undefined> {
    return (this.expiries.get(key) ?? 0) > this.clock.now() ? this.values.get(key) : undefined;
  }

  async release(key: string): Promise<void> {
    this.expiries.delete(key);
    this.values.delete(key);
  }

  private sweep(now: number): void {
    this.claimsSinceSweep = 0;
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt > now) continue;
      this.expiries.delete(key);
      this.values.delete(key);
    }
  }
}
