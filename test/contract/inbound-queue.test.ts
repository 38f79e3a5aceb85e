import { randomUUID } from 'node:crypto';
import { MemoryInboundBackend } from '../../storage/memory-inbound-backend.js';
import { MemoryLockManager } from '../../storage/memory-lock.js';
import { RedisInboundBackend } from '../../storage/redis-inbound-backend.js';
import { RedisLockManager } from '../../storage/redis-lock.js';
import { useRedis } from '../support/redis-fixture.js';
import { inboundQueueContract } from './inbound-queue-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

inboundQueueContract('memory', async () => {
  // As in createStores: the backend takes its turn locks in the pipeline's lock manager.
  const locks = new MemoryLockManager();
  const backend = new MemoryInboundBackend(undefined, undefined, locks);
  return { backend: () => backend, locks };
});
for (const [name, redis] of backends) {
  inboundQueueContract(name, async () => {
    const client = await redis.connect();
    const keys = { prefix: `${redis.prefix}-${randomUUID()}` };
    return {
      backend: () => new RedisInboundBackend(client, { ...keys, name: 'webchat' }),
      locks: new RedisLockManager(client, keys),
    };
  });
}
