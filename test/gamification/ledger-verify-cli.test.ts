import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { memberKeys, RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import { type RedisKind, useRedis } from '../support/redis-fixture.js';

const run = promisify(execFile);

async function verifyCli(kind: RedisKind, prefix: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'gamification/cli/ledger-verify.ts', '--prefix', prefix],
      {
        env: {
          ...process.env,
          ...(kind === 'cluster'
            ? { REDIS_URL: '', REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(',') }
            : { REDIS_URL: inject('redisUrl'), REDIS_CLUSTER_URLS: '' }),
        },
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

for (const [name, kind] of [
  ['one Redis', 'single'],
  ['a Redis Cluster', 'cluster'],
] as const) {
  const redis = useRedis(kind);
  describe(`ledger:verify on ${name}`, () => {
    it('passes a consistent ledger and names a member whose balance was tampered with', async () => {
      const prefix = `${redis.prefix}-${randomUUID()}`;
      const client = await redis.connect();
      const ledger = new RedisLedger(client, { prefix });
      for (const memberId of ['ana', 'ben']) {
        await ledger.credit({ memberId, amount: 50, reason: 'earn', idempotencyKey: `c-${memberId}` });
        await ledger.debit({ memberId, amount: 20, reason: 'spend', idempotencyKey: `d-${memberId}` });
      }
      const good = await verifyCli(kind, prefix);
      expect(good.code).toBe(0);
      expect(JSON.parse(good.stdout.trim().split('\n').at(-1) as string)).toEqual({
        members: 2,
        entries: 4,
        inconsistent: 0,
        inconsistentMembers: [],
      });

      await client.hSet(memberKeys(prefix, 'ben')[0] as string, 'balance', '999');
      const bad = await verifyCli(kind, prefix);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
        inconsistent: 1,
        inconsistentMembers: ['ben'],
      });
    });
  });
}
