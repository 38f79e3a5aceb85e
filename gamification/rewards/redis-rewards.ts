import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { RedisConnection } from '../../storage/redis-connection.js';
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
 * The ledger's debit plus the stock, in one script. KEYS[7] stock hash (reward → units), KEYS[8] the
 * member's redemptions (code → JSON). ARGV[3] key, [4] fingerprint, [5] reward, [6] price, [7] code,
 * [8] reason.
 */
const REDEEM_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local prior = replayed(key, fp)
if prior then return prior end
expire_due()
local stock = tonumber(redis.call('HGET', KEYS[7], ARGV[5]) or '-1')
if stock < 0 then return reply('not_found') end
if stock == 0 then return reply('out_of_stock') end
local price = tonumber(ARGV[6])
local balance = num('balance')
if balance < price then return reply('insufficient', { balance = balance, needed = price }) end
redis.call('HSET', state, 'refund:' .. key, consume(price))
local entry = append({ id = key, delta = -price, reason = ARGV[8], at = now, kind = 'debit' })
redis.call('HINCRBY', KEYS[7], ARGV[5], -1)
local redemption = { code = ARGV[7], memberId = member, rewardId = ARGV[5], price = price, entryId = key,
  at = now, status = 'active' }
redis.call('HSET', KEYS[8], ARGV[7], cjson.encode(redemption))
local result = totals(entry)
result.redemption = redemption
return remember(key, fp, result)
`;

/** Gives points and stock back. ARGV[3] key (cancel:<code>), [4] fingerprint, [5] code, [6] reason. */
const CANCEL_LUA = `${LEDGER_PRELUDE}
local key, fp = ARGV[3], ARGV[4]
local raw = redis.call('HGET', KEYS[8], ARGV[5])
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
redis.call('HINCRBY', KEYS[7], r.rewardId, 1)
r.status = 'cancelled'
r.cancelledAt = now
redis.call('HSET', KEYS[8], ARGV[5], cjson.encode(r))
local result = totals(entry)
result.redemption = r
return remember(key, fp, result)
`;

const redeemScript = new RedisScript(REDEEM_LUA);
const cancelScript = new RedisScript(CANCEL_LUA);

/**
 * {@link RewardStore} on Redis, on the same keys as the {@link RedisLedger}. One script takes points
 * and stock together. On Redis Cluster the stock hash and the member's keys sit in different slots:
 * Cluster needs a reserve-then-debit saga instead (docs/gamification.md).
 */
export class RedisRewardStore implements RewardStore {
  private readonly clock: Clock;
  private readonly createCode: () => string;
  private readonly stockKey: string;

  constructor(
    private readonly client: RedisConnection,
    private readonly ledger: RedisLedger,
    private readonly rewards: readonly RewardConfig[],
    options: RewardStoreOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.createCode = options.createCode ?? createRedemptionCode;
    this.stockKey = `${ledger.prefix}:rewards:stock`;
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
    const reply = await this.ledger.run(
      redeemScript,
      memberId,
      this.clock.now(),
      [this.stockKey, this.redemptionsKey(memberId)],
      [
        key,
        JSON.stringify(['redeem', memberId, reward.id, reward.price]),
        reward.id,
        String(reward.price),
        this.createCode(),
        `reward:${reward.id}`,
      ],
    );
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
    const reply = await this.ledger.run(
      cancelScript,
      memberId,
      this.clock.now(),
      [this.stockKey, this.redemptionsKey(memberId)],
      [key, JSON.stringify(['cancel', memberId, code]), code, reason],
    );
    if (reply.status === 'not_found') throw redemptionNotFound(code);
    if (reply.status === 'not_cancellable') throw notCancellable(code);
    const result = this.ledger.result(reply, key, memberId);
    return {
      redemption: toRedemption((reply.result as { redemption: unknown }).redemption),
      balance: result.balance,
      replayed: result.replayed,
    };
  }

  async redemptions(memberId: string): Promise<Redemption[]> {
    const all = await this.client.hVals(this.redemptionsKey(requireMemberId(memberId)));
    return all.map((json) => toRedemption(JSON.parse(json))).sort((a, b) => b.at - a.at);
  }

  private redemptionsKey(memberId: string): string {
    return `${this.ledger.prefix}:ledger:{m:${memberId}}:redemptions`;
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
