import type { StoreItems } from 'botbuilder';
import { invalidArgument, toJson } from './errors.js';
import type { StorageWriteOptions } from './types.js';

/** Validates the keys of a `read`/`delete` call; botbuilder's stores disagree here, so we are explicit. */
export function requireKeys(keys: unknown, operation: 'read' | 'delete'): string[] {
  if (!Array.isArray(keys)) throw invalidArgument(`Storage.${operation} needs an array of keys`);
  for (const key of keys) {
    if (typeof key !== 'string') throw invalidArgument(`Storage.${operation} keys must be strings`);
  }
  return [...new Set(keys as string[])];
}

/** Validates the changes of a `write` call. */
export function requireChanges(changes: unknown): StoreItems {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    // botbuilder's base tests write `[]` and expect nothing to happen.
    if (Array.isArray(changes) && changes.length === 0) return {};
    throw invalidArgument('Storage.write needs an object of changes keyed by storage key');
  }
  return changes as StoreItems;
}

/**
 * The time to live of a `write` call, checked before anything is written: a whole number of ms from 1
 * to `Number.MAX_SAFE_INTEGER`, or `undefined` (none). Redis would refuse NaN or 1.5 only after the
 * first item of the batch was written.
 */
export function requireTtl(options: StorageWriteOptions | undefined): number | undefined {
  const ttlMs = options?.ttlMs;
  if (ttlMs === undefined || (Number.isSafeInteger(ttlMs) && ttlMs > 0)) return ttlMs;
  throw invalidArgument(`Storage.write: ttlMs must be a positive whole number of ms, not ${String(ttlMs)}`);
}

/**
 * The eTag that means "create: only if nothing is stored under this key". Relevo's stores honour it
 * explicitly; botbuilder's MemoryStorage happens to behave the same (a missing item accepts any eTag,
 * an existing one rejects a mismatch).
 */
export const NEW_ITEM_ETAG = '#new';

/** eTag a caller asked to check, or `undefined` for "overwrite" (absent or `'*'`). */
export function expectedETag(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const eTag = (item as { eTag?: unknown }).eTag;
  return typeof eTag === 'string' && eTag !== '*' && eTag !== '' ? eTag : undefined;
}

/** JSON of an item as stored: without its eTag (the store keeps that itself). Items must be objects. */
export function storedJson(key: string, item: unknown): string {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw invalidArgument(`Storage.write: the item of "${key.slice(0, 80)}" must be an object`);
  }
  const { eTag: _ignored, ...value } = item as Record<string, unknown>;
  return toJson(key, value);
}
