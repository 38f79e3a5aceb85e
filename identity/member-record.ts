import type { MemberSnapshot } from '../core/turn-state.js';
import type { ChurnRisk, IntentContact } from './churn.js';

/** One conversation a member had: where, and when it was first and last seen. */
export interface MemberConversation {
  channelId: string;
  conversationId: string;
  firstAt: number;
  lastAt: number;
}

/**
 * The full, stored record of a member (identity owns it; other stages see a {@link MemberSnapshot}).
 * Times are milliseconds since the epoch.
 */
export interface MemberRecord {
  id: string;
  createdAt: number;
  /** True until the member proved an email address (or was created for one). */
  isAnonymous: boolean;
  /** Identity keys owned by this member, in the order they were added. */
  identityKeys: string[];
  /** Email addresses proven with a one-time code (lower case). */
  verifiedEmails: string[];
  /** Free profile fields (displayName, language, …); merging fills the survivor's gaps only. */
  profile: Record<string, string>;
  /** Inbound messages per identity channel (`webchat`, `email`, …). */
  contacts: Record<string, number>;
  lastChannel?: string | undefined;
  lastContactAt?: number | undefined;
  conversations: MemberConversation[];
  /** How many inbound messages a connector flagged as a possibly forged sender, and the last time. */
  suspectContacts: number;
  lastSuspectAt?: number | undefined;
  /** Set when this member was merged into another: the record stays, so `unmerge` can restore it. */
  mergedInto?: string | undefined;
  /** Merge audits this member took part in, oldest first. */
  auditIds: string[];
  /** The latest journey events (page views, cart changes…), oldest first, at most {@link MAX_JOURNEY_EVENTS}. */
  journey?: JourneyEntry[] | undefined;
  /** The qualifying intents of the member's contacts in the churn window (identity/churn.ts), oldest first. */
  intentContacts?: IntentContact[] | undefined;
  /** Set while the churn rule holds, as of the member's last contact with an intent. */
  churnRisk?: ChurnRisk | undefined;
}

/** One journey event as kept on the member. */
export interface JourneyEntry {
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/** Most journey events kept per member. */
export const MAX_JOURNEY_EVENTS = 50;

/** A record as read, with the version a conditional write must present. */
export interface VersionedMember {
  record: MemberRecord;
  version: number;
}

/** Most conversations kept per member: older ones drop off the profile (their transcripts stay). */
export const MAX_CONVERSATIONS = 200;

/** A fresh member owning `keys`. */
export function newMemberRecord(id: string, keys: string[], at: number, isAnonymous = true): MemberRecord {
  return {
    id,
    createdAt: at,
    isAnonymous,
    identityKeys: [...keys],
    verifiedEmails: [],
    profile: {},
    contacts: {},
    conversations: [],
    suspectContacts: 0,
    auditIds: [],
  };
}

/** What later pipeline stages may see of a member on one turn. */
export function toSnapshot(record: MemberRecord, isSuspect = false): MemberSnapshot {
  return {
    id: record.id,
    identityKeys: [...record.identityKeys],
    isAnonymous: record.isAnonymous,
    isSuspect,
    displayName: record.profile.displayName,
    language: record.profile.language,
    ...(record.churnRisk ? { churnRisk: { ...record.churnRisk } } : {}),
  };
}
