import { randomUUID } from 'node:crypto';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { RedisMemberStore } from '../../identity/redis-member-store.js';
import { useRedis } from '../support/redis-fixture.js';
import { membersContract } from './members-contract.js';

const redis = useRedis();

membersContract('memory', async () => new MemoryMemberStore());
membersContract(
  'Redis',
  async () => new RedisMemberStore(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
);
