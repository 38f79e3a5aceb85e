import type { RedisConnection } from '../storage/redis-connection.js';
import { sharedTag } from '../storage/redis-keys.js';
import { RedisScript } from '../storage/redis-script.js';
import { type OutcomeEvent, parseOutcomeEvent } from './events.js';
import { DAY_MS, dayOf, type OutcomeEvents } from './outcome-events.js';

/**
 * Stores each event body under its id (first writer wins) and indexes it by time, atomically. Both keys
 * carry the day's hash tag, so the script touches one Redis Cluster slot.
 * KEYS: 1 = day's time index (sorted set), 2 = day's bodies (hash).
 * ARGV: 1 = unix seconds the day's keys expire at ('' = never), then per event: id, at, JSON body.
 * Returns per event 1 when stored, 0 when its id was stored before.
 */
const APPEND = new RedisScript(`
local stored = {}
local any = false
for i = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 2]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
    stored[#stored + 1] = 1
    any = true
  else
    stored[#stored + 1] = 0
  end
end
if any and ARGV[1] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  redis.call('EXPIREAT', KEYS[2], ARGV[1])
end
return stored
`);

export interface RedisOutcomeEventsOptions {
  /** Prefix of every key (the stores' prefix). */
  prefix: string;
  /** Days a day's events are kept after the day ends; absent = forever. */
  retentionDays?: number | undefined;
}

const PAGE = 500;

/**
 * Outcome events in Redis, bucketed by UTC day: `<prefix>:analytics:{analytics:<day>}:at` (sorted set
 * of ids scored by time) and `…:{analytics:<day>}:events` (hash id → JSON), plus a set of the days that
 * have events so a wide window reads only days that exist. Days spread over Cluster slots; one day's
 * keys share a slot for the atomic append. Reads page through each day's index.
 */
export class RedisOutcomeEvents implements OutcomeEvents {
  constructor(
    private readonly client: RedisConnection,
    private readonly options: RedisOutcomeEventsOptions,
  ) {}

  private keys(day: number): [string, string] {
    const tag = `${this.options.prefix}:analytics:${sharedTag(`analytics:${day}`)}`;
    return [`${tag}:at`, `${tag}:events`];
  }

  private get daysKey(): string {
    return `${this.options.prefix}:analytics:days`;
  }

  async append(event: OutcomeEvent): Promise<boolean> {
    const [outcome] = await this.appendAll([event]);
    if (outcome?.status !== 'fulfilled') throw outcome?.reason;
    return outcome.value;
  }

  /**
   * A batch in one burst: one script per UTC day it spans and one listing of those days, instead of a
   * script and a listing per event (a batch of queued outcomes is mostly of one day).
   */
  async appendAll(events: readonly OutcomeEvent[]): Promise<PromiseSettledResult<boolean>[]> {
    const results: PromiseSettledResult<boolean>[] = [];
    const byDay = new Map<number, { index: number; event: OutcomeEvent }[]>();
    events.forEach((event, index) => {
      try {
        const valid = parseOutcomeEvent(event);
        const day = dayOf(valid.at);
        const ofDay = byDay.get(day) ?? [];
        ofDay.push({ index, event: valid });
        byDay.set(day, ofDay);
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    });
    if (byDay.size === 0) return results;
    const retention = this.options.retentionDays;
    const days = [...byDay.keys()];
    const writes = days.map((day) => {
      const expireAt =
        retention === undefined ? '' : String(Math.ceil(((day + 1 + retention) * DAY_MS) / 1000));
      const args = [expireAt];
      for (const { event } of byDay.get(day) ?? [])
        args.push(event.id, String(event.at), JSON.stringify(event));
      return APPEND.run(this.client, this.keys(day), args) as Promise<number[]>;
    });
    // The day index lives in another slot, so outside the scripts; sent alongside them (one round
    // trip). Idempotent, and a listed day without events reads as empty.
    const [listed, ...written] = await Promise.allSettled([
      this.client.zAdd(
        this.daysKey,
        days.map((day) => ({ score: day, value: String(day) })),
      ),
      ...writes,
    ]);
    days.forEach((day, i) => {
      const outcome = written[i];
      (byDay.get(day) ?? []).forEach(({ index }, j) => {
        results[index] =
          listed?.status === 'rejected'
            ? listed
            : outcome?.status === 'fulfilled'
              ? { status: 'fulfilled', value: outcome.value[j] === 1 }
              : (outcome as PromiseRejectedResult);
      });
    });
    return results;
  }

  async range(from: number, to: number): Promise<OutcomeEvent[]> {
    if (!(to > from)) return [];
    const days = await this.client.zRange(this.daysKey, dayOf(from), dayOf(to - 1), { BY: 'SCORE' });
    const events: OutcomeEvent[] = [];
    for (const day of days.map(Number).sort((a, b) => a - b)) {
      const [index, bodies] = this.keys(day);
      for (let offset = 0; ; offset += PAGE) {
        const ids = await this.client.zRange(index, from, `(${to}`, {
          BY: 'SCORE',
          LIMIT: { offset, count: PAGE },
        });
        if (ids.length === 0) break;
        const values = await this.client.hmGet(bodies, ids);
        for (const value of values) if (value) events.push(JSON.parse(value) as OutcomeEvent);
        if (ids.length < PAGE) break;
      }
    }
    return events;
  }
}
