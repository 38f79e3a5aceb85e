import type { Analytics } from '../analytics/index.js';
import type { GamificationPlugin, Ledger, PointsWrite } from '../gamification/index.js';

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

/**
 * Records the points the ledger expires (`points.expired`), whichever read, write or sweep noticed
 * them. The event id is derived from the member and the expiry entry's id and the event is dated at
 * the expiry itself, so an expiry reported twice (a replayed write reports it again) is stored once.
 */
export function recordExpiredPoints(ledger: Ledger, analytics: Analytics): void {
  ledger.onExpired(async (entries) => {
    for (const entry of entries) {
      await analytics.record({
        type: 'points.expired',
        id: analytics.service.eventId('points.expired', entry.memberId, entry.id),
        at: entry.at,
        member: analytics.service.hashMember(entry.memberId),
        points: -entry.delta,
      });
    }
  });
}

/**
 * Records a manual credit, debit or reversal made through the admin API: `points.credited` /
 * `points.debited` with reason `admin`, or `reversal` for a reversal (of a credit: points taken back;
 * of a debit: points given back). The id comes from the idempotency key and the event is dated at the
 * ledger entry, so a replayed request (which answers the same entry) is stored once.
 */
export function adminPointsOutcomes(analytics: Analytics): (write: PointsWrite) => Promise<void> {
  return async ({ memberId, idempotencyKey, result }) => {
    const { entry } = result;
    if (entry === undefined || entry.delta === 0) return;
    await analytics.record({
      type: entry.delta > 0 ? 'points.credited' : 'points.debited',
      id: analytics.service.eventId('points.admin', memberId, idempotencyKey),
      at: entry.at,
      member: analytics.service.hashMember(memberId),
      points: Math.abs(entry.delta),
      reason: entry.kind === 'reversal' ? 'reversal' : 'admin',
    });
  };
}
