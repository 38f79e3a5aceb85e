import type { RedisConnection } from './redis-connection.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyStore } from './types.js';

/** {@link IdempotencyStore} on Redis: `SET key 1 NX PX ttl`, so exactly one process wins a key. */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:once:`;
  }

  async claim(key: string, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS, value = '1'): Promise<boolean> {
    const reply = await this.client.set(this.prefix + key, value, {
      condition: 'NX',
      expiration: { type: 'PX', value: ttlMs },
    });
    return reply === 'OK';
  }

  async valueOf(key: string): Promise<string | undefined> {
    return (await this.client.get(this.prefix + key)) ?? undefined;
  }

  async release(key: string): Promise<void> {
    await this.client.del(this.prefix + key);
  }
}
