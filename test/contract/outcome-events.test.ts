import { randomUUID } from 'node:crypto';
import { MemoryOutcomeEvents } from '../../analytics/outcome-events.js';
import { RedisOutcomeEvents } from '../../analytics/redis-outcome-events.js';
import { useRedis } from '../support/redis-fixture.js';
import { outcomeEventsContract } from './outcome-events-contract.js';

const redis = useRedis();

outcomeEventsContract('memory', async () => new MemoryOutcomeEvents());
outcomeEventsContract(
  'Redis',
  async () => new RedisOutcomeEvents(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
);
