import { randomUUID } from 'node:crypto';
import { MemoryLedger } from '../../gamification/ledger/memory-ledger.js';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import { useRedis } from '../support/redis-fixture.js';
import { ledgerContract } from './ledger-contract.js';

const redis = useRedis();

ledgerContract('memory', async (clock) => new MemoryLedger({ clock, pointsValidForDays: 30 }));
ledgerContract(
  'Redis',
  async (clock) =>
    new RedisLedger(await redis.connect(), {
      clock,
      pointsValidForDays: 30,
      prefix: `${redis.prefix}-${randomUUID()}`,
    }),
);
