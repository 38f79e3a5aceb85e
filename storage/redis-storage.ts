import type { Storage, StoreItems } from 'botbuilder';
import { newETag } from './etag.js';
import { StorageConflictError } from './errors.js';
import { expectedETag, NEW_ITEM_ETAG, requireChanges, requireKeys, storedJson } from './keys.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisScript } from './redis-script.js';

// Checks every expected eTag first, then writes every item: one script, so the batch is atomic.
// ARGV = expected eTags (one per key, '' = overwrite, NEW_ITEM_ETAG = create only), then (new eTag, JSON) pairs.
// Returns 0 on success, or the 1-based index of the first key whose eTag is stale.
const writeScript = new RedisScript(`
local n = #KEYS
for i = 1, n do
  local expected = ARGV[i]
  if expected == '${NEW_ITEM_ETAG}' then
    if redis.call('EXISTS', KEYS[i]) == 1 then return i end
  elseif expected ~= '' and redis.call('HGET', KEYS[i], 'e') ~= expected then
    return i
  end
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'e', ARGV[n + 2 * i - 1], 'd', ARGV[n + 2 * i])
end
return 0
`);

export interface RedisStorageOptions {
  /** Prefix of every Redis key, so several bots (or test suites) can share one Redis. */
  prefix?: string;
}

/**
 * botbuilder `Storage` on Redis with real optimistic concurrency, atomic through one Lua script: a
 * stale eTag rejects the whole batch with {@link StorageConflictError}, `'*'` or no eTag overwrites, and
 * every write mints a new eTag. Each item is a hash `{e: eTag, d: JSON}`; any key string works, since
 * Redis keys are binary-safe.
 */
export class RedisStorage implements Storage {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: RedisStorageOptions = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:state:`;
  }

  async read(keys: string[]): Promise<StoreItems> {
    const unique = requireKeys(keys, 'read');
    const replies = await Promise.all(unique.map((key) => this.client.hmGet(this.prefix + key, ['e', 'd'])));
    const result: StoreItems = {};
    unique.forEach((key, i) => {
      const [eTag, json] = replies[i] ?? [];
      if (typeof eTag === 'string' && typeof json === 'string') result[key] = { ...JSON.parse(json), eTag };
    });
    return result;
  }

  async write(changes: StoreItems): Promise<void> {
    const entries = Object.entries(requireChanges(changes));
    if (entries.length === 0) return;
    const expected: string[] = [];
    const values: string[] = [];
    for (const [key, item] of entries) {
      expected.push(expectedETag(item) ?? '');
      values.push(newETag(), storedJson(key, item));
    }
    const keys = entries.map(([key]) => this.prefix + key);
    const stale = Number(await writeScript.run(this.client, keys, [...expected, ...values]));
    if (stale > 0) throw new StorageConflictError(entries[stale - 1]?.[0] ?? '');
  }

  async delete(keys: string[]): Promise<void> {
    const unique = requireKeys(keys, 'delete');
    if (unique.length > 0) await this.client.del(unique.map((key) => this.prefix + key));
  }
}
