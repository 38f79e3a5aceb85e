import type { Activity, TranscriptStore } from 'botbuilder';
import type { MemberConversation, MemberRecord } from './member-record.js';
import type { Members } from './members.js';
import { auditsOf } from './privacy.js';
import { readTranscripts, timeline } from './transcripts.js';

/**
 * Adds a section to the 360° profile from another folder (points, tier and badges from the ledger,
 * CSAT/NPS from analytics, handoffs from the desk) without identity importing it.
 */
export type ProfileSection = (member: MemberRecord) => Promise<Record<string, unknown>>;

/** The 360° profile an agent reads: who the customer is, and everything they said on every channel. */
export interface MemberProfile {
  id: string;
  isAnonymous: boolean;
  isSuspect: boolean;
  mergedInto: string | undefined;
  identityKeys: string[];
  verifiedEmails: string[];
  displayName: string | undefined;
  language: string | undefined;
  createdAt: string;
  contacts: Record<string, number>;
  lastChannel: string | undefined;
  lastContactAt: string | undefined;
  /** Set while the churn rule holds (3 contacts in 7 days about one intent), as of the last contact. */
  churnRisk: { intent: string; since: string } | undefined;
  conversations: (Omit<MemberConversation, 'firstAt' | 'lastAt'> & { firstAt: string; lastAt: string })[];
  audits: {
    id: string;
    kind: string;
    at: string;
    actor: string;
    reason: string;
    from: string;
    to: string;
    unmergedAt?: string;
  }[];
  /** Every activity of every conversation, oldest first across channels. */
  transcript: Activity[];
  [section: string]: unknown;
}

/** Builds the 360° profile of a member, with the transcripts when a store is given. */
export async function buildProfile(
  members: Members,
  member: MemberRecord,
  options: { transcripts?: TranscriptStore | undefined; sections?: readonly ProfileSection[] } = {},
): Promise<MemberProfile> {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const audits = await auditsOf(members, member);
  const transcripts = options.transcripts
    ? await readTranscripts(options.transcripts, member.conversations)
    : [];
  const extra = await Promise.all((options.sections ?? []).map((section) => section(member)));
  return {
    ...Object.assign({}, ...extra),
    id: member.id,
    isAnonymous: member.isAnonymous,
    isSuspect: member.suspectContacts > 0,
    mergedInto: member.mergedInto,
    identityKeys: member.identityKeys,
    verifiedEmails: member.verifiedEmails,
    displayName: member.profile.displayName,
    language: member.profile.language,
    createdAt: new Date(member.createdAt).toISOString(),
    contacts: member.contacts,
    lastChannel: member.lastChannel,
    lastContactAt: iso(member.lastContactAt),
    churnRisk: member.churnRisk && {
      intent: member.churnRisk.intent,
      since: new Date(member.churnRisk.since).toISOString(),
    },
    conversations: [...member.conversations]
      .sort((a, b) => a.firstAt - b.firstAt)
      .map((c) => ({
        ...c,
        firstAt: new Date(c.firstAt).toISOString(),
        lastAt: new Date(c.lastAt).toISOString(),
      })),
    audits: audits.map((a) => ({
      id: a.id,
      kind: a.kind,
      at: new Date(a.at).toISOString(),
      actor: a.actor,
      reason: a.reason,
      from: a.fromMemberId,
      to: a.toMemberId,
      ...(a.unmergedAt === undefined ? {} : { unmergedAt: new Date(a.unmergedAt).toISOString() }),
    })),
    transcript: timeline(transcripts),
  };
}
