import { randomUUID } from 'node:crypto';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { RedisStorage } from '../../storage/redis-storage.js';
import { useRedis } from '../support/redis-fixture.js';
import { storageContract } from './storage-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

storageContract('memory', async () => new MemoryStorage());
for (const [name, redis] of backends) {
  storageContract(
    name,
    async () => new RedisStorage(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  );
}
