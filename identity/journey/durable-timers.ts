import type { RedisConnection } from '../../storage/redis-connection.js';
import { sharedTag } from '../../storage/redis-keys.js';
import { RedisScript } from '../../storage/redis-script.js';

/** A timer that fired: its id and the payload it was scheduled with. */
export interface DueTimer {
  id: string;
  dueAt: number;
  payload: Record<string, unknown>;
}

/**
 * Timers that survive a restart and fire once across any number of processes: scheduled into storage,
 * claimed atomically by whichever process polls first (DESIGN.md §5), never `setTimeout`.
 */
export interface DurableTimers {
  /** Schedules (or moves) the timer `id`. */
  schedule(id: string, dueAt: number, payload: Record<string, unknown>): Promise<void>;
  /** Cancels the timer `id`; answers whether it was pending. */
  cancel(id: string): Promise<boolean>;
  /** Claims up to `limit` timers due at `now`; each is answered to exactly one caller. */
  claimDue(now: number, limit: number): Promise<DueTimer[]>;
}

/** {@link DurableTimers} in process memory (one process only). */
export class MemoryDurableTimers implements DurableTimers {
  private readonly timers = new Map<string, DueTimer>();

  async schedule(id: string, dueAt: number, payload: Record<string, unknown>): Promise<void> {
    this.timers.set(id, { id, dueAt, payload: structuredClone(payload) });
  }

  async cancel(id: string): Promise<boolean> {
    return this.timers.delete(id);
  }

  async claimDue(now: number, limit: number): Promise<DueTimer[]> {
    const due = [...this.timers.values()].filter((t) => t.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    const claimed = due.slice(0, limit);
    for (const timer of claimed) this.timers.delete(timer.id);
    return claimed;
  }
}

// Take the due ids and delete them in one script: two pollers never get the same timer.
const claimScript = new RedisScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local result = {}
for i = 1, #ids, 2 do
  redis.call('ZREM', KEYS[1], ids[i])
  local payload = redis.call('HGET', KEYS[2], ids[i])
  redis.call('HDEL', KEYS[2], ids[i])
  table.insert(result, ids[i])
  table.insert(result, ids[i + 1])
  table.insert(result, payload or '{}')
end
return result
`);
const scheduleScript = new RedisScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`);
const cancelScript = new RedisScript(`
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
`);

/**
 * {@link DurableTimers} on Redis: a sorted set scored by due time and a hash of payloads, both under
 * the hash tag `{timers}` so each script stays on one cluster slot.
 */
export class RedisDurableTimers implements DurableTimers {
  private readonly keys: [string, string];

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string; name?: string } = {},
  ) {
    const base = `${options.prefix ?? 'relevo'}:identity:${sharedTag(`timers:${options.name ?? 'journey'}`)}`;
    this.keys = [`${base}:due`, `${base}:payload`];
  }

  async schedule(id: string, dueAt: number, payload: Record<string, unknown>): Promise<void> {
    await scheduleScript.run(this.client, this.keys, [id, String(dueAt), JSON.stringify(payload)]);
  }

  async cancel(id: string): Promise<boolean> {
    return Number(await cancelScript.run(this.client, this.keys, [id])) === 1;
  }

  async claimDue(now: number, limit: number): Promise<DueTimer[]> {
    const flat = (await claimScript.run(this.client, this.keys, [String(now), String(limit)])) as string[];
    const timers: DueTimer[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      timers.push({
        id: String(flat[i]),
        dueAt: Number(flat[i + 1]),
        payload: JSON.parse(String(flat[i + 2])),
      });
    }
    return timers;
  }
}
