import type { StoreItems } from 'botbuilder';
import { newETag } from './etag.js';
import { StorageConflictError } from './errors.js';
import { expectedETag, NEW_ITEM_ETAG, requireChanges, requireKeys, requireTtl, storedJson } from './keys.js';
import { isCluster, type RedisConnection } from './redis-connection.js';
import { slotGroupOf, storageKeyTag } from './redis-keys.js';
import { RedisScript } from './redis-script.js';
import type { ExpiringStorage, StorageWriteOptions } from './types.js';

// Checks every expected eTag first, then writes every item: one script, so the batch is atomic.
// ARGV = expected eTags (one per key, '' = overwrite, NEW_ITEM_ETAG = create only), then (new eTag, JSON) pairs,
// then the items' time to live in ms ('' = none: a write lifts an earlier one).
// Returns {0} on success, or {i}: the 1-based index of the first key whose eTag is stale. The variant
// for a part of a cluster batch also returns (old eTag, old JSON) per key ('' where nothing was
// stored), so the part can be undone.
function writeLua(keepOld: boolean): string {
  return `
local n = #KEYS
for i = 1, n do
  local expected = ARGV[i]
  if expected == '${NEW_ITEM_ETAG}' then
    if redis.call('EXISTS', KEYS[i]) == 1 then return {i} end
  elseif expected ~= '' and redis.call('HGET', KEYS[i], 'e') ~= expected then
    return {i}
  end
end
local result = {0}
for i = 1, n do
  ${
    keepOld
      ? `local before = redis.call('HMGET', KEYS[i], 'e', 'd')
  table.insert(result, before[1] or '')
  table.insert(result, before[2] or '')`
      : ''
  }
  redis.call('HSET', KEYS[i], 'e', ARGV[n + 2 * i - 1], 'd', ARGV[n + 2 * i])
  if ARGV[3 * n + 1] == '' then redis.call('PERSIST', KEYS[i]) else redis.call('PEXPIRE', KEYS[i], ARGV[3 * n + 1]) end
end
return result
`;
}
const writeScript = new RedisScript(writeLua(false));
const writePartScript = new RedisScript(writeLua(true));

// Undoes a part of a cluster batch: puts back what each key held, unless someone wrote it since.
// ARGV = (eTag this batch wrote, old eTag, old JSON) per key; an old eTag of '' means "was absent".
const undoScript = new RedisScript(`
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'e') == ARGV[3 * i - 2] then
    if ARGV[3 * i - 1] == '' then redis.call('DEL', KEYS[i])
    else redis.call('HSET', KEYS[i], 'e', ARGV[3 * i - 1], 'd', ARGV[3 * i]) end
  end
end
return 0
`);

/** One item of a write, as sent to the scripts. */
interface Write {
  key: string;
  redisKey: string;
  expected: string;
  eTag: string;
  json: string;
}

export interface RedisStorageOptions {
  /** Prefix of every Redis key, so several bots (or test suites) can share one Redis. */
  prefix?: string;
}

/**
 * botbuilder `Storage` on Redis with real optimistic concurrency, atomic through one Lua script: a
 * stale eTag rejects the whole batch with {@link StorageConflictError}, `'*'` or no eTag overwrites, and
 * every write mints a new eTag. Each item is a hash `{e: eTag, d: JSON}` under
 * `<prefix>:state:<tag>:<key>`, where the tag is its conversation's or member's (storage/redis-keys.ts);
 * any key string works, since Redis keys are binary-safe. A write with `ttlMs` sets the items' Redis
 * expiry (`PEXPIRE`); any write without one removes it (`PERSIST`), in the same script.
 *
 * On Redis Cluster a batch whose items sit in several slots (a turn's conversation and member state)
 * is written slot by slot, each part atomic and eTag-checked, in a fixed order that ends with the part
 * of the batch's last item; when a later part
 * meets a stale eTag, the earlier parts are put back, so the batch is still all-or-nothing, though a
 * reader may glimpse a part for the few milliseconds before it is undone. A part that fails (its
 * master is away) undoes the earlier parts too, unless Redis refuses that as well.
 */
export class RedisStorage implements ExpiringStorage {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: RedisStorageOptions = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:state:`;
  }

  async read(keys: string[]): Promise<StoreItems> {
    const unique = requireKeys(keys, 'read');
    const replies = await Promise.all(unique.map((key) => this.client.hmGet(this.redisKey(key), ['e', 'd'])));
    const result: StoreItems = {};
    unique.forEach((key, i) => {
      const [eTag, json] = replies[i] ?? [];
      if (typeof eTag === 'string' && typeof json === 'string') {
        // Stored items are objects (`storedJson`): the parsed one takes the eTag itself, no copy.
        const item = JSON.parse(json) as Record<string, unknown>;
        item.eTag = eTag;
        result[key] = item;
      }
    });
    return result;
  }

  async write(changes: StoreItems, options: StorageWriteOptions = {}): Promise<void> {
    const ttlMs = requireTtl(options);
    const ttl = ttlMs === undefined ? '' : String(ttlMs);
    const writes = Object.entries(requireChanges(changes)).map(
      ([key, item]): Write => ({
        key,
        redisKey: this.redisKey(key),
        expected: expectedETag(item) ?? '',
        eTag: newETag(),
        json: storedJson(key, item),
      }),
    );
    if (writes.length === 0) return;
    const parts = isCluster(this.client) ? bySlot(writes) : [writes];
    const script = parts.length > 1 ? writePartScript : writeScript;
    const done: { part: Write[]; old: string[] }[] = [];
    for (const part of parts) {
      let reply: (number | string)[];
      try {
        reply = (await script.run(
          this.client,
          part.map((w) => w.redisKey),
          [...part.map((w) => w.expected), ...part.flatMap((w) => [w.eTag, w.json]), ttl],
        )) as (number | string)[];
      } catch (error) {
        // A part that failed (a master away) undoes the parts before it, when Redis lets us.
        await this.undo(done).catch(() => {});
        throw error;
      }
      const stale = Number(reply[0]);
      if (stale > 0) {
        await this.undo(done);
        throw new StorageConflictError(part[stale - 1]?.key ?? '');
      }
      done.push({ part, old: reply.slice(1).map(String) });
    }
  }

  async delete(keys: string[]): Promise<void> {
    const unique = requireKeys(keys, 'delete');
    if (unique.length > 0) await this.client.del(unique.map((key) => this.redisKey(key)));
  }

  private redisKey(key: string): string {
    const tag = storageKeyTag(key);
    return tag === '' ? this.prefix + key : `${this.prefix}${tag}:${key}`;
  }

  private async undo(done: { part: Write[]; old: string[] }[]): Promise<void> {
    for (const { part, old } of done.reverse()) {
      await undoScript.run(
        this.client,
        part.map((w) => w.redisKey),
        part.flatMap((w, i) => [w.eTag, old[2 * i] ?? '', old[2 * i + 1] ?? '']),
      );
    }
  }
}

/**
 * The writes grouped by hash slot: the group of the batch's last item last (a turn's save puts its
 * conversation's state there, with the outbox: found in storage, it says the whole save landed), the
 * others before it in a fixed order, so concurrent batches meet in the same order.
 */
function bySlot(writes: Write[]): Write[][] {
  const groups = new Map<string, Write[]>();
  for (const write of writes) {
    const group = slotGroupOf(write.redisKey);
    groups.set(group, [...(groups.get(group) ?? []), write]);
  }
  const last = slotGroupOf(writes[writes.length - 1]?.redisKey ?? '');
  const order = [...[...groups.keys()].filter((group) => group !== last).sort(), last];
  return order.map((group) => groups.get(group) ?? []);
}
