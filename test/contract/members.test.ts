import { randomUUID } from 'node:crypto';
import { MemoryMemberStore } from '../../identity/memory-member-store.js';
import { RedisMemberStore } from '../../identity/redis-member-store.js';
import { useRedis } from '../support/redis-fixture.js';
import { membersContract } from './members-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

membersContract('memory', async () => new MemoryMemberStore());
for (const [name, redis] of backends) {
  membersContract(
    name,
    async () => new RedisMemberStore(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  );
}
