import { randomUUID } from 'node:crypto';
import { MemoryIdempotencyStore } from '../../storage/memory-idempotency.js';
import { MemoryLockManager } from '../../storage/memory-lock.js';
import { MemoryPubSub } from '../../storage/memory-pubsub.js';
import { RedisIdempotencyStore } from '../../storage/redis-idempotency.js';
import { RedisLockManager } from '../../storage/redis-lock.js';
import { RedisPubSub } from '../../storage/redis-pubsub.js';
import { useRedis } from '../support/redis-fixture.js';
import { coordinationContract } from './coordination-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

coordinationContract('memory', {
  idempotency: async () => new MemoryIdempotencyStore(),
  locks: async () => new MemoryLockManager(),
  pubsub: async () => new MemoryPubSub(),
});
for (const [name, redis] of backends) {
  const prefix = () => ({ prefix: `${redis.prefix}-${randomUUID()}` });
  coordinationContract(name, {
    idempotency: async () => new RedisIdempotencyStore(await redis.connect(), prefix()),
    locks: async () => new RedisLockManager(await redis.connect(), prefix()),
    pubsub: async () => new RedisPubSub(await redis.connect(), prefix()),
  });
}
