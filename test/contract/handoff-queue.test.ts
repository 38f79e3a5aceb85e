import { randomUUID } from 'node:crypto';
import { MemoryHandoffQueue } from '../../handoff/memory-queue.js';
import { RedisHandoffQueue } from '../../handoff/redis-queue.js';
import { useRedis } from '../support/redis-fixture.js';
import { handoffQueueContract } from './handoff-queue-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

handoffQueueContract('memory', async () => new MemoryHandoffQueue());
for (const [name, redis] of backends) {
  handoffQueueContract(
    name,
    async () => new RedisHandoffQueue(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  );
}
