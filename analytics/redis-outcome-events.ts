import type { RedisConnection } from '../storage/redis-connection.js';
import { sharedTag } from '../storage/redis-keys.js';
import { RedisScript } from '../storage/redis-script.js';
import { type OutcomeEvent, parseOutcomeEvent } from './events.js';
import { DAY_MS, dayOf, type OutcomeEvents } from './outcome-events.js';

/**
 * Stores the event body under its id (first writer wins) and indexes it by time, atomically. Both keys
 * carry the day's hash tag, so the script touches one Redis Cluster slot.
 * KEYS: 1 = day's time index (sorted set), 2 = day's bodies (hash).
 * ARGV: 1 = id, 2 = at, 3 = JSON body, 4 = unix seconds the day's keys expire at ('' = never).
 */
const APPEND = new RedisScript(`
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[4])
  redis.call('EXPIREAT', KEYS[2], ARGV[4])
end
return 1
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
    const valid = parseOutcomeEvent(event);
    const day = dayOf(valid.at);
    const retention = this.options.retentionDays;
    const expireAt =
      retention === undefined ? '' : String(Math.ceil(((day + 1 + retention) * DAY_MS) / 1000));
    // The day index lives in another slot, so outside the script; sent alongside it (one round trip).
    // Idempotent, and a listed day without events reads as empty.
    const [stored] = await Promise.all([
      APPEND.run(this.client, this.keys(day), [valid.id, String(valid.at), JSON.stringify(valid), expireAt]),
      this.client.zAdd(this.daysKey, { score: day, value: String(day) }),
    ]);
    return stored === 1;
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
