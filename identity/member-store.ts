import type { MemberRecord, VersionedMember } from './member-record.js';

/**
 * What a merge (or an erase) did, kept so agents can see who/when/why and `unmerge` can restore the
 * previous split. Erasing a member scrubs the personal data (snapshots, keys) from its audits.
 */
export interface AuditRecord {
  id: string;
  kind: 'merge' | 'erase';
  at: number;
  /** Who asked: `link-code`, `agent:<name>`, `api`, … */
  actor: string;
  reason: string;
  /** The member that was merged away (merge), or the erased member (erase). */
  fromMemberId: string;
  /** The surviving member (merge); empty for an erase. */
  toMemberId: string;
  movedKeys: string[];
  /** `channelId\nconversationId` of the conversations that moved. */
  movedConversations: string[];
  /** Both records as they were just before the merge; `undefined` once scrubbed by an erase. */
  fromBefore?: MemberRecord | undefined;
  toBefore?: MemberRecord | undefined;
  unmergedAt?: number | undefined;
  unmergedBy?: string | undefined;
  /** For an erase: how many of each thing were erased (no values). */
  erased?: Record<string, number> | undefined;
  isScrubbed?: boolean | undefined;
}

/**
 * The storage primitives members are built on, each atomic on its own: versioned member records, an
 * index from identity key to member id with compare-and-set moves, audits, short-lived secrets (link
 * codes) and rate counters. `Members` composes them; a store holds no identity rules.
 */
export interface MemberStore {
  get(id: string): Promise<VersionedMember | undefined>;
  /** The version of the member's record (one small read), `undefined` if there is none. */
  version(id: string): Promise<number | undefined>;
  /** Stores a new record at version 1; `false` when one with that id exists. */
  create(record: MemberRecord): Promise<boolean>;
  /** Replaces a record if it is still at `expectedVersion`; `false` on a conflict or if it is gone. */
  replace(record: MemberRecord, expectedVersion: number): Promise<boolean>;
  delete(id: string): Promise<void>;

  /** The id of the member owning `key`, if any. */
  ownerOf(key: string): Promise<string | undefined>;
  /** Gives `key` to `memberId` unless owned: answers the owner afterwards (the caller wins if equal). */
  claimKey(key: string, memberId: string): Promise<string>;
  /** Moves `key` from one member to another if `from` still owns it. */
  moveKey(key: string, from: string, to: string): Promise<boolean>;
  /** Frees `key` if `memberId` owns it. */
  releaseKey(key: string, memberId: string): Promise<boolean>;

  putAudit(audit: AuditRecord): Promise<void>;
  getAudit(id: string): Promise<AuditRecord | undefined>;

  /** Keeps a small JSON value for `ttlMs` (a garbage-collection bound; callers check expiry themselves). */
  putSecret(name: string, value: Record<string, unknown>, ttlMs: number): Promise<void>;
  getSecret(name: string): Promise<Record<string, unknown> | undefined>;
  deleteSecret(name: string): Promise<void>;

  /** Counts one hit on `counter` and answers the count, forgotten after `ttlMs`. */
  hit(counter: string, ttlMs: number): Promise<number>;
}
