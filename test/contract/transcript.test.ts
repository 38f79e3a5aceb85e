import { randomUUID } from 'node:crypto';
import { MemoryTranscriptStore } from '../../storage/memory-transcript-store.js';
import { RedisTranscriptStore } from '../../storage/redis-transcript-store.js';
import { useRedis } from '../support/redis-fixture.js';
import { transcriptContract } from './transcript-contract.js';

const redis = useRedis();

transcriptContract('memory', async () => new MemoryTranscriptStore());
transcriptContract(
  'Redis',
  async () => new RedisTranscriptStore(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
);
