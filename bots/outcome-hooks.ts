import type { Analytics } from '../analytics/index.js';
import type { GamificationPlugin } from '../gamification/index.js';

/**
 * The loyalty plugin with its redemptions recorded as outcome events (`points.redeemed`) for the
 * KPIs, whether they happen in a conversation or through the admin API. A replayed request (same
 * idempotency key) is not counted again, and the event id is the redemption code, so no process counts
 * one redemption twice.
 */
export function withRedemptionOutcomes(plugin: GamificationPlugin, analytics: Analytics): GamificationPlugin {
  const { rewards } = plugin;
  return {
    ...plugin,
    rewards: {
      catalogue: () => rewards.catalogue(),
      redemptions: (memberId) => rewards.redemptions(memberId),
      cancel: (memberId, code, reason) => rewards.cancel(memberId, code, reason),
      redeem: async (request) => {
        const result = await rewards.redeem(request);
        if (!result.replayed) {
          await analytics.record({
            type: 'points.redeemed',
            id: `redeemed:${result.redemption.code}`,
            member: analytics.service.hashMember(request.memberId),
            points: result.redemption.price,
            reward: request.rewardId,
          });
        }
        return result;
      },
    },
  };
}
