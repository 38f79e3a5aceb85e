import type { Storage, StoreItems } from 'botbuilder';
import { newETag } from './etag.js';
import { StorageConflictError } from './errors.js';
import { expectedETag, NEW_ITEM_ETAG, requireChanges, requireKeys, storedJson } from './keys.js';

interface Stored {
  eTag: string;
  json: string;
}

/**
 * botbuilder `Storage` in process memory with real optimistic concurrency: a write whose eTag is stale
 * rejects with {@link StorageConflictError}, `'*'` or no eTag overwrites, and every write mints a new
 * eTag. A batch is all-or-nothing. Values are stored as JSON, so callers never share object references.
 */
export class MemoryStorage implements Storage {
  private readonly items = new Map<string, Stored>();

  async read(keys: string[]): Promise<StoreItems> {
    const result: StoreItems = {};
    for (const key of requireKeys(keys, 'read')) {
      const stored = this.items.get(key);
      if (stored) result[key] = { ...JSON.parse(stored.json), eTag: stored.eTag };
    }
    return result;
  }

  async write(changes: StoreItems): Promise<void> {
    const entries = Object.entries(requireChanges(changes));
    // Check every eTag and serialise every value before touching anything: all-or-nothing.
    const prepared = entries.map(([key, item]) => {
      const expected = expectedETag(item);
      const current = this.items.get(key);
      const isStale = expected === NEW_ITEM_ETAG ? current !== undefined : current?.eTag !== expected;
      if (expected !== undefined && isStale) throw new StorageConflictError(key);
      return { key, json: storedJson(key, item) };
    });
    for (const { key, json } of prepared) this.items.set(key, { eTag: newETag(), json });
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of requireKeys(keys, 'delete')) this.items.delete(key);
  }
}
