import { randomUUID } from 'node:crypto';
import { MemoryLedger } from '../../gamification/ledger/memory-ledger.js';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import type { Clock } from '../../core/clock.js';
import type { RedisConnection } from '../../storage/redis-connection.js';
import { useRedis } from '../support/redis-fixture.js';
import { ledgerContract } from './ledger-contract.js';
import { ledgerExpiryContract } from './ledger-expiry-contract.js';

const backends = [
  ['Redis', useRedis()],
  ['Redis Cluster', useRedis('cluster')],
] as const;

const memory = (clock: Clock) => new MemoryLedger({ clock, pointsValidForDays: 30 });
const onRedis = (client: RedisConnection, clock: Clock, prefix: string) =>
  new RedisLedger(client, { clock, pointsValidForDays: 30, prefix });

ledgerContract('memory', async (clock) => memory(clock));
ledgerExpiryContract('memory', async (clock) => [memory(clock)]);
for (const [name, redis] of backends) {
  ledgerContract(name, async (clock) =>
    onRedis(await redis.connect(), clock, `${redis.prefix}-${randomUUID()}`),
  );
  // The peer connection plays a second process on the same Redis.
  ledgerExpiryContract(name, async (clock) => {
    const prefix = `${redis.prefix}-${randomUUID()}`;
    return [onRedis(await redis.connect(), clock, prefix), onRedis(await redis.peer(), clock, prefix)];
  });
}
