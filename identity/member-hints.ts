import type { VersionedMember } from './member-record.js';
import { cloneData } from '../core/clone.js';

/**
 * What this process last saw of identity keys and member records, kept five minutes so a member's
 * next message, at the pace a person types, needs no lookup. A stale hint costs little more than none:
 * the turn path proves a hint by reading the record's version (`Members.prove`), so a record changed by
 * another process (or merged, or erased) is read again and the hint replaced; the contact is then
 * written with a compare-and-set on the version proven. Nothing else reads them.
 */
export class MemberHints {
  private readonly owners = new Map<string, { id: string; until: number }>();
  private readonly records = new Map<string, { member: VersionedMember; until: number }>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 300_000,
    private readonly maxEntries = 10_000,
  ) {}

  owner(key: string): string | undefined {
    const hint = this.owners.get(key);
    return hint && hint.until > this.now() ? hint.id : undefined;
  }

  record(id: string): VersionedMember | undefined {
    const hint = this.records.get(id);
    return hint && hint.until > this.now() ? hint.member : undefined;
  }

  rememberOwner(key: string, id: string): void {
    remember(this.owners, key, { id, until: this.now() + this.ttlMs }, this.maxEntries);
  }

  remember(member: VersionedMember): void {
    // A copy: a caller changing the record it was given must not change the hint.
    const copy = { record: cloneData(member.record), version: member.version };
    remember(
      this.records,
      member.record.id,
      { member: copy, until: this.now() + this.ttlMs },
      this.maxEntries,
    );
  }

  forget(key: string, id: string | undefined): void {
    this.owners.delete(key);
    if (id !== undefined) this.records.delete(id);
  }
}

/** Sets `key` as the newest entry, dropping the oldest ones beyond `max` (Map keeps insertion order). */
function remember<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
}
