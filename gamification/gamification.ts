import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { hasCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { isoWeek, localDay, previousDay } from './calendar.js';
import { type EarnRule, type GamificationConfig, isTimeZone } from './config/schema.js';
import { LedgerErrorCode } from './ledger/errors.js';
import type { Ledger, LedgerBucket, LedgerEntry } from './ledger/types.js';
import type { LeaderboardStore, Standings } from './leaderboard/types.js';
import type { EarnedBadge, ProgressStore, Streak } from './progress/types.js';
import { streakOn } from './progress/types.js';
import { type Tier, tierFor } from './tiers.js';

const DAY_MS = 86_400_000;

/** Something a member did that loyalty rules may pay for: past tense, with the id that makes it unique. */
export interface LoyaltyEvent {
  /** Idempotency key: the triggering activity id, or the outcome's own id. */
  id: string;
  /** `message.received`, `csat.answered`, `account.linked`, `game.won`, … */
  type: string;
  memberId: string;
  /** When it happened; default: now. */
  at?: number;
  /** The member's IANA time zone (e.g. the activity's `localTimezone`); default: the program's. */
  timeZone?: string | undefined;
  /** A forged or unverified sender earns nothing (MemberSnapshot.isSuspect). */
  isSuspect?: boolean | undefined;
}

export interface AwardedCredit {
  ruleId: string;
  points: number;
  entry: LedgerEntry;
}

export interface AwardResult {
  eventId: string;
  memberId: string;
  credits: AwardedCredit[];
  /** Badges this event earned. */
  badges: string[];
  /** Why nothing was awarded, when nothing could be. */
  skipped?: 'suspect' | 'duplicate';
}

/** What an agent and the handoff packet see of a member's loyalty. */
export interface LoyaltyProfile {
  memberId: string;
  points: number;
  lifetimePoints: number;
  tier: Tier;
  badges: EarnedBadge[];
  streak: Streak;
}

/** Leaderboard names: `all-time`, and `weekly` (the current week in the program's time zone). */
export type LeaderboardName = 'all-time' | 'weekly';

export interface GamificationOptions {
  config: GamificationConfig;
  ledger: Ledger;
  progress: ProgressStore;
  leaderboards: LeaderboardStore;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Loyalty on top of the ledger: applies the earn rules to events exactly once per event id, with
 * caps and validity windows, counts progress for badges and streaks, and raises leaderboard scores.
 */
export class Gamification {
  readonly config: GamificationConfig;
  readonly ledger: Ledger;
  readonly progress: ProgressStore;
  readonly leaderboards: LeaderboardStore;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: GamificationOptions) {
    this.config = options.config;
    this.ledger = options.ledger;
    this.progress = options.progress;
    this.leaderboards = options.leaderboards;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Applies every matching rule to the event, once per event id however often it is awarded. */
  async award(event: LoyaltyEvent): Promise<AwardResult> {
    const result: AwardResult = { eventId: event.id, memberId: event.memberId, credits: [], badges: [] };
    if (event.isSuspect) return { ...result, skipped: 'suspect' };
    const at = event.at ?? this.clock.now();
    const zone =
      event.timeZone !== undefined && isTimeZone(event.timeZone) ? event.timeZone : this.config.timeZone;
    const today = localDay(at, zone);
    const countsForStreak = this.config.streakEvents.includes(event.type);
    // Progress and the first credit are independent: sent together, they share a round trip.
    const recorded = this.progress.record({
      memberId: event.memberId,
      eventId: event.id,
      type: event.type,
      at,
      ...(countsForStreak ? { streakDay: { today, yesterday: previousDay(today) } } : {}),
    });
    recorded.catch(() => {}); // awaited below; a credit failing first must not leave it unhandled

    const programWeek = isoWeek(localDay(at, this.config.timeZone));
    let lifetime: number | undefined;
    let weekly: number | undefined;
    for (const rule of this.config.rules) {
      if (rule.event !== event.type || !isValidAt(rule, at)) continue;
      const outcome = await this.credit(rule, event, { today, week: isoWeek(today), programWeek });
      if (outcome === undefined) continue;
      // A replayed credit changed no score: its boards were raised when it was first applied (and
      // the member's next real credit raises them to the whole lifetime again).
      if (outcome.replayed) continue;
      lifetime = outcome.lifetime;
      weekly = outcome.weekly ?? weekly;
      if (outcome.entry !== undefined) {
        result.credits.push({ ruleId: rule.id, points: outcome.entry.delta, entry: outcome.entry });
      }
    }
    const progress = await recorded;
    if (lifetime !== undefined) {
      // Different boards live in different hash slots: raised side by side.
      await Promise.all([
        this.leaderboards.raise('all-time', event.memberId, lifetime, at),
        ...(weekly !== undefined
          ? [this.leaderboards.raise(`weekly:${programWeek}`, event.memberId, weekly, at)]
          : []),
      ]);
    }

    const due = this.config.badges
      .filter((badge) =>
        'streakDays' in badge
          ? progress.streak.current >= badge.streakDays
          : (progress.counts[badge.event] ?? 0) >= badge.count,
      )
      .map((badge) => badge.id)
      .filter((id) => !progress.badges.some((earned) => earned.id === id));
    if (due.length > 0) result.badges = await this.progress.award(event.memberId, due, at);
    if (!progress.isNew && result.credits.length === 0 && result.badges.length === 0) {
      return { ...result, skipped: 'duplicate' };
    }
    return result;
  }

  /**
   * For the identity layer when two members merge: moves every point (with its expiry) and the
   * lifetime total, adds counts, badges and streak to the surviving member, and lifts their all-time
   * rank. Safe to retry with the same key.
   */
  async mergeMembers(fromMemberId: string, toMemberId: string, idempotencyKey: string): Promise<void> {
    await this.ledger.moveAll(fromMemberId, toMemberId, idempotencyKey);
    await this.progress.merge(fromMemberId, toMemberId, idempotencyKey);
    const { lifetime } = await this.ledger.balance(toMemberId);
    await this.leaderboards.raise('all-time', toMemberId, lifetime, this.clock.now());
  }

  /** Points, tier, badges and streak of a member, as the agent and the handoff packet show them. */
  async profile(memberId: string, timeZone?: string): Promise<LoyaltyProfile> {
    const [balance, progress] = await Promise.all([
      this.ledger.balance(memberId),
      this.progress.read(memberId),
    ]);
    const zone = timeZone !== undefined && isTimeZone(timeZone) ? timeZone : this.config.timeZone;
    const today = localDay(this.clock.now(), zone);
    return {
      memberId,
      points: balance.balance,
      lifetimePoints: balance.lifetime,
      tier: tierFor(this.config.tiers, balance.lifetime),
      badges: progress.badges,
      streak: streakOn(progress.streak, today, previousDay(today)),
    };
  }

  /** "Top 10 and your rank" on the all-time board or this week's. */
  async standings(name: LeaderboardName, memberId?: string, size = 10): Promise<Standings> {
    const board =
      name === 'weekly' ? `weekly:${isoWeek(localDay(this.clock.now(), this.config.timeZone))}` : name;
    return { ...(await this.leaderboards.standings(board, memberId, size)), board: name };
  }

  private async credit(
    rule: EarnRule,
    event: LoyaltyEvent,
    period: { today: string; week: string; programWeek: string },
  ): Promise<
    | { entry: LedgerEntry | undefined; lifetime: number; weekly: number | undefined; replayed: boolean }
    | undefined
  > {
    const scope = { event: event.id, day: period.today, week: period.week, ever: 'ever' }[rule.once];
    const weeklyKey = `earned:week:${period.programWeek}`;
    const buckets: LedgerBucket[] = [{ key: weeklyKey, ttlMs: 36 * DAY_MS }];
    if (rule.caps.daily !== undefined) {
      buckets.push({ key: `cap:${rule.id}:day:${period.today}`, limit: rule.caps.daily, ttlMs: 2 * DAY_MS });
    }
    if (rule.caps.weekly !== undefined) {
      buckets.push({ key: `cap:${rule.id}:week:${period.week}`, limit: rule.caps.weekly, ttlMs: 8 * DAY_MS });
    }
    try {
      const credited = await this.ledger.credit({
        memberId: event.memberId,
        amount: rule.points,
        reason: `rule:${rule.id}`,
        idempotencyKey: `earn:${rule.id}:${event.memberId}:${scope}`,
        buckets,
      });
      return {
        entry: credited.entry,
        lifetime: credited.lifetime,
        weekly: credited.buckets[weeklyKey],
        replayed: credited.replayed,
      };
    } catch (error) {
      // The rule paid this scope already, before its points were changed in the configuration.
      if (hasCode(error, LedgerErrorCode.idempotencyConflict)) return undefined;
      this.logger.warn({ err: error, ruleId: rule.id, eventId: event.id }, 'loyalty rule failed');
      throw error;
    }
  }
}

function isValidAt(rule: EarnRule, at: number): boolean {
  return (
    (rule.validFrom === undefined || at >= rule.validFrom) &&
    (rule.validUntil === undefined || at < rule.validUntil)
  );
}
