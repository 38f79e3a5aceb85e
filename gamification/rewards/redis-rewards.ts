import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { isCluster, type RedisConnection } from '../../storage/redis-connection.js';
import { memberTag } from '../../storage/redis-keys.js';
import { RedisScript } from '../../storage/redis-script.js';
import type { RewardConfig } from '../config/schema.js';
import { LEDGER_PRELUDE } from '../ledger/ledger-lua.js';
import { requireKey, requireMemberId } from '../ledger/requests.js';
import type { RedisLedger } from '../ledger/redis-ledger.js';
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
 * Cluster). ARGV[3] key, [4] fingerprint, [5] reward, [6] price, [7] code, [8] reason.
 */
const REDEEM_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
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

// Redis Cluster's stock steps, on the stock hash (KEYS[1]) and its ledger of holds (KEYS[2]: key →
// 'held' while the member's debit is pending, 'done' after), which shares its slot.
// Reserve: ARGV reward, key. Answers 'held' (this key holds a unit, now or from an earlier try),
// 'done' (the key already redeemed: its replay takes nothing), 'not_found' or 'out_of_stock'.
const reserveScript = new RedisScript(`
local hold = redis.call('HGET', KEYS[2], ARGV[2])
if hold then return hold end
local stock = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if stock < 0 then return 'not_found' end
if stock == 0 then return 'out_of_stock' end
redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
redis.call('HSET', KEYS[2], ARGV[2], 'held')
return 'held'
`);
// Settle: ARGV reward, key, outcome ('done' keeps the unit; 'release' gives it back; 'return' gives
// back a cancelled redemption's unit once per cancel key).
const settleScript = new RedisScript(`
local hold = redis.call('HGET', KEYS[2], ARGV[2])
if ARGV[3] == 'done' then
  redis.call('HSET', KEYS[2], ARGV[2], 'done')
elseif ARGV[3] == 'release' then
  if hold == 'held' then
    redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
    redis.call('HDEL', KEYS[2], ARGV[2])
  end
elseif not hold then
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  redis.call('HSET', KEYS[2], ARGV[2], 'done')
end
return 0
`);

/**
 * {@link RewardStore} on Redis, on the same keys as the {@link RedisLedger}. One script takes points
 * and stock together. On Redis Cluster the stock hash and the member's keys sit in different slots,
 * so a redemption reserves a unit under its idempotency key first, then runs the member's debit, then
 * keeps the unit (or gives it back when the debit was refused). A retry with the same key finds its
 * hold and finishes; a redemption abandoned between the steps keeps its unit held.
 */
export class RedisRewardStore implements RewardStore {
  private readonly clock: Clock;
  private readonly createCode: () => string;
  private readonly stockKey: string;
  private readonly holdsKey: string;

  constructor(
    private readonly client: RedisConnection,
    private readonly ledger: RedisLedger,
    private readonly rewards: readonly RewardConfig[],
    options: RewardStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.createCode = options.createCode ?? createRedemptionCode;
    this.stockKey = `${ledger.prefix}:rewards:stock`;
    // Tagged with the stock key's own name, so it hashes to the stock key's slot.
    this.holdsKey = `{${this.stockKey}}:holds`;
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
    if (onCluster) {
      const hold = String(
        await reserveScript.run(this.client, [this.stockKey, this.holdsKey], [reward.id, key]),
      );
      if (hold === 'not_found') throw rewardNotFound(reward.id);
      if (hold === 'out_of_stock') throw outOfStock(reward.id);
    }
    const reply = await this.ledger.run(
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
      ],
    );
    if (onCluster) {
      const outcome = reply.status === 'ok' || reply.status === 'replay' ? 'done' : 'release';
      await settleScript.run(this.client, [this.stockKey, this.holdsKey], [reward.id, key, outcome]);
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
      await settleScript.run(
        this.client,
        [this.stockKey, this.holdsKey],
        [redemption.rewardId, key, 'return'],
      );
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
