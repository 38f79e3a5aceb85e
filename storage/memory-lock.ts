import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { lockLost, waitForLock } from './lock-wait.js';
import type { AcquireOptions, Lock, LockManager } from './types.js';

/** {@link LockManager} for one process: same semantics as the Redis one (tokens, expiry). */
export class MemoryLockManager implements LockManager {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly clock: Clock = systemClock) {}

  acquire(resource: string, options: AcquireOptions): Promise<Lock> {
    return waitForLock(resource, options.waitMs ?? 0, async () => this.tryAcquire(resource, options.ttlMs));
  }

  private tryAcquire(resource: string, ttlMs: number): Lock | null {
    const now = this.clock.now();
    const current = this.held.get(resource);
    if (current && current.expiresAt > now) return null;
    const token = randomUUID();
    this.held.set(resource, { token, expiresAt: now + ttlMs });
    const isHeld = () => {
      const entry = this.held.get(resource);
      return entry?.token === token && entry.expiresAt > this.clock.now();
    };
    return {
      resource,
      token,
      extend: async (extendMs: number) => {
        if (!isHeld()) throw lockLost(resource);
        this.held.set(resource, { token, expiresAt: this.clock.now() + extendMs });
      },
      release: async () => {
        if (!isHeld()) return false;
        this.held.delete(resource);
        return true;
      },
    };
  }
}
