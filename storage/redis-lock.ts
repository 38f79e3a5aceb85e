import { randomUUID } from 'node:crypto';
import { lockLost, waitForLock } from './lock-wait.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisScript } from './redis-script.js';
import type { AcquireOptions, Lock, LockManager } from './types.js';

// Release and extend compare the token first, so only the holder can touch the lock
// (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/).
const releaseScript = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
const extendScript = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/**
 * The Redis key of the lock on `resource`: its value is the holder's token, with the lock's lifetime as
 * its expiry. A script that takes a lock along with other work (the inbound queue's) writes the same.
 */
export function lockKey(prefix: string, resource: string): string {
  return `${prefix}:lock:${resource}`;
}

/** {@link LockManager} on Redis: `SET key token NX PX ttl`; release and extend by the holder only. */
export class RedisLockManager implements LockManager {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
  }

  acquire(resource: string, options: AcquireOptions): Promise<Lock> {
    return waitForLock(resource, options.waitMs ?? 0, () => this.tryAcquire(resource, options.ttlMs));
  }

  held(resource: string, token: string): Lock {
    const key = lockKey(this.prefix, resource);
    return {
      resource,
      token,
      extend: async (extendMs: number) => {
        const extended = Number(await extendScript.run(this.client, [key], [token, String(extendMs)]));
        if (extended !== 1) throw lockLost(resource);
      },
      release: async () => Number(await releaseScript.run(this.client, [key], [token])) === 1,
    };
  }

  private async tryAcquire(resource: string, ttlMs: number): Promise<Lock | null> {
    const token = randomUUID();
    const reply = await this.client.set(lockKey(this.prefix, resource), token, {
      condition: 'NX',
      expiration: { type: 'PX', value: ttlMs },
    });
    return reply === 'OK' ? this.held(resource, token) : null;
  }
}
