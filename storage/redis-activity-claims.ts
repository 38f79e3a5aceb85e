import { randomUUID } from 'node:crypto';
import {
  type ActivityClaim,
  type ActivityClaims,
  answerKey,
  doneMark,
  markHasAnswer,
} from './activity-claims.js';
import type { RedisConnection } from './redis-connection.js';
import { lockKey, type RedisLockManager } from './redis-lock.js';
import { RedisScript } from './redis-script.js';
import type { Lock } from './types.js';

// KEYS = {claim lock, done mark, answer}, all under the activity's conversation tag (one slot).
// Answers {1, done mark, answer?} for a finished activity, {0} once the claim is taken for ARGV[2] ms
// under the token ARGV[1], {2} while another delivery holds it.
const claimScript = new RedisScript(`
local done = redis.call('GET', KEYS[2])
if done then return {1, done, redis.call('GET', KEYS[3])} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
return {2}
`);

// KEYS as above; ARGV = {token, done ttl, answer ('' for none), answer ttl, done mark}. The done mark
// and the answer are written before the claim is freed, so a waiting delivery finds one or the other.
const finishScript = new RedisScript(`
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

/**
 * {@link ActivityClaims} on Redis: the claim is the lock manager's lock (`lock:<resource>`, extended
 * and released through it), the done mark and the answer are the idempotency store's keys
 * (`once:<resource>`, `once:answer:<resource>`); one script each to claim and to finish.
 */
export class RedisActivityClaims implements ActivityClaims {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    private readonly locks: RedisLockManager,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
  }

  async claim(resource: string, leaseMs: number): Promise<ActivityClaim | null> {
    const token = randomUUID();
    const reply = (await claimScript.run(this.client, this.keys(resource), [token, String(leaseMs)])) as [
      number,
      string?,
      (string | null)?,
    ];
    if (reply[0] === 1) {
      return { done: true, answer: reply[2] ?? undefined, hasRecordedAnswer: markHasAnswer(reply[1]) };
    }
    return reply[0] === 0 ? { lock: this.locks.held(resource, token) } : null;
  }

  async finish(
    lock: Lock,
    options: { doneTtlMs: number; answer?: string; answerTtlMs: number },
  ): Promise<void> {
    await finishScript.run(this.client, this.keys(lock.resource), [
      lock.token,
      String(options.doneTtlMs),
      options.answer ?? '',
      String(options.answerTtlMs),
      doneMark(options.answer),
    ]);
  }

  private keys(resource: string): string[] {
    const once = `${this.prefix}:once:`;
    return [lockKey(this.prefix, resource), once + resource, once + answerKey(resource)];
  }
}
