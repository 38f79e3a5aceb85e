import { randomUUID } from 'node:crypto';
import { MemoryTranscriptStore } from '../../storage/memory-transcript-store.js';
import { RedisTranscriptStore } from '../../storage/redis-transcript-store.js';
import { useRedis } from '../support/redis-fixture.js';
import { transcriptContract } from './transcript-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

transcriptContract('memory', async () => new MemoryTranscriptStore());
for (const [name, redis] of backends) {
  transcriptContract(
    name,
    async () =>
      new RedisTranscriptStore(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
  );
}
