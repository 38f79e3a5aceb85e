import { randomUUID } from 'node:crypto';
import { MemoryOutcomeEvents } from '../../analytics/outcome-events.js';
import { RedisOutcomeEvents } from '../../analytics/redis-outcome-events.js';
import { useRedis } from '../support/redis-fixture.js';
import { outcomeEventsContract } from './outcome-events-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

outcomeEventsContract('memory', async () => new MemoryOutcomeEvents());
for (const [name, redis] of backends) {
  outcomeEventsContract(
    name,
    async () => new RedisOutcomeEvents(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  );
}
