import { randomUUID } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';

/** Which of the suite's private Redis deployments a test talks to. */
export type RedisKind = 'single' | 'cluster';

/**
 * Connects (once, lazily) to the suite's private Redis, one server or the 3-master cluster, with a
 * key prefix unique to the calling test file, so files running in parallel never see each other's
 * keys. `peer` is a second connection, as a second process would have. Both close after the file.
 */
export function useRedis(kind: RedisKind = 'single'): {
  connect: () => Promise<RedisConnection>;
  peer: () => Promise<RedisConnection>;
  prefix: string;
} {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const open = () =>
    connectRedis(
      kind === 'cluster' ? { clusterUrls: inject('redisClusterUrls') } : { url: inject('redisUrl') },
    );
  let connecting: Promise<RedisConnection> | undefined;
  let peering: Promise<RedisConnection> | undefined;
  afterAll(async () => {
    for (const client of await Promise.all([connecting, peering])) if (client?.isOpen) await client.close();
  });
  return {
    connect: () => {
      connecting ??= open();
      return connecting;
    },
    peer: () => {
      peering ??= open();
      return peering;
    },
    prefix,
  };
}
