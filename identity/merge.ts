import { randomUUID } from 'node:crypto';
import { evaluateChurn, recentContacts } from './churn.js';
import { IdentityErrorCode, identityError } from './errors.js';
import { checkKeyLimits, checkVerifiedEmails } from './identity-rules.js';
import { MAX_JOURNEY_EVENTS, type MemberRecord } from './member-record.js';
import type { AuditRecord } from './member-store.js';
import type { Members } from './members.js';

/** Who merges, and why: both go to the audit record. */
export interface MergeRequest {
  fromMemberId: string;
  toMemberId: string;
  actor: string;
  reason: string;
}

const conversationId = (c: { channelId: string; conversationId: string }) =>
  `${c.channelId}\n${c.conversationId}`;

/**
 * Merges one member into another, non-destructively: keys, conversations, contact counts and profile
 * fields the survivor lacks move to it; the merged member's record stays as a tombstone pointing at
 * the survivor; an audit record keeps both records as they were, so {@link unmergeMembers} can restore
 * the split. Emits `member.merged` once done. Throws 409 when a rule forbids the merge.
 *
 * Steps are each atomic (tombstone, audit, key moves, survivor update), not the whole: a crash in
 * between leaves a tombstone whose turns already follow it to the survivor, and an audit naming the
 * keys still to move.
 * TODO(issue 9): a repair job that finishes half-done merges from their audits.
 */
export async function mergeMembers(members: Members, request: MergeRequest): Promise<AuditRecord> {
  const { fromMemberId, toMemberId } = request;
  if (fromMemberId === toMemberId) {
    throw identityError(IdentityErrorCode.mergeNotAllowed, 'A member cannot be merged into itself', 409);
  }
  const to = await members.require(toMemberId);
  if (to.mergedInto !== undefined) {
    throw identityError(IdentityErrorCode.mergeNotAllowed, `Member "${to.id}" was merged into another`, 409);
  }
  const auditId = randomUUID();
  const at = members.clock.now();
  let from: MemberRecord | undefined;
  // Tombstone the merged member first: from then on its concurrent turns follow it to the survivor.
  await members.update(fromMemberId, (record) => {
    if (record.mergedInto !== undefined) {
      throw identityError(IdentityErrorCode.mergeNotAllowed, `Member "${record.id}" was already merged`, 409);
    }
    checkVerifiedEmails(record, to);
    checkKeyLimits([...to.identityKeys, ...record.identityKeys], members.rules);
    from = structuredClone(record);
    return { ...record, mergedInto: toMemberId, identityKeys: [], auditIds: [...record.auditIds, auditId] };
  });
  if (!from) throw identityError(IdentityErrorCode.memberNotFound, `No member "${fromMemberId}"`, 404);
  const audit: AuditRecord = {
    id: auditId,
    kind: 'merge',
    at,
    actor: request.actor,
    reason: request.reason,
    fromMemberId,
    toMemberId,
    movedKeys: [...from.identityKeys],
    movedConversations: from.conversations.map(conversationId),
    fromBefore: from,
    toBefore: to,
  };
  await members.store.putAudit(audit);
  for (const key of audit.movedKeys) await members.store.moveKey(key, fromMemberId, toMemberId);
  const merged = from;
  await members.update(toMemberId, (survivor) => absorb(members, survivor, merged, auditId));
  await members.events.emit('member.merged', {
    auditId,
    fromMemberId,
    toMemberId,
    actor: request.actor,
    at,
  });
  return audit;
}

/**
 * Undoes a merge from its audit: the keys and conversations that moved (and that the survivor still
 * holds) go back, contact counts and profile fields the merge brought are taken off the survivor, and
 * the merged member's record comes back as it was. What happened after the merge stays with the
 * survivor. Emits `member.unmerged`.
 */
export async function unmergeMembers(members: Members, auditId: string, actor: string): Promise<AuditRecord> {
  const audit = await members.store.getAudit(auditId);
  if (audit?.kind !== 'merge') {
    throw identityError(IdentityErrorCode.auditNotFound, `No merge audit "${auditId}"`, 404);
  }
  if (audit.unmergedAt !== undefined) {
    throw identityError(IdentityErrorCode.alreadyUnmerged, 'That merge was already undone', 409);
  }
  const { fromBefore, toBefore } = audit;
  if (!fromBefore || !toBefore) {
    throw identityError(IdentityErrorCode.mergeNotAllowed, 'An erase removed the data this merge needs', 409);
  }
  const at = members.clock.now();
  const keysBack: string[] = [];
  for (const key of audit.movedKeys) {
    if (await members.store.moveKey(key, audit.toMemberId, audit.fromMemberId)) keysBack.push(key);
  }
  const moved = new Set(audit.movedConversations);
  await members.update(audit.toMemberId, (to) => {
    const contacts = { ...to.contacts };
    for (const [channel, count] of Object.entries(fromBefore.contacts)) {
      const left = (contacts[channel] ?? 0) - count;
      if (left > 0) contacts[channel] = left;
      else delete contacts[channel];
    }
    const profile = { ...to.profile };
    for (const [field, value] of Object.entries(fromBefore.profile)) {
      if (toBefore.profile[field] === undefined && profile[field] === value) delete profile[field];
    }
    const verifiedEmails = to.verifiedEmails.filter(
      (email) => toBefore.verifiedEmails.includes(email) || !fromBefore.verifiedEmails.includes(email),
    );
    const isUntouched =
      to.lastContactAt === fromBefore.lastContactAt && fromBefore.lastContactAt !== undefined;
    const fromContacts = new Set((fromBefore.intentContacts ?? []).map((c) => c.contact));
    const ownContacts = new Set((toBefore.intentContacts ?? []).map((c) => c.contact));
    const intentContacts = (to.intentContacts ?? []).filter(
      (c) => ownContacts.has(c.contact) || !fromContacts.has(c.contact),
    );
    return {
      ...to,
      intentContacts,
      churnRisk: evaluateChurn(intentContacts, at, to.churnRisk, members.churnRule),
      identityKeys: to.identityKeys.filter((key) => !keysBack.includes(key)),
      conversations: to.conversations.filter((c) => !moved.has(conversationId(c))),
      contacts,
      profile,
      verifiedEmails,
      isAnonymous: toBefore.isAnonymous && verifiedEmails.length === 0,
      suspectContacts: Math.max(0, to.suspectContacts - fromBefore.suspectContacts),
      lastChannel: isUntouched ? toBefore.lastChannel : to.lastChannel,
      lastContactAt: isUntouched ? toBefore.lastContactAt : to.lastContactAt,
      auditIds: [...to.auditIds, auditId],
    };
  });
  await members.update(audit.fromMemberId, (from) => ({
    ...fromBefore,
    identityKeys: fromBefore.identityKeys.filter((key) => keysBack.includes(key)),
    mergedInto: undefined,
    auditIds: [...from.auditIds, auditId],
  }));
  const undone: AuditRecord = { ...audit, unmergedAt: at, unmergedBy: actor };
  await members.store.putAudit(undone);
  await members.events.emit('member.unmerged', {
    auditId,
    fromMemberId: audit.fromMemberId,
    toMemberId: audit.toMemberId,
    actor,
    at,
  });
  return undone;
}

/** The survivor after taking in `from`: its own values win, `from` fills the gaps. */
function absorb(members: Members, to: MemberRecord, from: MemberRecord, auditId: string): MemberRecord {
  // One customer's contacts on both members count together for the churn rule.
  const now = members.clock.now();
  const ownContacts = new Set((to.intentContacts ?? []).map((c) => c.contact));
  const intentContacts = recentContacts(
    [...(to.intentContacts ?? []), ...(from.intentContacts ?? []).filter((c) => !ownContacts.has(c.contact))],
    now,
    members.churnRule,
  )
    .sort((a, b) => a.at - b.at)
    .slice(-members.churnRule.maxContacts);
  const contacts = { ...to.contacts };
  for (const [channel, count] of Object.entries(from.contacts))
    contacts[channel] = (contacts[channel] ?? 0) + count;
  const known = new Set(to.conversations.map(conversationId));
  const conversations = [
    ...to.conversations,
    ...from.conversations.filter((c) => !known.has(conversationId(c))),
  ];
  conversations.sort((a, b) => a.firstAt - b.firstAt);
  const isFromLater = (from.lastContactAt ?? -1) > (to.lastContactAt ?? -1);
  return {
    ...to,
    identityKeys: [...to.identityKeys, ...from.identityKeys.filter((key) => !to.identityKeys.includes(key))],
    verifiedEmails: [...new Set([...to.verifiedEmails, ...from.verifiedEmails])],
    isAnonymous: to.isAnonymous && from.isAnonymous,
    profile: { ...from.profile, ...to.profile },
    contacts,
    conversations,
    suspectContacts: to.suspectContacts + from.suspectContacts,
    lastSuspectAt: Math.max(to.lastSuspectAt ?? 0, from.lastSuspectAt ?? 0) || undefined,
    lastChannel: isFromLater ? from.lastChannel : to.lastChannel,
    lastContactAt: isFromLater ? from.lastContactAt : to.lastContactAt,
    auditIds: [...to.auditIds, auditId],
    journey: [...(to.journey ?? []), ...(from.journey ?? [])]
      .sort((a, b) => a.at - b.at)
      .slice(-MAX_JOURNEY_EVENTS),
    intentContacts,
    churnRisk: evaluateChurn(intentContacts, now, to.churnRisk ?? from.churnRisk, members.churnRule),
  };
}
