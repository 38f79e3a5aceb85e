import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisOutcomeEvents } from '../../analytics/redis-outcome-events.js';
import { RedisLedger } from '../../gamification/ledger/redis-ledger.js';
import { sweepExpiredPoints } from '../../gamification/ledger/sweep.js';
import { connectRedis, type RedisConnection } from '../../storage/redis-connection.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

// Every write lists its member or day again, so nothing stays unlisted after Redis lost data.
describe('the ledger and outcome-event listings after Redis lost its data', () => {
  let server: RedisServer;
  let client: RedisConnection;

  beforeAll(async () => {
    server = await startRedisServer(); // appendonly no: a restart loses everything
    client = await connectRedis({ url: server.url });
  });
  afterAll(async () => {
    if (client?.isOpen) await client.close();
    await server?.stop();
  });

  async function restart(): Promise<void> {
    await server.restart();
    await expect
      .poll(
        async () =>
          client.ping().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
  }

  it('lists a member credited again right after a restart without persistence, for sweeps and verify', async () => {
    const ledger = new RedisLedger(client, { prefix: 'r1' });
    await ledger.credit({ memberId: 'm1', amount: 5, reason: 'r', idempotencyKey: 'earn:x:m1:a' });
    await restart();
    await ledger.credit({ memberId: 'm1', amount: 7, reason: 'r', idempotencyKey: 'earn:x:m1:b' });
    expect((await ledger.balance('m1')).balance).toBe(7);
    const members: string[] = [];
    for await (const m of ledger.members()) members.push(m);
    expect(members).toEqual(['m1']);
    expect(await sweepExpiredPoints(ledger)).toBe(1);
  });

  it('lists a member again whose listing alone was lost (on a cluster it lives on another node)', async () => {
    const ledger = new RedisLedger(client, { prefix: 'r2' });
    await ledger.credit({ memberId: 'm2', amount: 5, reason: 'r', idempotencyKey: 'earn:x:m2:a' });
    await client.del('r2:ledger:members'); // the SADD lost in a failover (async replication)
    await ledger.credit({ memberId: 'm2', amount: 7, reason: 'r', idempotencyKey: 'earn:x:m2:b' });
    const members: string[] = [];
    for await (const m of ledger.members()) members.push(m);
    expect(members).toEqual(['m2']);
  });

  it('finds an outcome event stored right after a restart in the KPI range', async () => {
    const events = new RedisOutcomeEvents(client, { prefix: 'r3' });
    const now = Date.now();
    const event = (id: string, at: number) => ({ id, type: 'conversation.started', at, channel: 'webchat' });
    await events.append(event('e1', now) as never);
    await restart();
    await events.append(event('e2', now + 1) as never);
    const day = Math.floor(now / 86_400_000);
    expect(await client.hExists(`r3:analytics:{analytics:${day}}:events`, 'e2')).toBeTruthy();
    const found = (await events.range(now - 1000, now + 1000)).map((e) => e.id);
    expect(found).toEqual(['e2']);
  });
});
