import { randomUUID } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';

/**
 * Connects (once, lazily) to the suite's private Redis with a key prefix unique to the calling test
 * file, so files running in parallel never see each other's keys. The client closes after the file.
 */
export function useRedis(): { connect: () => Promise<RedisConnection>; prefix: string } {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  let connecting: Promise<RedisConnection> | undefined;
  const connect = () => {
    connecting ??= connectRedis({ url: inject('redisUrl') });
    return connecting;
  };
  afterAll(async () => {
    const client = await connecting;
    if (client?.isOpen) await client.close();
  });
  return { connect, prefix };
}
