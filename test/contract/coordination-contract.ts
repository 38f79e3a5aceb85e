import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { StorageErrorCode } from '../../storage/errors.js';
import type { IdempotencyStore, LockManager, PubSub } from '../../storage/types.js';

/** Idempotency, lock and pub/sub contracts, run against memory and Redis alike. */
export function coordinationContract(
  name: string,
  create: {
    idempotency: () => Promise<IdempotencyStore>;
    locks: () => Promise<LockManager>;
    pubsub: () => Promise<PubSub>;
  },
): void {
  describe(`${name} idempotency store`, () => {
    it('lets the first claim of a key win and every repeat lose', async () => {
      const store = await create.idempotency();
      expect(await store.claim('evt-1')).toBe(true);
      expect(await store.claim('evt-1')).toBe(false);
      expect(await store.claim('evt-2')).toBe(true);
    });

    it('answers the value a key was claimed with, until it is released', async () => {
      const store = await create.idempotency();
      expect(await store.valueOf('sent-1')).toBeUndefined();
      await store.claim('sent-1', undefined, '1700000001.000100');
      expect(await store.claim('sent-1', undefined, 'another')).toBe(false);
      expect(await store.valueOf('sent-1')).toBe('1700000001.000100');
      await store.claim('plain');
      expect(await store.valueOf('plain')).toBe('1');
      await store.release('sent-1');
      expect(await store.valueOf('sent-1')).toBeUndefined();
    });

    it('lets exactly one of 50 concurrent claims of one key win', async () => {
      const store = await create.idempotency();
      const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('burst')));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a key after its TTL, and after a release', async () => {
      const store = await create.idempotency();
      expect(await store.claim('short', 30)).toBe(true);
      await sleep(60);
      expect(await store.claim('short', 30)).toBe(true);
      await store.release('short');
      expect(await store.claim('short')).toBe(true);
    });
  });

  describe(`${name} lock manager`, () => {
    it('gives a lock to one holder at a time and to the next once released', async () => {
      const locks = await create.locks();
      const first = await locks.acquire('conv-1', { ttlMs: 5_000 });
      await expect(locks.acquire('conv-1', { ttlMs: 5_000 })).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.lockTimeout),
      );
      expect(await first.release()).toBe(true);
      const second = await locks.acquire('conv-1', { ttlMs: 5_000 });
      expect(second.token).not.toBe(first.token);
      await second.release();
    });

    it('serialises 20 concurrent critical sections on one resource', async () => {
      const locks = await create.locks();
      let inside = 0;
      let maxInside = 0;
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const lock = await locks.acquire('shared', { ttlMs: 5_000, waitMs: 10_000 });
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(2);
          inside--;
          await lock.release();
        }),
      );
      expect(maxInside).toBe(1);
    });

    it('lets a lock expire so a crashed holder cannot block others, and the late holder cannot release it', async () => {
      const locks = await create.locks();
      const crashed = await locks.acquire('crash', { ttlMs: 40 });
      const next = await locks.acquire('crash', { ttlMs: 5_000, waitMs: 2_000 });
      expect(await crashed.release()).toBe(false);
      await expect(crashed.extend(1_000)).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.lockLost),
      );
      await expect(locks.acquire('crash', { ttlMs: 5_000 })).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.lockTimeout),
      );
      await next.release();
    });

    it('keeps a lock past its first TTL when the holder extends it', async () => {
      const locks = await create.locks();
      const lock = await locks.acquire('long-turn', { ttlMs: 50 });
      await lock.extend(5_000);
      await sleep(100);
      await expect(locks.acquire('long-turn', { ttlMs: 5_000 })).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.lockTimeout),
      );
      expect(await lock.release()).toBe(true);
    });

    it('lets the holder of a token extend and release its lock through a handle, and no one else', async () => {
      const locks = await create.locks();
      const taken = await locks.acquire('handed-over', { ttlMs: 50 });
      const stranger = locks.held('handed-over', 'not-the-token');
      await expect(stranger.extend(5_000)).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.lockLost),
      );
      expect(await stranger.release()).toBe(false);
      const handle = locks.held('handed-over', taken.token);
      await handle.extend(5_000);
      await sleep(100);
      await expect(locks.acquire('handed-over', { ttlMs: 5_000 })).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.lockTimeout),
      );
      expect(await handle.release()).toBe(true);
      expect(await taken.release()).toBe(false);
    });
  });

  describe(`${name} pub/sub`, () => {
    it('delivers a published message to every subscriber of the channel and to no other', async () => {
      const bus = await create.pubsub();
      const a: string[] = [];
      const b: string[] = [];
      const other: string[] = [];
      await bus.subscribe('room', (m) => a.push(m));
      await bus.subscribe('room', (m) => b.push(m));
      await bus.subscribe('elsewhere', (m) => other.push(m));
      await bus.publish('room', 'hello');
      await bus.publish('room', 'ünïcødé');
      await expect
        .poll(() => [a, b])
        .toEqual([
          ['hello', 'ünïcødé'],
          ['hello', 'ünïcødé'],
        ]);
      expect(other).toEqual([]);
      await bus.close();
    });

    it('stops delivering to a subscriber after it unsubscribes', async () => {
      const bus = await create.pubsub();
      const kept: string[] = [];
      const dropped: string[] = [];
      await bus.subscribe('news', (m) => kept.push(m));
      const unsubscribe = await bus.subscribe('news', (m) => dropped.push(m));
      await bus.publish('news', 'one');
      await expect.poll(() => dropped).toEqual(['one']);
      await unsubscribe();
      await bus.publish('news', 'two');
      await expect.poll(() => kept).toEqual(['one', 'two']);
      expect(dropped).toEqual(['one']);
      await bus.close();
    });

    it('lets a subscription end, or a subscribe finish, while the bus closes without a stray error', async () => {
      const bus = await create.pubsub();
      const unsubscribe = await bus.subscribe('closing', () => {});
      // Both race the close: either they finish first or they are told the bus closed, never an unhandled rejection.
      const ending = unsubscribe();
      const late = bus
        .subscribe('late', () => {})
        .then(
          () => 'subscribed',
          (error: unknown) => (hasCode(error, StorageErrorCode.closed) ? 'closed' : error),
        );
      await bus.close();
      await expect(ending).resolves.toBeUndefined();
      expect(['subscribed', 'closed']).toContain(await late);
      await expect(bus.subscribe('after', () => {})).rejects.toMatchObject({ code: StorageErrorCode.closed });
    });
  });
}
