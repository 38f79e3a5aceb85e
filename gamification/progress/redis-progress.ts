import type { RedisConnection } from '../../storage/redis-connection.js';
import { memberTag } from '../../storage/redis-keys.js';
import { RedisScript } from '../../storage/redis-script.js';
import { EVENT_MEMORY_MS, type MemberProgress, type ProgressEvent, type ProgressStore } from './types.js';

/**
 * KEYS: seen marker of this event, counts (hash type → n), streak (hash current, best, lastDay), badges.
 * ARGV: type, today or '', yesterday or '', marker TTL ms. Returns 1 when the event was new, 0 if not,
 * followed by the counts, streak and badges after it (flat field/value lists), so no second read is needed.
 */
const RECORD_LUA = `
local function after(isNew)
  return { isNew, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]) }
end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[4]) then return after(0) end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local today, yesterday = ARGV[2], ARGV[3]
if today ~= '' then
  local last = redis.call('HGET', KEYS[3], 'lastDay')
  if last ~= today then
    local current = 1
    if last == yesterday then current = tonumber(redis.call('HGET', KEYS[3], 'current') or '0') + 1 end
    local best = math.max(current, tonumber(redis.call('HGET', KEYS[3], 'best') or '0'))
    redis.call('HSET', KEYS[3], 'current', current, 'best', best, 'lastDay', today)
  end
end
return after(1)
`;
const record = new RedisScript(RECORD_LUA);

/**
 * KEYS: merge marker, counts, streak, badges of the receiving member. ARGV: JSON of the giving
 * member's progress. Runs once per marker.
 */
const MERGE_LUA = `
if not redis.call('SET', KEYS[1], '1', 'NX') then return 0 end
local from = cjson.decode(ARGV[1])
for type, n in pairs(from.counts) do redis.call('HINCRBY', KEYS[2], type, n) end
for _, badge in ipairs(from.badges) do
  local at = tonumber(redis.call('HGET', KEYS[4], badge.id) or '')
  if not at or badge.at < at then redis.call('HSET', KEYS[4], badge.id, string.format('%d', badge.at)) end
end
local last = redis.call('HGET', KEYS[3], 'lastDay') or ''
local best = math.max(from.streak.best, tonumber(redis.call('HGET', KEYS[3], 'best') or '0'))
if from.streak.lastDay > last then
  redis.call('HSET', KEYS[3], 'current', from.streak.current, 'lastDay', from.streak.lastDay)
end
redis.call('HSET', KEYS[3], 'best', best)
return 1
`;
const merge = new RedisScript(MERGE_LUA);

/** KEYS: counts, streak, badges. Returns the three as flat field/value lists: one command, not three. */
const read = new RedisScript(`
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]) }
`);

/** {@link ProgressStore} on Redis; every key of a member carries the hash tag `{m:<memberId>}`. */
export class RedisProgressStore implements ProgressStore {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
  }

  async record(event: ProgressEvent): Promise<MemberProgress & { isNew: boolean }> {
    const keys = this.keys(event.memberId);
    const [isNew, counts, streak, badges] = (await record.run(
      this.client,
      [`${keys.base}:seen:${event.eventId}`, keys.counts, keys.streak, keys.badges],
      [event.type, event.streakDay?.today ?? '', event.streakDay?.yesterday ?? '', String(EVENT_MEMORY_MS)],
    )) as [number, string[], string[], string[]];
    return { ...toProgress(pairs(counts), pairs(streak), pairs(badges)), isNew: isNew === 1 };
  }

  async read(memberId: string): Promise<MemberProgress> {
    const keys = this.keys(memberId);
    const [counts, streak, badges] = (await read.run(
      this.client,
      [keys.counts, keys.streak, keys.badges],
      [],
    )) as [string[], string[], string[]];
    return toProgress(pairs(counts), pairs(streak), pairs(badges));
  }

  async award(memberId: string, badgeIds: string[], at: number): Promise<string[]> {
    const key = this.keys(memberId).badges;
    const added = await Promise.all(badgeIds.map((id) => this.client.hSetNX(key, id, String(at))));
    return badgeIds.filter((_, i) => Number(added[i]) === 1);
  }

  async merge(fromMemberId: string, toMemberId: string, key: string): Promise<void> {
    const from = await this.read(fromMemberId);
    const to = this.keys(toMemberId);
    // cjson reads an empty JSON array as an empty table, which ipairs handles.
    await merge.run(
      this.client,
      [`${to.base}:merged:${key}`, to.counts, to.streak, to.badges],
      [JSON.stringify(from)],
    );
  }

  private keys(memberId: string) {
    const base = `${this.prefix}:progress:${memberTag(memberId)}`;
    return { base, counts: `${base}:counts`, streak: `${base}:streak`, badges: `${base}:badges` };
  }
}

/** A flat `[field, value, …]` reply (HGETALL inside Lua) as an object. */
function pairs(flat: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

function toProgress(
  counts: Record<string, string>,
  streak: Record<string, string>,
  badges: Record<string, string>,
): MemberProgress {
  return {
    counts: Object.fromEntries(Object.entries(counts).map(([type, n]) => [type, Number(n)])),
    streak: {
      current: Number(streak.current ?? 0),
      best: Number(streak.best ?? 0),
      lastDay: streak.lastDay ?? '',
    },
    badges: Object.entries(badges)
      .map(([id, at]) => ({ id, at: Number(at) }))
      .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id)),
  };
}
