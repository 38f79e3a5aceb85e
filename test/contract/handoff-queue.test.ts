import { randomUUID } from 'node:crypto';
import { MemoryHandoffQueue } from '../../handoff/memory-queue.js';
import { RedisHandoffQueue } from '../../handoff/redis-queue.js';
import { useRedis } from '../support/redis-fixture.js';
import { handoffQueueContract } from './handoff-queue-contract.js';

const redis = useRedis();

handoffQueueContract('memory', async () => new MemoryHandoffQueue());
handoffQueueContract(
  'Redis',
  async () => new RedisHandoffQueue(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
);
