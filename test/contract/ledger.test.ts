import { randomUUID } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { MemoryLedger } from '../../gamification/ledger/memory-ledger.js';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import type { Clock } from '../../core/clock.js';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';
import { useRedis } from '../support/redis-fixture.js';
import { ledgerContract } from './ledger-contract.js';
import { ledgerExpiryContract } from './ledger-expiry-contract.js';

const redis = useRedis();
// A second connection plays a second process on the same Redis.
let peer: Promise<RedisConnection> | undefined;
afterAll(async () => {
  const client = await peer;
  if (client?.isOpen) await client.close();
});

const memory = (clock: Clock) => new MemoryLedger({ clock, pointsValidForDays: 30 });
const onRedis = (client: RedisConnection, clock: Clock, prefix: string) =>
  new RedisLedger(client, { clock, pointsValidForDays: 30, prefix });

ledgerContract('memory', async (clock) => memory(clock));
ledgerContract('Redis', async (clock) =>
  onRedis(await redis.connect(), clock, `${redis.prefix}-${randomUUID()}`),
);

ledgerExpiryContract('memory', async (clock) => [memory(clock)]);
ledgerExpiryContract('Redis', async (clock) => {
  const prefix = `${redis.prefix}-${randomUUID()}`;
  peer ??= connectRedis({ url: inject('redisUrl') });
  return [onRedis(await redis.connect(), clock, prefix), onRedis(await peer, clock, prefix)];
});
