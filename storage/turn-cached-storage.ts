import type { StoreItems } from 'botbuilder';
import { cloneData } from '../core/clone.js';
import type { ExpiringStorage, StorageReadOptions, StorageWriteOptions } from './types.js';

interface Kept {
  item: Promise<unknown>;
  holders: number;
}

/**
 * botbuilder `Storage` that keeps, while a turn runs, the items its state stage read on behalf of later
 * stages (handoff policy, analytics session): those stages read them from here instead of each on its
 * own. Only reads are shared: every write and delete goes through at once, with the eTag its caller
 * holds, and forgets the items it touches, so a conflict (another process wrote meanwhile) shows as
 * before and the caller's retry reads afresh. A kept item is dropped when the last turn holding it
 * ends; a conversation's items belong to one running turn at a time (the conversation lock).
 */
export class TurnCachedStorage implements ExpiringStorage {
  private readonly kept = new Map<string, Kept>();

  /** `inner`: any botbuilder `Storage`; one that ignores the read and write options works too. */
  constructor(readonly inner: ExpiringStorage) {}

  /**
   * Reads `keys` and `keep` in one go: `keys`' items are returned (the caller's own), `keep`'s are kept
   * for later readers until `release()`. `options` reach the inner store's read (the reading turn's id):
   * `keep`'s items are served to other turns too, so none of them may be an item a turn's save marks
   * (the state stage marks only the member's state, never prefetched).
   */
  async readForTurn(
    keys: string[],
    keep: string[],
    options?: StorageReadOptions,
  ): Promise<{ items: StoreItems; release: () => void }> {
    const fresh = keep.filter((key) => !this.kept.has(key) && !keys.includes(key));
    const read = this.inner.read([...new Set([...keys, ...fresh])], options);
    const held: [string, Kept][] = [];
    for (const key of keep) {
      let entry = this.kept.get(key);
      if (!entry && fresh.includes(key)) {
        entry = { item: read.then((items) => items[key]), holders: 0 };
        // A failed read keeps nothing; the readers that wait on it see the error.
        entry.item.catch(() => this.drop(key, entry));
        this.kept.set(key, entry);
      }
      if (entry) {
        entry.holders++;
        held.push([key, entry]);
      }
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const [key, entry] of held) if (--entry.holders <= 0) this.drop(key, entry);
    };
    try {
      return { items: await read, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  async read(keys: string[], options?: StorageReadOptions): Promise<StoreItems> {
    const inner = this.inner;
    if (!Array.isArray(keys) || !keys.some((key) => this.kept.has(key))) return inner.read(keys, options);
    const unique = [...new Set(keys)];
    const others = unique.filter((key) => !this.kept.has(key));
    const [read, kept] = await Promise.all([
      others.length > 0 ? inner.read(others, options) : {},
      Promise.all(unique.map((key) => this.kept.get(key)?.item)),
    ]);
    const result: StoreItems = { ...read };
    unique.forEach((key, i) => {
      // A copy each time (readers change what they read), unless the reader promised not to.
      if (kept[i] !== undefined) result[key] = options?.readOnly ? kept[i] : cloneData(kept[i]);
    });
    return result;
  }

  /** `options` (a time to live) reach an inner store that takes them; botbuilder's ignore them. */
  async write(changes: StoreItems, options?: StorageWriteOptions): Promise<void> {
    if (changes !== null && typeof changes === 'object')
      for (const key of Object.keys(changes)) this.forget(key);
    await this.inner.write(changes, options);
  }

  async delete(keys: string[]): Promise<void> {
    if (Array.isArray(keys)) for (const key of keys) this.forget(key);
    await this.inner.delete(keys);
  }

  private forget(key: string): void {
    this.kept.delete(key);
  }

  private drop(key: string, entry: Kept | undefined): void {
    if (this.kept.get(key) === entry) this.kept.delete(key);
  }
}
