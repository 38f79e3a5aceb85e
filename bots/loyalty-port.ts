import { hasCode } from '../core/errors.js';
import { hasMessage, type LoyaltyService, type RedeemFailure, t } from '../dialogs/index.js';
import { type GamificationPlugin, LedgerErrorCode, turnLoyaltyProfile } from '../gamification/index.js';
import type { Members } from '../identity/index.js';

/** The dialogs' view of gamification/: balance, tier, ways to earn, rewards, redeeming, the leaderboard. */
export function loyaltyPort(plugin: GamificationPlugin, members: Members): LoyaltyService {
  const { gamification, rewards } = plugin;
  /** A leaderboard shows first names only, or a member number: other customers never see more. */
  const nameOf = async (memberId: string) => {
    const displayName = (await members.get(memberId))?.profile.displayName?.trim();
    return displayName ? (displayName.split(/\s+/)[0] as string) : `#${memberId.slice(-4)}`;
  };
  return {
    async account(memberId, context) {
      // The profile the loyalty stage read as the turn began (with the state) is this turn's balance.
      const loaded = context && turnLoyaltyProfile(context);
      const profile = loaded?.memberId === memberId ? loaded : await gamification.profile(memberId);
      const next = profile.tier.next;
      return {
        points: profile.points,
        lifetime: profile.lifetimePoints,
        tier: profile.tier.id,
        ...(next ? { nextTier: { name: next.id, missing: next.pointsNeeded } } : {}),
      };
    },
    async waysToEarn(lang) {
      return gamification.config.rules
        .filter((rule) => hasMessage(`earn.${rule.event}`))
        .map((rule) => t(lang, `earn.${rule.event}` as Parameters<typeof t>[1], { points: rule.points }));
    },
    async rewards() {
      return (await rewards.catalogue())
        .filter((reward) => reward.stock > 0)
        .map(({ id, name, price }) => ({ id, name, price }));
    },
    async redeem(memberId, rewardId, idempotencyKey) {
      try {
        const { redemption, balance } = await rewards.redeem({ memberId, rewardId, idempotencyKey });
        return { ok: true, code: redemption.code, points: balance };
      } catch (error) {
        const reason: RedeemFailure = hasCode(error, LedgerErrorCode.insufficientPoints)
          ? 'insufficient_points'
          : hasCode(error, 'RELEVO_REWARD_OUT_OF_STOCK')
            ? 'out_of_stock'
            : 'unavailable';
        return { ok: false, reason };
      }
    },
    async leaderboard(memberId) {
      const standings = await gamification.standings('weekly', memberId);
      const top = await Promise.all(
        standings.top.map(async (row) => ({ name: await nameOf(row.memberId), points: row.score })),
      );
      return {
        top,
        ...(standings.you ? { you: { rank: standings.you.rank, points: standings.you.score } } : {}),
      };
    },
  };
}

/** The loyalty part of the 360° profile agents read: points, tier and badges. */
export function loyaltyProfileSection(plugin: GamificationPlugin) {
  return async (member: { id: string }): Promise<Record<string, unknown>> => {
    const profile = await plugin.gamification.profile(member.id);
    return {
      loyalty: { points: profile.points, tier: profile.tier.id, badges: profile.badges.map((b) => b.id) },
    };
  };
}
