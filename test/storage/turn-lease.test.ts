import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelevoAdapter } from '../../connectors/shared/relevo-adapter.js';
import { turnLockResource } from '../../storage/inbound-backend.js';
import { InboundQueue } from '../../storage/inbound-queue.js';
import { MemoryIdempotencyStore } from '../../storage/memory-idempotency.js';
import type { InboundHandler } from '../../storage/inbound-queue-options.js';
import { connectRedis, type RedisSingle } from '../../storage/redis-connection.js';
import { RedisInboundBackend } from '../../storage/redis-inbound-backend.js';
import { lockKey, RedisLockManager } from '../../storage/redis-lock.js';
import type { Lock } from '../../storage/types.js';
import { abortReason } from '../contract/inbound-queue-contract.js';
import { warningsLogger } from '../support/cut-reply-runs.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

const PARTITION = 'webchat:c1';

/** Keeps the CPU busy, as NLU, a large parse or a GC pause does: no timer runs meanwhile. */
function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {}
}

/** A platform that records its sends, made through the adapter's once-per-turn send. */
class RecordingAdapter extends RelevoAdapter {
  readonly sent: string[] = [];

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const ids: ResourceResponse[] = [];
    for (const activity of activities) {
      ids.push({
        id: await this.sendOnce(context, async () => String(this.sent.push(String(activity.text)))),
      });
    }
    return ids;
  }
}

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
  async function runTurn(
    handler: InboundHandler,
    visibilityMs: number,
    wrapLock: (lock: Lock) => Lock = (lock) => lock,
  ): Promise<{ prefix: string }> {
    warnings.length = 0;
    const prefix = `lease-${++run}`;
    const locks = new RedisLockManager(client, { prefix });
    const held = locks.held.bind(locks);
    locks.held = (resource, token) => wrapLock(held(resource, token));
    const queue = new InboundQueue({
      backend: new RedisInboundBackend(client, { prefix, name: 'webchat' }),
      locks,
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

  it('is kept through a stall right after an extend left, whose answer waited unread in the socket', async () => {
    let extendsSent = 0;
    let signal: AbortSignal | undefined;
    await runTurn(
      async (entry) => {
        signal = entry.signal;
        await sleep(700);
      },
      300,
      (lock) => ({
        resource: lock.resource,
        token: lock.token,
        release: () => lock.release(),
        extend: (ttlMs) => {
          const extended = lock.extend(ttlMs);
          // Past the lifetime the first extend gave the lock, not past the one this extend gives it.
          if (++extendsSent === 2) setImmediate(() => busyFor(250));
          return extended;
        },
      }),
    );
    expect(extendsSent).toBeGreaterThanOrEqual(2);
    expect(signal?.aborted).toBe(false);
    expect(warnings).not.toContain('an inbound drain lost its turn lock');
  });

  it('refuses a reply a turn sends after computing past its lease, before any timer could tell', async () => {
    const adapter = new RecordingAdapter({ sentReplies: new MemoryIdempotencyStore() });
    const turn = runTurn(
      (entry) =>
        adapter.processActivity(
          {
            ...entry.activity,
            type: 'message',
            id: entry.id,
            channelId: 'webchat',
            conversation: { id: 'c1' } as never,
          },
          async (context) => {
            await sleep(20);
            busyFor(400);
            await context.sendActivity('Your order ORD-100002 is on its way.');
          },
          { id: entry.id, attempt: entry.attempt, signal: entry.signal },
        ),
      300,
      // Redis answers no extend: only the lifetime counted from the claim holds the lock.
      (lock) => ({
        ...lock,
        resource: lock.resource,
        token: lock.token,
        extend: () => new Promise<void>(() => {}),
      }),
    );
    await expect(turn).rejects.toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
    expect(adapter.sent).toEqual([]);
  });
});
