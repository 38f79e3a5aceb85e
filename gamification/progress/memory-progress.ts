import {
  type EarnedBadge,
  EVENT_MEMORY_MS,
  type MemberProgress,
  mergedProgress,
  type ProgressEvent,
  type ProgressStore,
} from './types.js';

/** {@link ProgressStore} in process memory. */
export class MemoryProgressStore implements ProgressStore {
  private readonly members = new Map<string, MemberProgress>();
  private readonly seen = new Map<string, number>();
  private readonly merges = new Set<string>();

  async record(event: ProgressEvent): Promise<MemberProgress & { isNew: boolean }> {
    const progress = this.progress(event.memberId);
    const seenKey = `${event.memberId}\u0000${event.eventId}`;
    const until = this.seen.get(seenKey);
    if (until !== undefined && until > event.at) return { ...structuredClone(progress), isNew: false };
    this.seen.set(seenKey, event.at + EVENT_MEMORY_MS);
    progress.counts[event.type] = (progress.counts[event.type] ?? 0) + 1;
    const day = event.streakDay;
    if (day !== undefined && progress.streak.lastDay !== day.today) {
      progress.streak.current = progress.streak.lastDay === day.yesterday ? progress.streak.current + 1 : 1;
      progress.streak.best = Math.max(progress.streak.best, progress.streak.current);
      progress.streak.lastDay = day.today;
    }
    return { ...structuredClone(progress), isNew: true };
  }

  async read(memberId: string): Promise<MemberProgress> {
    return structuredClone(this.members.get(memberId) ?? empty());
  }

  async award(memberId: string, badgeIds: string[], at: number): Promise<string[]> {
    const progress = this.progress(memberId);
    const fresh = badgeIds.filter((id) => !progress.badges.some((badge) => badge.id === id));
    progress.badges.push(...fresh.map((id): EarnedBadge => ({ id, at })));
    return fresh;
  }

  async merge(fromMemberId: string, toMemberId: string, key: string): Promise<void> {
    if (this.merges.has(key)) return;
    this.merges.add(key);
    this.members.set(toMemberId, mergedProgress(this.progress(toMemberId), await this.read(fromMemberId)));
  }

  private progress(memberId: string): MemberProgress {
    let progress = this.members.get(memberId);
    if (progress === undefined) {
      progress = empty();
      this.members.set(memberId, progress);
    }
    return progress;
  }
}

function empty(): MemberProgress {
  return { counts: {}, streak: { current: 0, best: 0, lastDay: '' }, badges: [] };
}
