import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { lockLost, waitForLock } from './lock-wait.js';
import type { AcquireOptions, Lock, LockManager } from './types.js';

/** {@link LockManager} for one process: same semantics as the Redis one (tokens, expiry). */
export class MemoryLockManager implements LockManager {
  private readonly holders = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly clock: Clock = systemClock) {}

  acquire(resource: string, options: AcquireOptions): Promise<Lock> {
    return waitForLock(resource, options.waitMs ?? 0, async () => this.tryAcquire(resource, options.ttlMs));
  }

  /** The token holding `resource` now, if any (for a store that takes the lock along with its work). */
  holderOf(resource: string): string | undefined {
    const current = this.holders.get(resource);
    return current && current.expiresAt > this.clock.now() ? current.token : undefined;
  }

  /** Sets the holder of `resource` (`undefined`: frees it), whoever held it: the caller checked. */
  setHolder(resource: string, token: string | undefined, ttlMs = 0): void {
    if (token === undefined) this.holders.delete(resource);
    else this.holders.set(resource, { token, expiresAt: this.clock.now() + ttlMs });
  }

  held(resource: string, token: string): Lock {
    const isHeld = () => this.holderOf(resource) === token;
    return {
      resource,
      token,
      extend: async (extendMs: number) => {
        if (!isHeld()) throw lockLost(resource);
        this.setHolder(resource, token, extendMs);
      },
      release: async () => {
        if (!isHeld()) return false;
        this.setHolder(resource, undefined);
        return true;
      },
    };
  }

  private tryAcquire(resource: string, ttlMs: number): Lock | null {
    if (this.holderOf(resource) !== undefined) return null;
    const token = randomUUID();
    this.setHolder(resource, token, ttlMs);
    return this.held(resource, token);
  }
}
