import { isCluster, type RedisConnection, scanKeys } from '../../storage/redis-connection.js';
import { sharedTag } from '../../storage/redis-keys.js';
import { RedisScript } from '../../storage/redis-script.js';
import type { LeaderboardRow, LeaderboardStore, Standings } from './types.js';

/**
 * Ties go to the earliest achiever without squeezing time into the score's 53 bits: the sorted-set
 * score is the negated points, and the member string is `<achievedAt, 15 digits>:<memberId>`, so
 * ZRANGE (ascending) lists the highest score first and, among equals, the earliest time first. A hash
 * maps member id → current member string. KEYS: zset, index hash, opt-out set (absent on Redis
 * Cluster, where it sits in another slot). ARGV: member, score, padded time, board TTL ms (0 = none).
 */
const RAISE_LUA = `
if KEYS[3] and redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 0 end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current then
  if -tonumber(redis.call('ZSCORE', KEYS[1], current)) >= tonumber(ARGV[2]) then return 0 end
  redis.call('ZREM', KEYS[1], current)
end
local entry = ARGV[3] .. ':' .. ARGV[1]
redis.call('ZADD', KEYS[1], -tonumber(ARGV[2]), entry)
redis.call('HSET', KEYS[2], ARGV[1], entry)
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 1
`;
const raise = new RedisScript(RAISE_LUA);

/** Takes a member off one board. KEYS: zset, index hash. ARGV: member. */
const drop = new RedisScript(`
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
redis.call('ZREM', KEYS[1], entry)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`);

export interface RedisLeaderboardOptions {
  prefix?: string;
  /** Lifetime of boards whose name starts with `weekly:` (they are per week): default 35 days. */
  weeklyTtlMs?: number;
}

/**
 * {@link LeaderboardStore} on Redis sorted sets. The opt-out set is checked inside the raise script.
 * On Redis Cluster the board keys (tag `{lb:<board>}`) and the opt-out set live in different slots:
 * the raise checks the set right after it wrote, and takes the member off again when opted out. An
 * opt-out adds to the set before it sweeps the boards, so either the sweep sees the raise's entry or
 * the raise's check sees the opt-out.
 */
export class RedisLeaderboardStore implements LeaderboardStore {
  private readonly prefix: string;
  private readonly weeklyTtlMs: number;

  constructor(
    private readonly client: RedisConnection,
    options: RedisLeaderboardOptions = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
    this.weeklyTtlMs = options.weeklyTtlMs ?? 35 * 86_400_000;
  }

  async raise(board: string, memberId: string, score: number, at: number): Promise<void> {
    const keys = this.keys(board);
    const onCluster = isCluster(this.client);
    const raised = await raise.run(
      this.client,
      onCluster ? [keys.scores, keys.index] : [keys.scores, keys.index, this.optOutKey],
      [
        memberId,
        String(score),
        String(at).padStart(15, '0'),
        String(board.startsWith('weekly:') ? this.weeklyTtlMs : 0),
      ],
    );
    if (onCluster && Number(raised) === 1 && (await this.isOptedOut(memberId))) {
      await drop.run(this.client, [keys.scores, keys.index], [memberId]);
    }
  }

  async standings(board: string, memberId?: string, size = 10): Promise<Standings> {
    const keys = this.keys(board);
    const [top, entry] = await Promise.all([
      this.client.zRangeWithScores(keys.scores, 0, size - 1),
      memberId === undefined ? undefined : this.client.hGet(keys.index, memberId),
    ]);
    const rows: LeaderboardRow[] = top.map((row, index) => ({
      rank: index + 1,
      memberId: row.value.slice(row.value.indexOf(':') + 1),
      score: -row.score,
    }));
    const standings: Standings = { board, top: rows };
    if (memberId !== undefined && typeof entry === 'string') {
      const [rank, score] = await Promise.all([
        this.client.zRank(keys.scores, entry),
        this.client.zScore(keys.scores, entry),
      ]);
      if (rank !== null && score !== null) standings.you = { rank: rank + 1, memberId, score: -score };
    }
    return standings;
  }

  async setOptOut(memberId: string, isOptedOut: boolean): Promise<void> {
    if (!isOptedOut) {
      await this.client.sRem(this.optOutKey, memberId);
      return;
    }
    await this.client.sAdd(this.optOutKey, memberId);
    // Boards are few (all-time and recent weeks): scan their index hashes and drop the member.
    for await (const batch of scanKeys(this.client, `${this.prefix}:lb:*:index`, 200)) {
      for (const indexKey of batch) {
        await drop.run(this.client, [indexKey.replace(/:index$/, ':scores'), indexKey], [memberId]);
      }
    }
  }

  async isOptedOut(memberId: string): Promise<boolean> {
    return Number(await this.client.sIsMember(this.optOutKey, memberId)) === 1;
  }

  private get optOutKey(): string {
    return `${this.prefix}:lb:optout`;
  }

  private keys(board: string) {
    const base = `${this.prefix}:lb:${sharedTag(`lb:${board}`)}`;
    return { scores: `${base}:scores`, index: `${base}:index` };
  }
}
