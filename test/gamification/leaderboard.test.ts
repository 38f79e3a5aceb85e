import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryLeaderboardStore } from '../../gamification/leaderboard/memory-leaderboard.js';
import { RedisLeaderboardStore } from '../../gamification/leaderboard/redis-leaderboard.js';
import type { LeaderboardStore } from '../../gamification/leaderboard/types.js';
import { useRedis } from '../support/redis-fixture.js';

const onRedis = (redis: ReturnType<typeof useRedis>) => async () =>
  new RedisLeaderboardStore(await redis.connect(), { prefix: `${redis.prefix}-${randomUUID()}` });

const setups: [string, () => Promise<LeaderboardStore>][] = [
  ['memory', async () => new MemoryLeaderboardStore()],
  ['Redis', onRedis(useRedis())],
  ['Redis Cluster', onRedis(useRedis('cluster'))],
];

for (const [name, create] of setups) {
  describe(`${name} leaderboards`, () => {
    it('shows the top 10 and the asking member’s own rank beyond them', async () => {
      const boards = await create();
      for (let i = 1; i <= 15; i += 1) await boards.raise('all-time', `m${i}`, i * 10, 1000 + i);
      const standings = await boards.standings('all-time', 'm2');
      expect(standings.top).toHaveLength(10);
      expect(standings.top[0]).toEqual({ rank: 1, memberId: 'm15', score: 150 });
      expect(standings.top[9]).toEqual({ rank: 10, memberId: 'm6', score: 60 });
      expect(standings.you).toEqual({ rank: 14, memberId: 'm2', score: 20 });
      expect((await boards.standings('all-time', 'nobody')).you).toBeUndefined();
    });

    it('ranks equal scores by who reached them first and never lowers a score', async () => {
      const boards = await create();
      await boards.raise('weekly:2026-W47', 'late', 50, 3000);
      await boards.raise('weekly:2026-W47', 'early', 50, 2000);
      await boards.raise('weekly:2026-W47', 'zed', 50, 2500);
      await boards.raise('weekly:2026-W47', 'early', 40, 4000);
      const { top } = await boards.standings('weekly:2026-W47');
      expect(top.map((row) => [row.memberId, row.score])).toEqual([
        ['early', 50],
        ['zed', 50],
        ['late', 50],
      ]);
      await boards.raise('weekly:2026-W47', 'late', 51, 5000);
      expect((await boards.standings('weekly:2026-W47', 'late')).you?.rank).toBe(1);
    });

    it('leaves out a member who opted out until they opt back in', async () => {
      const boards = await create();
      await boards.raise('all-time', 'shy', 90, 1);
      await boards.raise('weekly:2026-W47', 'shy', 30, 1);
      await boards.raise('all-time', 'bold', 10, 1);
      await boards.setOptOut('shy', true);
      expect(await boards.isOptedOut('shy')).toBe(true);
      await boards.raise('all-time', 'shy', 100, 2);
      expect((await boards.standings('all-time', 'shy')).top.map((row) => row.memberId)).toEqual(['bold']);
      expect((await boards.standings('weekly:2026-W47', 'shy')).top).toEqual([]);
      await boards.setOptOut('shy', false);
      await boards.raise('all-time', 'shy', 100, 3);
      expect((await boards.standings('all-time', 'shy')).you).toEqual({
        rank: 1,
        memberId: 'shy',
        score: 100,
      });
    });
  });
}
