import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware, Storage, StoreItems, TurnContext } from 'botbuilder';

interface TurnReads {
  open: boolean;
  /** key → the item as read this turn (`undefined`: not stored), shared by every reader of the turn. */
  items: Map<string, Promise<unknown>>;
}

/**
 * botbuilder `Storage` that remembers, for the length of one turn, what the turn read: the state stage
 * reads the turn's items (conversation, member, handoff policy, analytics session) in one go and the
 * later stages find them there instead of reading each on its own. Only reads are shared: every write
 * and delete goes through at once, with the eTag its caller holds, and forgets the items it touches, so
 * a conflict (another process wrote meanwhile) is seen as before and the caller's retry reads afresh.
 * Outside a turn, and after it, this is the wrapped storage unchanged.
 */
export class TurnCachedStorage implements Storage {
  private readonly turns = new AsyncLocalStorage<TurnReads>();

  constructor(readonly inner: Storage) {}

  /** The pipeline stage that gives each turn its own reads (place it before the first stage that reads). */
  middleware(): Middleware {
    return { onTurn: (_context: TurnContext, next: () => Promise<void>) => this.run(next) };
  }

  /** Runs `work` (a turn) with a read cache of its own, closed when it ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const reads: TurnReads = { open: true, items: new Map() };
    try {
      return await this.turns.run(reads, work);
    } finally {
      // Timers and callbacks the turn started keep its async context: they must not see its reads.
      reads.open = false;
    }
  }

  async read(keys: string[]): Promise<StoreItems> {
    const reads = this.turns.getStore();
    if (!reads?.open || !Array.isArray(keys)) return this.inner.read(keys);
    const unique = [...new Set(keys)];
    const missing = unique.filter((key) => !reads.items.has(key));
    if (missing.length > 0) {
      const read = this.inner.read(missing);
      for (const key of missing)
        reads.items.set(
          key,
          read.then((items) => items[key]),
        );
      read.catch(() => {
        for (const key of missing) reads.items.delete(key);
      });
    }
    const result: StoreItems = {};
    for (const key of unique) {
      const item = await reads.items.get(key);
      // A copy each time: readers change what they read.
      if (item !== undefined) result[key] = structuredClone(item);
    }
    return result;
  }

  async write(changes: StoreItems): Promise<void> {
    this.forget(changes !== null && typeof changes === 'object' ? Object.keys(changes) : []);
    await this.inner.write(changes);
  }

  async delete(keys: string[]): Promise<void> {
    this.forget(Array.isArray(keys) ? keys : []);
    await this.inner.delete(keys);
  }

  private forget(keys: string[]): void {
    const reads = this.turns.getStore();
    if (reads?.open) for (const key of keys) reads.items.delete(key);
  }
}
