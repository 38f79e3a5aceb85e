import type { StoreItems } from 'botbuilder';
import { newETag } from './etag.js';
import { StorageConflictError } from './errors.js';
import { expectedETag, NEW_ITEM_ETAG, requireChanges, requireKeys, requireTtl, storedJson } from './keys.js';
import type { ExpiringStorage, StorageWriteOptions } from './types.js';

interface Stored {
  eTag: string;
  json: string;
  /** When a write with a time to live has it deleted (ms since the epoch). */
  expiresAt?: number;
}

/**
 * botbuilder `Storage` in process memory with real optimistic concurrency: a write whose eTag is stale
 * rejects with {@link StorageConflictError}, `'*'` or no eTag overwrites, and every write mints a new
 * eTag. A batch is all-or-nothing. Values are stored as JSON, so callers never share object references.
 * An item written with `ttlMs` is gone once it passed (on the system clock), unless written again.
 */
export class MemoryStorage implements ExpiringStorage {
  private readonly items = new Map<string, Stored>();
  /** Keys written with a time to live, swept once the earliest of them passed. */
  private readonly expiring = new Set<string>();
  /** No item expires before this (ms since the epoch): until then a call skips the sweep. */
  private nextExpiryAt = Number.POSITIVE_INFINITY;

  async read(keys: string[]): Promise<StoreItems> {
    this.sweep();
    const result: StoreItems = {};
    for (const key of requireKeys(keys, 'read')) {
      const stored = this.items.get(key);
      if (stored) result[key] = { ...JSON.parse(stored.json), eTag: stored.eTag };
    }
    return result;
  }

  async write(changes: StoreItems, options: StorageWriteOptions = {}): Promise<void> {
    const ttlMs = requireTtl(options);
    this.sweep();
    const entries = Object.entries(requireChanges(changes));
    // Check every eTag and serialise every value before touching anything: all-or-nothing.
    const prepared = entries.map(([key, item]) => {
      const expected = expectedETag(item);
      const current = this.items.get(key);
      const isStale = expected === NEW_ITEM_ETAG ? current !== undefined : current?.eTag !== expected;
      if (expected !== undefined && isStale) throw new StorageConflictError(key);
      return { key, json: storedJson(key, item) };
    });
    const expiresAt = ttlMs === undefined ? undefined : Date.now() + ttlMs;
    if (expiresAt !== undefined) this.nextExpiryAt = Math.min(this.nextExpiryAt, expiresAt);
    for (const { key, json } of prepared) {
      this.items.set(key, { eTag: newETag(), json, ...(expiresAt === undefined ? {} : { expiresAt }) });
      if (expiresAt === undefined) this.expiring.delete(key);
      else this.expiring.add(key);
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of requireKeys(keys, 'delete')) {
      this.items.delete(key);
      this.expiring.delete(key);
    }
  }

  /**
   * Drops the items whose time to live passed: O(1) until the earliest expiry, then one pass over the
   * keys with a time to live that also finds the next one. (A lifted or deleted time to live leaves
   * `nextExpiryAt` early: that costs one pass, never an item kept too long.)
   */
  private sweep(): void {
    const now = Date.now();
    if (now < this.nextExpiryAt) return;
    let next = Number.POSITIVE_INFINITY;
    for (const key of this.expiring) {
      const expiresAt = this.items.get(key)?.expiresAt ?? 0;
      if (expiresAt <= now) {
        this.items.delete(key);
        this.expiring.delete(key);
      } else next = Math.min(next, expiresAt);
    }
    this.nextExpiryAt = next;
  }
}
