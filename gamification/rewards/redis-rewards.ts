import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { isCluster, type RedisConnection } from '../../storage/redis-connection.js';
import { memberTag } from '../../storage/redis-keys.js';
import { RedisScript } from '../../storage/redis-script.js';
import type { RewardConfig } from '../config/schema.js';
import { LEDGER_PRELUDE } from '../ledger/ledger-lua.js';
import { requireKey, requireMemberId } from '../ledger/requests.js';
import { memberKeys, type RedisLedger } from '../ledger/redis-ledger.js';
import type { RewardStoreOptions } from './memory-rewards.js';
import {
  createRedemptionCode,
  notCancellable,
  outOfStock,
  type RedeemRequest,
  type Redemption,
  type RedemptionResult,
  redemptionNotFound,
  type RewardListing,
  type RewardStore,
  rewardNotFound,
} from './types.js';

/**
 * The ledger's debit plus the stock, in one script. KEYS[7] the member's redemptions (code → JSON),
 * KEYS[8] the stock hash (reward → units), absent when the unit was reserved beforehand (Redis
 * Cluster). ARGV[3] key, [4] fingerprint, [5] reward, [6] price, [7] code, [8] reason, [9] 'again' when
 * the unit was reserved anew after a sweep released the first one (state field released:<key>).
 */
const REDEEM_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
if redis.call('HEXISTS', state, 'released:' .. key) == 1 then
  if ARGV[9] ~= 'again' then return reply('released') end
  redis.call('HDEL', state, 'released:' .. key)
end
expire_due()
if KEYS[8] then
  local stock = tonumber(redis.call('HGET', KEYS[8], ARGV[5]) or '-1')
  if stock < 0 then return reply('not_found') end
  if stock == 0 then return reply('out_of_stock') end
end
local price = tonumber(ARGV[6])
local balance = num('balance')
if balance < price then return reply('insufficient', { balance = balance, needed = price }) end
redis.call('HSET', state, 'refund:' .. key, consume(price))
local entry = append({ id = key, delta = -price, reason = ARGV[8], at = now, kind = 'debit' })
if KEYS[8] then redis.call('HINCRBY', KEYS[8], ARGV[5], -1) end
local redemption = { code = ARGV[7], memberId = member, rewardId = ARGV[5], price = price, entryId = key,
  at = now, status = 'active' }
redis.call('HSET', KEYS[7], ARGV[7], cjson.encode(redemption))
local result = totals(entry)
result.redemption = redemption
return remember(key, fp, result)
`;

/**
 * Gives points and stock back (the stock afterwards on Redis Cluster, where KEYS[8] is absent).
 * ARGV[3] key (cancel:<code>), [4] fingerprint, [5] code, [6] reason.
 */
const CANCEL_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local raw = redis.call('HGET', KEYS[7], ARGV[5])
if not raw then return reply('not_found') end
local prior = replayed(key, fp)
if prior then return prior end
local r = cjson.decode(raw)
if redis.call('HEXISTS', state, 'reversed:' .. r.entryId) == 1 then return reply('not_cancellable') end
expire_due()
local refund = tonumber(redis.call('HGET', state, 'refund:' .. r.entryId) or '0')
local entry = append({ id = key, delta = r.price, reason = ARGV[6], at = now, kind = 'reversal', compensates = r.entryId })
if refund > 0 then add_lot(r.price, refund, key) else add_lot(r.price, nil, key) end
redis.call('HSET', state, 'reversed:' .. r.entryId, 1)
if KEYS[8] then redis.call('HINCRBY', KEYS[8], r.rewardId, 1) end
r.status = 'cancelled'
r.cancelledAt = now
redis.call('HSET', KEYS[7], ARGV[5], cjson.encode(r))
local result = totals(entry)
result.redemption = r
return remember(key, fp, result)
`;

const redeemScript = new RedisScript(REDEEM_LUA);
const cancelScript = new RedisScript(CANCEL_LUA);

// Redis Cluster's stock steps, on the stock hash (KEYS[1]), its ledger of holds (KEYS[2]: key →
// 'held' while the member's debit is pending, 'done' after) and the pending holds by reserve time
// (KEYS[3], zset of '<reward>\n<key>'), which share its slot.
// Reserve: ARGV reward, key, now, cutoff. Answers { 'held' (this key holds a unit, now or from an
// earlier try), 'done' (the key already redeemed: its replay takes nothing), 'not_found' or
// 'out_of_stock'; the pending holds reserved before cutoff, for the sweep }.
const reserveScript = new RedisScript(`
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[4], 'LIMIT', 0, 10)
local hold = redis.call('HGET', KEYS[2], ARGV[2])
if hold then return { hold, stale } end
local stock = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if stock < 0 then return { 'not_found', stale } end
if stock == 0 then return { 'out_of_stock', stale } end
redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
redis.call('HSET', KEYS[2], ARGV[2], 'held')
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1] .. '\\n' .. ARGV[2])
return { 'held', stale }
`);
// Settle: ARGV reward, key, outcome ('done' keeps the unit; 'release' gives it back; 'return' gives
// back a cancelled redemption's unit once per cancel key).
const settleScript = new RedisScript(`
local hold = redis.call('HGET', KEYS[2], ARGV[2])
if ARGV[3] == 'done' then
  redis.call('HSET', KEYS[2], ARGV[2], 'done')
  redis.call('ZREM', KEYS[3], ARGV[1] .. '\\n' .. ARGV[2])
elseif ARGV[3] == 'release' then
  if hold == 'held' then
    redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
    redis.call('HDEL', KEYS[2], ARGV[2])
  end
  redis.call('ZREM', KEYS[3], ARGV[1] .. '\\n' .. ARGV[2])
elseif not hold then
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  redis.call('HSET', KEYS[2], ARGV[2], 'done')
end
return 0
`);
// The sweep's step in the member's slot (KEYS: the ledger's member keys), ARGV[1] key: 'debited' if
// the redemption's debit ran (its unit is kept), else fences the key (state released:<key>) so a late
// debit under it reserves a unit anew instead of taking the one the sweep gives back.
const fenceScript = new RedisScript(`
if redis.call('HEXISTS', KEYS[6], ARGV[1]) == 1 then return 'debited' end
redis.call('HSET', KEYS[1], 'released:' .. ARGV[1], 1)
return 'fenced'
`);

const DEFAULT_ABANDONED_AFTER_MS = 10 * 60_000;

export interface RedisRewardStoreOptions extends RewardStoreOptions {
  /** How long a Redis Cluster redemption may hold its unit before a sweep settles it; 10 minutes. */
  abandonedAfterMs?: number;
}

/**
 * {@link RewardStore} on Redis, on the same keys as the {@link RedisLedger}. One script takes points
 * and stock together. On Redis Cluster the stock hash and the member's keys sit in different slots,
 * so a redemption reserves a unit under its idempotency key first, then runs the member's debit, then
 * keeps the unit (or gives it back when the debit was refused). A retry with the same key finds its
 * hold and finishes. A redemption abandoned between the steps (its process died) holds its unit until
 * a later redemption's reserve finds it older than `abandonedAfterMs` and sweeps it: kept if the debit
 * ran, else given back (to that later redemption, if it found no stock), the key fenced so that a late
 * debit under it reserves a unit anew rather than oversell.
 */
export class RedisRewardStore implements RewardStore {
  private readonly clock: Clock;
  private readonly createCode: () => string;
  private readonly stockKey: string;
  private readonly holdsKey: string;
  private readonly pendingKey: string;
  private readonly abandonedAfterMs: number;

  constructor(
    private readonly client: RedisConnection,
    private readonly ledger: RedisLedger,
    private readonly rewards: readonly RewardConfig[],
    options: RedisRewardStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.createCode = options.createCode ?? createRedemptionCode;
    this.stockKey = `${ledger.prefix}:rewards:stock`;
    // Tagged with the stock key's own name, so it hashes to the stock key's slot.
    this.holdsKey = `{${this.stockKey}}:holds`;
    this.pendingKey = `{${this.stockKey}}:pending`;
    this.abandonedAfterMs = options.abandonedAfterMs ?? DEFAULT_ABANDONED_AFTER_MS;
  }

  /** Writes each reward's initial stock once; a restart never refills what was redeemed. */
  async initialise(): Promise<void> {
    await Promise.all(this.rewards.map((r) => this.client.hSetNX(this.stockKey, r.id, String(r.stock))));
  }

  async catalogue(): Promise<RewardListing[]> {
    if (this.rewards.length === 0) return [];
    const stock = await this.client.hmGet(
      this.stockKey,
      this.rewards.map((r) => r.id),
    );
    return this.rewards.map((r, i) => ({
      id: r.id,
      name: r.name,
      price: r.price,
      stock: Number(stock[i] ?? 0),
    }));
  }

  async redeem(request: RedeemRequest): Promise<RedemptionResult> {
    const memberId = requireMemberId(request.memberId);
    const key = requireKey(request.idempotencyKey);
    const reward = this.rewards.find((r) => r.id === request.rewardId);
    if (reward === undefined) throw rewardNotFound(request.rewardId);
    await this.ledger.claim(key, memberId);
    const onCluster = isCluster(this.client);
    const reserve = async () => {
      const run = async () =>
        (await reserveScript.run(
          this.client,
          [this.stockKey, this.holdsKey, this.pendingKey],
          [reward.id, key, String(this.clock.now()), String(this.clock.now() - this.abandonedAfterMs)],
        )) as [string, string[]];
      let [hold, due] = await run();
      const abandoned = due.filter((pending) => pending !== `${reward.id}\n${key}`);
      if (abandoned.length > 0) {
        await this.sweep(abandoned);
        // A unit the sweep gave back may be the one this member wanted.
        if (hold === 'out_of_stock') [hold] = await run();
      }
      if (hold === 'not_found') throw rewardNotFound(reward.id);
      if (hold === 'out_of_stock') throw outOfStock(reward.id);
    };
    const debit = (again: boolean) =>
      this.ledger.run(
        redeemScript,
        memberId,
        this.clock.now(),
        onCluster ? [this.redemptionsKey(memberId)] : [this.redemptionsKey(memberId), this.stockKey],
        [
          key,
          JSON.stringify(['redeem', memberId, reward.id, reward.price]),
          reward.id,
          String(reward.price),
          this.createCode(),
          `reward:${reward.id}`,
          again ? 'again' : '',
        ],
      );
    if (onCluster) await reserve();
    let reply = await debit(false);
    if (reply.status === 'released') {
      // A sweep gave this key's unit back while the debit was pending: reserve one anew.
      await reserve();
      reply = await debit(true);
    }
    if (onCluster) {
      const outcome = reply.status === 'ok' || reply.status === 'replay' ? 'done' : 'release';
      await this.settle(reward.id, key, outcome);
    }
    if (reply.status === 'not_found') throw rewardNotFound(reward.id);
    if (reply.status === 'out_of_stock') throw outOfStock(reward.id);
    const result = this.ledger.result(reply, key, memberId);
    return {
      redemption: toRedemption((reply.result as { redemption: unknown }).redemption),
      balance: result.balance,
      replayed: result.replayed,
    };
  }

  async cancel(memberId: string, code: string, reason = 'redemption cancelled'): Promise<RedemptionResult> {
    requireMemberId(memberId);
    const key = `cancel:${code}`;
    // Another member's code is "not found", before the key claim could call it a conflict.
    if (!(await this.client.hExists(this.redemptionsKey(memberId), code))) throw redemptionNotFound(code);
    await this.ledger.claim(key, memberId);
    const onCluster = isCluster(this.client);
    const reply = await this.ledger.run(
      cancelScript,
      memberId,
      this.clock.now(),
      onCluster ? [this.redemptionsKey(memberId)] : [this.redemptionsKey(memberId), this.stockKey],
      [key, JSON.stringify(['cancel', memberId, code]), code, reason],
    );
    if (reply.status === 'not_found') throw redemptionNotFound(code);
    if (reply.status === 'not_cancellable') throw notCancellable(code);
    const result = this.ledger.result(reply, key, memberId);
    const redemption = toRedemption((reply.result as { redemption: unknown }).redemption);
    // On a cluster the unit goes back after the points, once per cancel key (a retry finishes it).
    if (onCluster) {
      await this.settle(redemption.rewardId, key, 'return');
    }
    return {
      redemption,
      balance: result.balance,
      replayed: result.replayed,
    };
  }

  async redemptions(memberId: string): Promise<Redemption[]> {
    const all = await this.client.hVals(this.redemptionsKey(requireMemberId(memberId)));
    return all.map((json) => toRedemption(JSON.parse(json))).sort((a, b) => b.at - a.at);
  }

  private async settle(rewardId: string, key: string, outcome: 'done' | 'release' | 'return') {
    await settleScript.run(
      this.client,
      [this.stockKey, this.holdsKey, this.pendingKey],
      [rewardId, key, outcome],
    );
  }

  /** Keeps or gives back the units of redemptions abandoned after reserving (`<reward>\n<key>` each). */
  private async sweep(abandoned: string[]): Promise<void> {
    for (const pending of abandoned) {
      const [rewardId = '', key = ''] = pending.split('\n');
      // ledger.claim recorded the key's member before the unit was reserved.
      const memberId = await this.client.get(`${this.ledger.prefix}:ledger:key:${key}`);
      const step = memberId
        ? String(await fenceScript.run(this.client, memberKeys(this.ledger.prefix, memberId), [key]))
        : 'fenced';
      await this.settle(rewardId, key, step === 'debited' ? 'done' : 'release');
    }
  }

  private redemptionsKey(memberId: string): string {
    return `${this.ledger.prefix}:ledger:${memberTag(memberId)}:redemptions`;
  }
}

function toRedemption(raw: unknown): Redemption {
  const r = raw as Redemption;
  return {
    code: r.code,
    memberId: r.memberId,
    rewardId: r.rewardId,
    price: r.price,
    entryId: r.entryId,
    at: r.at,
    status: r.status,
    ...(r.cancelledAt === undefined ? {} : { cancelledAt: r.cancelledAt }),
  };
}
