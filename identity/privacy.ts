import { randomUUID } from 'node:crypto';
import type { TranscriptStore } from 'botbuilder';
import type { MemberRecord } from './member-record.js';
import type { AuditRecord } from './member-store.js';
import type { Members } from './members.js';
import { type ConversationTranscript, readTranscripts } from './transcripts.js';

/** Everything Relevo's identity layer holds about a member (GDPR art. 15 and 20), as JSON. */
export interface MemberExport {
  exportedAt: string;
  member: MemberRecord;
  /** Members merged into this one: their records as they were at the merge. */
  mergedMembers: MemberRecord[];
  audits: AuditRecord[];
  conversations: ConversationTranscript[];
}

/** Exports a member: its record, the members merged into it, its audits and its transcripts. */
export async function exportMember(
  members: Members,
  id: string,
  transcripts: TranscriptStore | undefined,
): Promise<MemberExport> {
  const member = await members.require(id);
  const audits = await auditsOf(members, member);
  const mergedMembers = audits
    .filter((a) => a.kind === 'merge' && a.toMemberId === id && a.unmergedAt === undefined && a.fromBefore)
    .map((a) => a.fromBefore as MemberRecord);
  return {
    exportedAt: new Date(members.clock.now()).toISOString(),
    member,
    mergedMembers,
    audits,
    conversations: transcripts ? await readTranscripts(transcripts, member.conversations) : [],
  };
}

/** What {@link eraseMember} removed, in counts (the values are gone). */
export interface ErasureReport {
  memberId: string;
  auditId: string;
  erased: {
    identityKeys: number;
    conversations: number;
    mergedMembers: number;
    linkCodes: number;
    auditsScrubbed: number;
  };
}

/**
 * Erases a member (GDPR art. 17): every identity key, the transcripts of its conversations, a pending
 * link code, the records of members merged into it, and the personal data in its merge audits. An
 * erase audit records who/when/why and the counts, under the member's random id only. Emits
 * `member.erased` so the ledger anonymises its entries.
 */
export async function eraseMember(
  members: Members,
  id: string,
  options: { actor: string; reason: string; transcripts: TranscriptStore | undefined },
): Promise<ErasureReport> {
  const member = await members.require(id);
  const audits = await auditsOf(members, member);
  const merged: MemberRecord[] = [];
  for (const audit of audits) {
    if (audit.kind !== 'merge' || audit.toMemberId !== id || audit.unmergedAt !== undefined) continue;
    const tombstone = await members.get(audit.fromMemberId);
    if (tombstone?.mergedInto === id) merged.push(tombstone);
  }
  let keys = 0;
  for (const key of member.identityKeys) if (await members.store.releaseKey(key, id)) keys++;
  const conversations = [...member.conversations, ...merged.flatMap((m) => m.conversations)];
  if (options.transcripts) {
    for (const c of conversations) await options.transcripts.deleteTranscript(c.channelId, c.conversationId);
  }
  const hadCode = (await members.store.getSecret(`link:${id}`)) !== undefined;
  await members.store.deleteSecret(`link:${id}`);
  for (const audit of audits) {
    await members.store.putAudit({
      ...audit,
      movedKeys: [],
      movedConversations: [],
      fromBefore: undefined,
      toBefore: undefined,
      isScrubbed: true,
    });
  }
  for (const tombstone of merged) await members.store.delete(tombstone.id);
  await members.store.delete(id);
  const at = members.clock.now();
  const erased = {
    identityKeys: keys,
    conversations: conversations.length,
    mergedMembers: merged.length,
    linkCodes: hadCode ? 1 : 0,
    auditsScrubbed: audits.length,
  };
  const auditId = randomUUID();
  await members.store.putAudit({
    id: auditId,
    kind: 'erase',
    at,
    actor: options.actor,
    reason: options.reason,
    fromMemberId: id,
    toMemberId: '',
    movedKeys: [],
    movedConversations: [],
    erased,
  });
  await members.events.emit('member.erased', { auditId, memberId: id, actor: options.actor, at });
  return { memberId: id, auditId, erased };
}

/** The audits a member took part in, oldest first. */
export async function auditsOf(members: Members, member: MemberRecord): Promise<AuditRecord[]> {
  const found = await Promise.all([...new Set(member.auditIds)].map((id) => members.store.getAudit(id)));
  return found.filter((a): a is AuditRecord => a !== undefined).sort((a, b) => a.at - b.at);
}
