import { randomUUID } from 'node:crypto';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { RedisStorage } from '../../storage/redis-storage.js';
import { useRedis } from '../support/redis-fixture.js';
import { storageContract } from './storage-contract.js';

const redis = useRedis();

storageContract('memory', async () => new MemoryStorage());
storageContract(
  'Redis',
  async () => new RedisStorage(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` }),
);
