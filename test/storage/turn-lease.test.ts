import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnLockResource } from '../../storage/inbound-backend.js';
import { InboundQueue } from '../../storage/inbound-queue.js';
import type { InboundHandler } from '../../storage/inbound-queue-options.js';
import { connectRedis, type RedisSingle } from '../../storage/redis-connection.js';
import { RedisInboundBackend } from '../../storage/redis-inbound-backend.js';
import { lockKey, RedisLockManager } from '../../storage/redis-lock.js';
import { abortReason } from '../contract/inbound-queue-contract.js';
import { warningsLogger } from '../support/cut-reply-runs.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const PARTITION = 'webchat:c1';

// A Redis of its own: this file freezes and demotes it, which the shared one must never see.
describe("a queued turn's lock on its conversation", () => {
  let server: RedisServer;
  let client: RedisSingle;
  let run = 0;
  const warnings: string[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    client = (await connectRedis({ url: server.url })) as RedisSingle;
  });
  afterAll(async () => {
    server?.resume();
    await client?.close();
    await server?.stop();
  });

  /** Runs `handler` for one queued message as a queue with locks of `visibilityMs` would. */
  async function runTurn(handler: InboundHandler, visibilityMs: number): Promise<{ prefix: string }> {
    warnings.length = 0;
    const prefix = `lease-${++run}`;
    const queue = new InboundQueue({
      backend: new RedisInboundBackend(client, { prefix, name: 'webchat' }),
      locks: new RedisLockManager(client, { prefix }),
      logger: warningsLogger(warnings),
      handler,
      visibilityMs,
    });
    try {
      await queue.submit(PARTITION, 'm1', { text: 'hello' }).done;
    } finally {
      await queue.stop();
    }
    return { prefix };
  }

  it('is reported lost at the next extend once another holder has it, well before it would lapse', async () => {
    let elapsedMs = 0;
    const turn = runTurn(async (entry) => {
      const key = lockKey(`lease-${run}`, turnLockResource(PARTITION));
      expect(await client.set(key, 'another-process', { expiration: { type: 'PX', value: 10_000 } })).toBe(
        'OK',
      );
      const takenAt = Date.now();
      const reason = await abortReason(entry.signal);
      elapsedMs = Date.now() - takenAt;
      expect(reason).toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
      throw reason;
    }, 3_000);
    await expect(turn).rejects.toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
    // The first extend (a second in) found it: the lock would only have lapsed after three.
    expect(elapsedMs).toBeLessThan(2_500);
    expect(warnings).toContain('an inbound drain lost its turn lock');
  });

  it('is kept through an extend that Redis failed, since it never lapsed', async () => {
    let signal: AbortSignal | undefined;
    await runTurn(async (entry) => {
      signal = entry.signal;
      // Redis refuses writes across the first extend (a third of 1.5 s in), as a master demoted in a
      // failover does, and takes them again in time for the second.
      await client.sendCommand(['REPLICAOF', '127.0.0.1', '1']);
      await new Promise((resolve) => setTimeout(resolve, 900));
      await client.sendCommand(['REPLICAOF', 'NO', 'ONE']);
      // Past the lifetime the claim gave the lock: only the later extends kept it.
      await new Promise((resolve) => setTimeout(resolve, 1_700));
    }, 1_500);
    expect(warnings).toContain('could not extend an inbound drain lock');
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal?.aborted).toBe(false);
    expect(warnings).not.toContain('an inbound drain lost its turn lock');
  });

  it('is reported lost once Redis answered no extend for its lifetime, while Redis is still away', async () => {
    let lostWhileFrozen = false;
    const turn = runTurn(async (entry) => {
      server.pause();
      try {
        const reason = await abortReason(entry.signal, 2_000);
        lostWhileFrozen = entry.signal.aborted;
        expect(reason).toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
      } finally {
        server.resume();
      }
      throw entry.signal.reason;
    }, 600);
    await expect(turn).rejects.toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
    expect(lostWhileFrozen).toBe(true);
  });
});
