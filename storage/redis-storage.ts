import { createHash } from 'node:crypto';
import type { StoreItems } from 'botbuilder';
import { newETag } from './etag.js';
import { StorageConflictError } from './errors.js';
import { expectedETag, NEW_ITEM_ETAG, requireChanges, requireKeys, requireTtl, storedJson } from './keys.js';
import { isCluster, type RedisConnection } from './redis-connection.js';
import { slotGroupOf, storageKeyTag } from './redis-keys.js';
import { RedisScript } from './redis-script.js';
import { keepReadJson } from './read-json.js';
import { markRestored } from './restored-items.js';
import type { ExpiringStorage, StorageReadOptions, StorageWriteOptions } from './types.js';

// Checks every expected eTag first, then writes every item: one script, so the batch is atomic.
// ARGV = expected eTags (one per key, '' = overwrite, NEW_ITEM_ETAG = create only), then (new eTag, JSON) pairs,
// then the items' time to live in ms ('' = none: a write lifts an earlier one).
// Returns {0} on success, or {i}: the 1-based index of the first key whose eTag is stale.
// On a cluster an item may also hold a pending record (fields `pi`, `pe`, `pd`): the mark of a turn whose
// save wrote it in a part before the batch's last (`pendingMark`), the eTag that part wrote, and the JSON
// it replaced ('' = absent). It holds only while the item's eTag is still `pe`: any write, by any script
// or release, ends it. The 'whole' variant (a cluster batch within one slot) drops it; one Redis writes
// every batch at once and never marks ('single'). The 'part' variant takes, after the time to live, the
// turn's id and per key '1' to mark it: a marked key whose record names that turn and still holds keeps
// its first value (the value before the turn's first save), any other marked key gets a new record, an
// unmarked key drops it. It also returns, per key, (eTag, JSON, pi, pe, pd, PTTL) as they were ('' where
// absent), so the part can be undone.
function writeLua(variant: 'single' | 'whole' | 'part'): string {
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
    variant === 'part'
      ? `local before = redis.call('HMGET', KEYS[i], 'e', 'd', 'pi', 'pe', 'pd')
  for j = 1, 5 do table.insert(result, before[j] or '') end
  table.insert(result, redis.call('PTTL', KEYS[i]))
  local turn = ARGV[3 * n + 2]
  local eTag = ARGV[n + 2 * i - 1]
  if ARGV[3 * n + 2 + i] ~= '1' then redis.call('HDEL', KEYS[i], 'pi', 'pe', 'pd')
  elseif before[3] == turn and before[1] == before[4] then redis.call('HSET', KEYS[i], 'pe', eTag)
  else redis.call('HSET', KEYS[i], 'pi', turn, 'pe', eTag, 'pd', before[2] or '') end`
      : variant === 'whole'
        ? `redis.call('HDEL', KEYS[i], 'pi', 'pe', 'pd')`
        : ''
  }
  redis.call('HSET', KEYS[i], 'e', ARGV[n + 2 * i - 1], 'd', ARGV[n + 2 * i])
  if ARGV[3 * n + 1] == '' then redis.call('PERSIST', KEYS[i]) else redis.call('PEXPIRE', KEYS[i], ARGV[3 * n + 1]) end
end
return result
`;
}
const writeScript = new RedisScript(writeLua('single'));
const writeWholeScript = new RedisScript(writeLua('whole'));
const writePartScript = new RedisScript(writeLua('part'));

// Undoes a part of a cluster batch: puts back what each key held, its pending record and expiry too,
// unless someone wrote it since. ARGV = (eTag this batch wrote, then as they were: eTag, JSON, pi, pe,
// pd, PTTL) per key; an old eTag of '' means "was absent", a PTTL below 0 "no expiry".
const undoScript = new RedisScript(`
for i = 1, #KEYS do
  local a = 7 * (i - 1)
  if redis.call('HGET', KEYS[i], 'e') == ARGV[a + 1] then
    if ARGV[a + 2] == '' then redis.call('DEL', KEYS[i])
    else
      redis.call('HSET', KEYS[i], 'e', ARGV[a + 2], 'd', ARGV[a + 3])
      if ARGV[a + 4] == '' then redis.call('HDEL', KEYS[i], 'pi', 'pe', 'pd')
      else redis.call('HSET', KEYS[i], 'pi', ARGV[a + 4], 'pe', ARGV[a + 5], 'pd', ARGV[a + 6]) end
      local ttl = tonumber(ARGV[a + 7]) or -1
      if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
    end
  end
end
return 0
`);

// Reads an item for a turn that may run again: its pending record's value when the record names that
// turn (ARGV[1]) and still holds, else the item as stored; the other JSON is left in Redis. Returns
// (eTag, JSON, 1 when restored), or nothing for an absent item.
const readForTurnScript = new RedisScript(`
local v = redis.call('HMGET', KEYS[1], 'e', 'd', 'pi', 'pe')
if not v[1] then return {} end
if v[3] == ARGV[1] and v[4] == v[1] then return {v[1], redis.call('HGET', KEYS[1], 'pd') or '', 1} end
return {v[1], v[2]}
`);

// Reads several items on one Redis (not a cluster: they may sit in several slots): per key (eTag, JSON),
// false where absent, as HMGET answers.
const readManyScript = new RedisScript(`
local items = {}
for i = 1, #KEYS do items[i] = redis.call('HMGET', KEYS[i], 'e', 'd') end
return items
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
 * is written in parts, one per slot, each atomic and eTag-checked: the parts of the other slots together,
 * then, once they all landed, the part of the batch's last item. When a part meets a stale eTag, the
 * parts that landed are put back, so the batch is still all-or-nothing, though a reader may glimpse a
 * part for the few milliseconds before it is undone. A part that fails (its master is away) undoes the
 * parts that landed too, unless Redis refuses that as well. A process that dies
 * between two parts leaves the earlier ones written: a queued turn's save (`StorageWriteOptions.turn`)
 * has the items it names keep what they replaced, so its run again reads them as they were before.
 */
/** The most items one Redis reads in one script; more are read per key (a script blocks the server). */
const ONE_SCRIPT_READ_MAX = 16;

export class RedisStorage implements ExpiringStorage {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: RedisStorageOptions = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:state:`;
  }

  async read(keys: string[], options: StorageReadOptions = {}): Promise<StoreItems> {
    const unique = requireKeys(keys, 'read');
    // Only a cluster's batches are written in parts, so only there an item holds a pending record.
    const cluster = isCluster(this.client);
    const turn = cluster && options.turn ? pendingMark(options.turn) : undefined;
    // One Redis reads a small batch in one command (a turn's state read is four items); a larger one
    // (an erasure's hundreds) reads per key, since a script holds every other client until it ends.
    // A cluster's items sit in several slots, one command each.
    const replies =
      !cluster && unique.length > 1 && unique.length <= ONE_SCRIPT_READ_MAX
        ? ((await readManyScript.run(
            this.client,
            unique.map((key) => this.redisKey(key)),
            [],
          )) as unknown[][])
        : await Promise.all(
            unique.map(
              (key) =>
                (turn === undefined
                  ? this.client.hmGet(this.redisKey(key), ['e', 'd'])
                  : readForTurnScript.run(this.client, [this.redisKey(key)], [turn])) as Promise<unknown[]>,
            ),
          );
    const result: StoreItems = {};
    unique.forEach((key, i) => {
      const [eTag, json, restoring] = replies[i] ?? [];
      if (typeof eTag !== 'string' || typeof json !== 'string') return;
      // Stored items are objects (`storedJson`): the parsed one takes the eTag itself, no copy.
      const item = JSON.parse(json || '{}') as Record<string, unknown>;
      keepReadJson(item, json || '{}');
      item.eTag = eTag;
      if (restoring === 1) markRestored(item);
      result[key] = item;
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
    if (!isCluster(this.client)) return this.writeAtOnce(writeScript, writes, ttl);
    const parts = bySlot(writes);
    const [only] = parts;
    if (parts.length === 1 && only) return this.writeAtOnce(writeWholeScript, only, ttl);
    const turn = options.turn?.id ? options.turn : undefined;
    const last = parts.length - 1;
    const writePart = (part: Write[], index: number) => {
      // The last part lands the batch: the items of the earlier ones keep what they replaced.
      const marks = part.map((w) =>
        turn !== undefined && index < last && turn.keys.includes(w.key) ? '1' : '',
      );
      return writePartScript.run(
        this.client,
        part.map((w) => w.redisKey),
        [...scriptArgs(part, ttl), turn ? pendingMark(turn.id) : '', ...marks],
      ) as Promise<(number | string)[]>;
    };
    const done: { part: Write[]; old: string[] }[] = [];
    let failure: { error: unknown } | undefined;
    let staleKey: string | undefined;
    const settle = (part: Write[], outcome: PromiseSettledResult<(number | string)[]>) => {
      if (outcome.status === 'rejected') failure ??= { error: outcome.reason };
      else if (Number(outcome.value[0]) > 0) staleKey ??= part[Number(outcome.value[0]) - 1]?.key ?? '';
      else done.push({ part, old: outcome.value.slice(1).map(String) });
    };
    // The earlier parts travel together (one round trip, each to its master); the last one only once
    // they all landed.
    const earlier = parts.slice(0, last);
    const outcomes = await Promise.allSettled(earlier.map(writePart));
    for (const [index, outcome] of outcomes.entries()) settle(earlier[index] ?? [], outcome);
    if (!failure && staleKey === undefined) {
      const lastPart = parts[last] ?? [];
      const [outcome] = await Promise.allSettled([writePart(lastPart, last)]);
      if (outcome) settle(lastPart, outcome);
    }
    if (failure) {
      // A part that failed (a master away) undoes the parts that landed, when Redis lets us.
      await this.undo(done).catch(() => {});
      throw failure.error;
    }
    if (staleKey !== undefined) {
      await this.undo(done);
      throw new StorageConflictError(staleKey);
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

  /** Writes `writes` in one script, all-or-nothing. */
  private async writeAtOnce(script: RedisScript, writes: Write[], ttl: string): Promise<void> {
    const reply = (await script.run(
      this.client,
      writes.map((w) => w.redisKey),
      scriptArgs(writes, ttl),
    )) as (number | string)[];
    const stale = Number(reply[0]);
    if (stale > 0) throw new StorageConflictError(writes[stale - 1]?.key ?? '');
  }

  private async undo(done: { part: Write[]; old: string[] }[]): Promise<void> {
    await Promise.all(
      done.map(({ part, old }) =>
        undoScript.run(
          this.client,
          part.map((w) => w.redisKey),
          part.flatMap((w, i) => [w.eTag, ...old.slice(6 * i, 6 * i + 6)]),
        ),
      ),
    );
  }
}

/** What an item's pending record names a turn's run by: a digest, short and free of platform ids. */
function pendingMark(turn: string): string {
  return createHash('sha256').update(turn).digest('base64url').slice(0, 22);
}

/** The scripts' ARGV for `writes`: expected eTags, (new eTag, JSON) pairs, time to live. */
function scriptArgs(writes: Write[], ttl: string): string[] {
  return [...writes.map((w) => w.expected), ...writes.flatMap((w) => [w.eTag, w.json]), ttl];
}

/**
 * The writes grouped by hash slot, the group of the batch's last item last (a turn's save puts its
 * conversation's state there, with the outbox: found in storage, it says the whole save landed). The
 * others are written together, in no order: each checks its own eTags and a conflict in one undoes the
 * rest. Two batches could both fail only if they shared items in two of those slots, which only turns of
 * one conversation do, and those never run at once.
 */
function bySlot(writes: Write[]): Write[][] {
  const groups = new Map<string, Write[]>();
  for (const write of writes) {
    const group = slotGroupOf(write.redisKey);
    groups.set(group, [...(groups.get(group) ?? []), write]);
  }
  const last = slotGroupOf(writes[writes.length - 1]?.redisKey ?? '');
  const order = [...[...groups.keys()].filter((group) => group !== last), last];
  return order.map((group) => groups.get(group) ?? []);
}
