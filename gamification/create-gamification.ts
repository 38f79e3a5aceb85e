import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../storage/stores.js';
import type { GamificationConfig } from './config/schema.js';
import { Gamification } from './gamification.js';
import { MemoryLedger } from './ledger/memory-ledger.js';
import { RedisLedger } from './ledger/redis-ledger.js';
import type { Ledger } from './ledger/types.js';
import { MemoryLeaderboardStore } from './leaderboard/memory-leaderboard.js';
import { RedisLeaderboardStore } from './leaderboard/redis-leaderboard.js';
import { MemoryProgressStore } from './progress/memory-progress.js';
import { RedisProgressStore } from './progress/redis-progress.js';
import { MemoryRewardStore } from './rewards/memory-rewards.js';
import { RedisRewardStore } from './rewards/redis-rewards.js';
import { createRedemptionCode, type RewardStore } from './rewards/types.js';
import type { RandomInt } from './games/trivia.js';

export interface CreateGamificationOptions {
  /** The agent's stores: the ledger and the rest go on the same Redis (or memory). */
  stores: Pick<Stores, 'kind' | 'prefix' | 'redis'>;
  config: GamificationConfig;
  clock?: Clock;
  logger?: Logger;
  /** Draws redemption codes; default `crypto.randomInt`. Injected only for repeatable runs (fixtures). */
  random?: RandomInt;
}

/** Everything loyalty needs, built on one kind of store. */
export interface GamificationPlugin {
  gamification: Gamification;
  ledger: Ledger;
  rewards: RewardStore;
}

/**
 * Builds the ledger, progress, leaderboards and rewards on the agent's stores (Redis when the stores
 * are on Redis, memory otherwise) and writes the rewards' initial stock once.
 */
export async function createGamification(options: CreateGamificationOptions): Promise<GamificationPlugin> {
  const { stores, config } = options;
  const clock = options.clock;
  const common = clock === undefined ? {} : { clock };
  const random = options.random;
  const codes = random === undefined ? {} : { createCode: () => createRedemptionCode(random) };
  if (stores.redis === undefined) {
    const ledger = new MemoryLedger({ ...common, pointsValidForDays: config.pointsValidForDays });
    const gamification = new Gamification({
      ...options,
      ledger,
      progress: new MemoryProgressStore(),
      leaderboards: new MemoryLeaderboardStore(),
    });
    return {
      gamification,
      ledger,
      rewards: new MemoryRewardStore(ledger, config.rewards, { ...common, ...codes }),
    };
  }
  const client = stores.redis;
  const ledger = new RedisLedger(client, {
    ...common,
    prefix: stores.prefix,
    pointsValidForDays: config.pointsValidForDays,
  });
  const rewards = new RedisRewardStore(client, ledger, config.rewards, { ...common, ...codes });
  await rewards.initialise();
  const gamification = new Gamification({
    ...options,
    ledger,
    progress: new RedisProgressStore(client, { prefix: stores.prefix }),
    leaderboards: new RedisLeaderboardStore(client, { prefix: stores.prefix }),
  });
  return { gamification, ledger, rewards };
}
