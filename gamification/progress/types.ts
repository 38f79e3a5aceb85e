/** A member's daily activity streak, by calendar days in their own time zone. */
export interface Streak {
  /** Consecutive days up to `lastDay`. */
  current: number;
  best: number;
  /** `YYYY-MM-DD` of the last active day, or `''` before any. */
  lastDay: string;
}

export interface EarnedBadge {
  id: string;
  at: number;
}

/** What the member has done, as badges and streaks need it. */
export interface MemberProgress {
  /** How many distinct events of each type the member has had. */
  counts: Record<string, number>;
  streak: Streak;
  badges: EarnedBadge[];
}

export interface ProgressEvent {
  memberId: string;
  /** Idempotency key: an event counts once however often it is recorded. */
  eventId: string;
  type: string;
  at: number;
  /** The member's `YYYY-MM-DD` today and yesterday (their time zone), when the event counts for streaks. */
  streakDay?: { today: string; yesterday: string };
}

/**
 * Counts, streaks and badges per member, each event counted once. Memory and Redis implementations
 * (one Lua script per record on Redis, keys under the member's hash tag).
 */
export interface ProgressStore {
  /** Counts the event (once per event id) and returns the progress after it, with `isNew`. */
  record(event: ProgressEvent): Promise<MemberProgress & { isNew: boolean }>;
  read(memberId: string): Promise<MemberProgress>;
  /** Adds badges not yet earned; returns those that were new. */
  award(memberId: string, badgeIds: string[], at: number): Promise<string[]>;
  /**
   * Adds `from`'s counts, badges and streak to `to`, once per `key` (identity merges). `from` keeps its
   * own record: merges are non-destructive.
   */
  merge(fromMemberId: string, toMemberId: string, key: string): Promise<void>;
}

/** `to` after adding `from`: counts summed, each badge at its earliest, the more recent streak. */
export function mergedProgress(to: MemberProgress, from: MemberProgress): MemberProgress {
  const counts = { ...to.counts };
  for (const [type, n] of Object.entries(from.counts)) counts[type] = (counts[type] ?? 0) + n;
  const badges = new Map(to.badges.map((badge) => [badge.id, badge.at]));
  for (const badge of from.badges) badges.set(badge.id, Math.min(badge.at, badges.get(badge.id) ?? badge.at));
  const recent = from.streak.lastDay > to.streak.lastDay ? from.streak : to.streak;
  return {
    counts,
    badges: [...badges]
      .map(([id, at]) => ({ id, at }))
      .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id)),
    streak: { ...recent, best: Math.max(from.streak.best, to.streak.best) },
  };
}

/** The streak as it stands on `today`: a streak whose last day is before yesterday is broken. */
export function streakOn(streak: Streak, today: string, yesterday: string): Streak {
  return streak.lastDay === today || streak.lastDay === yesterday ? streak : { ...streak, current: 0 };
}

/** Days an event id is remembered for dedupe (X re-delivers up to 5 days later). */
export const EVENT_MEMORY_MS = 6 * 86_400_000;
