import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type InboundBackend, turnLockResource } from '../../storage/inbound-backend.js';
import { InboundQueue } from '../../storage/inbound-queue.js';
import type {
  InboundEntry,
  InboundHandler,
  InboundQueueOptions,
} from '../../storage/inbound-queue-options.js';
import type { LockManager } from '../../storage/types.js';

/** What a contract run needs: a backend and a lock manager shared the way two processes share Redis. */
export interface QueueWorld {
  backend: () => InboundBackend;
  locks: LockManager;
}

const text = (entry: InboundEntry) => String(entry.activity.text);

/** The reason `signal` aborted with, or `'not aborted'` if it did not within `timeoutMs`. */
export function abortReason(signal: AbortSignal, timeoutMs = 3_000): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return Promise.race([
    new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true })),
    sleep(timeoutMs).then(() => 'not aborted'),
  ]);
}

/** The durable inbound queue's contract, run against every backend. */
export function inboundQueueContract(name: string, createWorld: () => Promise<QueueWorld>): void {
  describe(`${name} inbound queue`, () => {
    const started: InboundQueue[] = [];
    const queueOf = (
      world: QueueWorld,
      handler: InboundHandler,
      options: Partial<InboundQueueOptions> = {},
    ) => {
      const queue = new InboundQueue({
        backend: world.backend(),
        locks: world.locks,
        handler,
        visibilityMs: 300,
        pollMs: 20,
        ...options,
      });
      started.push(queue);
      queue.start();
      return queue;
    };
    afterEach(async () => {
      await Promise.all(started.splice(0).map((queue) => queue.stop()));
    });

    it('runs the messages of one conversation once each, in the order they were queued', async () => {
      const seen: string[] = [];
      const queue = queueOf(await createWorld(), async (entry) => {
        await sleep(Math.random() * 5);
        seen.push(text(entry));
      });
      for (let i = 1; i <= 20; i++) await queue.enqueue('webchat:c1', `m${i}`, { text: `m${i}` });
      await queue.drain('webchat:c1');
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 1}`));
    });

    it('queues an id posted twice once, and tells the second caller it was a repeat', async () => {
      const seen: string[] = [];
      const queue = queueOf(await createWorld(), async (entry) => {
        seen.push(entry.id);
      });
      expect(await queue.enqueue('webchat:c1', 'm1', { text: 'hi' })).toBe(true);
      expect(await queue.enqueue('webchat:c1', 'm1', { text: 'hi' })).toBe(false);
      await queue.drain('webchat:c1');
      // Even once it ran, a late retry of the same id is not queued again.
      expect(await queue.enqueue('webchat:c1', 'm1', { text: 'hi' })).toBe(false);
      await queue.drain('webchat:c1');
      expect(seen).toEqual(['m1']);
    });

    it('retries a failed turn before the next message of its conversation, which never overtakes it', async () => {
      const runs: string[] = [];
      const firstRuns: Record<string, number[]> = {};
      const queued = Date.now();
      const queue = queueOf(
        await createWorld(),
        async (entry) => {
          runs.push(`${text(entry)}#${entry.attempt}`);
          firstRuns[text(entry)] = [...(firstRuns[text(entry)] ?? []), entry.firstRunAt];
          if (text(entry) === 'first' && entry.attempt === 1) throw new Error('Redis went away mid-turn');
        },
        { visibilityMs: 100 },
      );
      await queue.enqueue('webchat:c1', 'a', { text: 'first' });
      await queue.enqueue('webchat:c1', 'b', { text: 'second' });
      await queue.drain('webchat:c1').catch(() => undefined);
      // The failed entry stays at the head: the next drain (or the wake-up claimed again once idle)
      // runs it again before the message behind it.
      await expect.poll(() => runs, { timeout: 5_000 }).toEqual(['first#1', 'first#2', 'second#1']);
      // Every run knows when the turn's first run started: what the conversation got before is older.
      const [started, again] = firstRuns.first ?? [];
      expect(again).toBe(started);
      expect(started).toBeGreaterThanOrEqual(queued - 1_000);
      expect(firstRuns.second?.[0]).toBeGreaterThanOrEqual(started ?? 0);
    });

    it('gives up on an activity that fails every attempt, and goes on with the conversation', async () => {
      const done: string[] = [];
      const queue = queueOf(
        await createWorld(),
        async (entry) => {
          if (text(entry) === 'poison') throw new Error('the bot cannot handle this');
          done.push(text(entry));
        },
        { visibilityMs: 50, pollMs: 10, maxAttempts: 2 },
      );
      await queue.enqueue('webchat:c1', 'p', { text: 'poison' });
      await queue.enqueue('webchat:c1', 'q', { text: 'fine' });
      await expect.poll(() => done, { timeout: 5_000 }).toEqual(['fine']);
    });

    it('keeps an activity whose runs were cut short by dying processes until one finishes it', async () => {
      const world = await createWorld();
      const backend = world.backend();
      await backend.append('webchat:c1', 'm1', JSON.stringify({ text: 'survivor' }));
      // Eight processes took it and died before finishing: more runs than maxAttempts allows failures.
      const dead = { token: 'dead', ttlMs: 1 };
      for (let run = 1; run <= 8; run++) {
        expect(await backend.next('webchat:c1', dead)).toMatchObject({ entry: { attempt: run } });
      }
      const done: string[] = [];
      const queue = queueOf(
        world,
        async (entry) => {
          done.push(`${text(entry)}#${entry.attempt}`);
        },
        { maxAttempts: 2 },
      );
      await queue.drain('webchat:c1');
      expect(done).toEqual(['survivor#9']);
    });

    it('gives up on an activity that kills every process taking it once maxRuns is reached', async () => {
      const world = await createWorld();
      const backend = world.backend();
      await backend.append('webchat:c1', 'm1', JSON.stringify({ text: 'deadly' }));
      await backend.append('webchat:c1', 'm2', JSON.stringify({ text: 'next' }));
      for (let run = 1; run <= 3; run++) await backend.next('webchat:c1', { token: 'dead', ttlMs: 1 });
      const done: string[] = [];
      const queue = queueOf(
        world,
        async (entry) => {
          done.push(text(entry));
        },
        { maxRuns: 3 },
      );
      await queue.drain('webchat:c1');
      expect(done).toEqual(['next']);
    });

    it('queues a submitted message and runs it in one go, and runs a repeat of its id no more', async () => {
      const world = await createWorld();
      const seen: string[] = [];
      const queue = queueOf(world, async (entry) => {
        seen.push(`${text(entry)}#${entry.attempt}`);
      });
      const first = queue.submit('webchat:c1', 'm1', { text: 'hello' });
      expect(await first.queued).toBe(true);
      await first.done;
      expect(seen).toEqual(['hello#1']);
      const repeat = queue.submit('webchat:c1', 'm1', { text: 'hello' });
      expect(await repeat.queued).toBe(false);
      await repeat.done;
      expect(seen).toEqual(['hello#1']);
      // The drain that emptied the conversation left its turn lock free for anyone.
      const lock = await world.locks.acquire(turnLockResource('webchat:c1'), { ttlMs: 1_000 });
      expect(await lock.release()).toBe(true);
    });

    it('holds a submitted message back while a turn outside the queue has its conversation locked', async () => {
      const world = await createWorld();
      const seen: string[] = [];
      const queue = queueOf(world, async (entry) => {
        seen.push(text(entry));
      });
      const proactive = await world.locks.acquire(turnLockResource('webchat:c1'), { ttlMs: 5_000 });
      const submitted = queue.submit('webchat:c1', 'm1', { text: 'after the agent' });
      expect(await submitted.queued).toBe(true);
      await sleep(100);
      expect(seen).toEqual([]);
      await proactive.release();
      await submitted.done;
      expect(seen).toEqual(['after the agent']);
    });

    it('runs messages submitted while their conversation drains here after the one in progress', async () => {
      const seen: string[] = [];
      const queue = queueOf(await createWorld(), async (entry) => {
        await sleep(20);
        seen.push(text(entry));
      });
      const submitted = ['one', 'two', 'three'].map((word) =>
        queue.submit('webchat:c1', word, { text: word }),
      );
      expect(await Promise.all(submitted.map((each) => each.queued))).toEqual([true, true, true]);
      await Promise.all(submitted.map((each) => each.done));
      expect(seen).toEqual(['one', 'two', 'three']);
    });

    it('stops a drain whose turn lock another holder took after it lapsed, before it runs more', async () => {
      const world = await createWorld();
      const other = world.backend();
      const seen: string[] = [];
      const queue = queueOf(
        world,
        async (entry) => {
          seen.push(text(entry));
          // This process stalls past the lock's lifetime (no timer can extend it), and another
          // process takes the conversation meanwhile.
          const until = Date.now() + 250;
          while (Date.now() < until) {}
          expect(await other.next('webchat:c1', { token: 'other', ttlMs: 5_000 })).toMatchObject({
            kind: 'entry',
          });
        },
        { visibilityMs: 100 },
      );
      await queue.enqueue('webchat:c1', 'a', { text: 'one' });
      await queue.enqueue('webchat:c1', 'b', { text: 'two' });
      await expect(queue.drain('webchat:c1')).rejects.toMatchObject({ code: 'RELEVO_LOCK_LOST' });
      expect(seen).toEqual(['one']);
    });

    it('tells a running turn that its lapsed lock was taken, and runs it again with that run not counted as failed', async () => {
      const world = await createWorld();
      const other = world.backend();
      const runs: string[] = [];
      const reasons: unknown[] = [];
      const queue = queueOf(
        world,
        async (entry) => {
          runs.push(`${text(entry)}#${entry.attempt}`);
          if (entry.attempt > 1) return;
          // This process stalls past the lock's lifetime, and another takes the conversation (for 300 ms).
          const until = Date.now() + 250;
          while (Date.now() < until) {}
          expect(await other.next('webchat:c1', { token: 'other', ttlMs: 300 })).toMatchObject({
            kind: 'entry',
          });
          // A turn waiting here (for a platform that is down) learns it must send nothing more.
          reasons.push(await abortReason(entry.signal));
          throw entry.signal.reason;
        },
        // One failed run would give the message up: the cut one must not count.
        { visibilityMs: 100, maxAttempts: 1, lockWaitMs: 2_000 },
      );
      await queue.enqueue('webchat:c1', 'a', { text: 'one' });
      await expect(queue.drain('webchat:c1')).rejects.toMatchObject({ code: 'RELEVO_TURN_LOCK_LOST' });
      expect(reasons).toMatchObject([{ code: 'RELEVO_TURN_LOCK_LOST' }]);
      // Once the other holder's lock lapses too, the message runs again, not given up.
      await expect.poll(() => runs, { timeout: 5_000 }).toEqual(['one#1', 'one#3']);
    });

    it('tells a running turn to stop when its queue stops, and the next process runs it again', async () => {
      const world = await createWorld();
      const runs: string[] = [];
      const reasons: unknown[] = [];
      const first = queueOf(
        world,
        async (entry) => {
          runs.push(`first:${text(entry)}`);
          reasons.push(await abortReason(entry.signal));
          throw entry.signal.reason;
        },
        { maxAttempts: 1 },
      );
      await first.enqueue('webchat:c1', 'm1', { text: 'one' });
      const running = first.drain('webchat:c1');
      await expect.poll(() => runs, { timeout: 5_000, interval: 5 }).toEqual(['first:one']);
      await first.stop();
      await expect(running).rejects.toMatchObject({ code: 'RELEVO_QUEUE_STOPPING' });
      expect(reasons).toMatchObject([{ code: 'RELEVO_QUEUE_STOPPING' }]);

      // A failed run counted would give the message up here.
      queueOf(
        world,
        async (entry) => {
          runs.push(`second:${text(entry)}`);
        },
        { maxAttempts: 1 },
      );
      await expect.poll(() => runs, { timeout: 5_000 }).toEqual(['first:one', 'second:one']);
    });

    it('does not hold one conversation up behind a slow turn of another', async () => {
      const done: string[] = [];
      let releaseSlow: () => void = () => {};
      const slow = new Promise<void>((resolve) => {
        releaseSlow = resolve;
      });
      const queue = queueOf(await createWorld(), async (entry) => {
        if (entry.partition === 'webchat:slow') await slow;
        done.push(entry.partition);
      });
      await queue.enqueue('webchat:slow', 's1', { text: 'slow' });
      const slowDrain = queue.drain('webchat:slow');
      await queue.enqueue('webchat:fast', 'f1', { text: 'fast' });
      await queue.drain('webchat:fast');
      expect(done).toEqual(['webchat:fast']);
      releaseSlow();
      await slowDrain;
      expect(done).toEqual(['webchat:fast', 'webchat:slow']);
    });

    it('lets another process finish the work of one that died after taking it', async () => {
      const world = await createWorld();
      // The dead process: it queued a message, read the wake-up and held the conversation's lock.
      const dead = world.backend();
      await dead.append('webchat:c1', 'm1', JSON.stringify({ text: 'orphan' }));
      await dead.wake('webchat:c1');
      expect(await dead.claimWakes('dead-consumer', 10, 60_000)).toHaveLength(1);
      await world.locks.acquire(turnLockResource('webchat:c1'), { ttlMs: 400 });

      const seen: string[] = [];
      queueOf(world, async (entry) => {
        seen.push(`${text(entry)}#${entry.attempt}`);
      });
      await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['orphan#1']);
    });

    it('stops taking work on shutdown but finishes the turn in progress; the rest waits in the queue', async () => {
      const world = await createWorld();
      const seen: string[] = [];
      let started = 0;
      const first = queueOf(world, async (entry) => {
        started++;
        await sleep(100);
        seen.push(`first:${text(entry)}`);
      });
      await first.enqueue('webchat:c1', 'm1', { text: 'one' });
      await first.enqueue('webchat:c1', 'm2', { text: 'two' });
      const running = first.drain('webchat:c1').catch(() => undefined);
      // Shut down once the first turn is under way (a busy machine may take a while to get there).
      await expect.poll(() => started, { timeout: 5_000, interval: 5 }).toBe(1);
      await first.stop();
      await running;
      expect(seen).toEqual(['first:one']);

      queueOf(world, async (entry) => {
        seen.push(`second:${text(entry)}`);
      });
      await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['first:one', 'second:two']);
    });
  });
}
