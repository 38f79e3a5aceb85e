import { randomUUID } from 'node:crypto';
import type { Storage, TranscriptStore } from 'botbuilder';
import type { MemberConversation, MemberRecord } from './member-record.js';
import type { AuditRecord } from './member-store.js';
import type { Members } from './members.js';
import { type ConversationTranscript, readTranscripts } from './transcripts.js';
import { StorageConflictError } from '../storage/errors.js';
import { ACTIVITY_OUTBOX_PROPERTY } from '../storage/activity-outbox.js';
import { OUTBOX_PROPERTY } from '../storage/turn-outbox.js';
import type { ExpiringStorage } from '../storage/types.js';
import { ERASED_CONVERSATION_TTL_MS } from '../core/turn-commit.js';

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
    /** Items deleted from botbuilder `Storage`: turn state, conversation state and references. */
    storageItems: number;
  };
}

/** Where other stages keep a member's data in botbuilder `Storage`, to erase it. */
export interface ErasableStorageKeys {
  /** Items of one member (its own or a merged member's id). */
  ofMember(memberId: string): string[];
  /** Items of one of the member's conversations. */
  ofConversation(conversation: Pick<MemberConversation, 'channelId' | 'conversationId'>): string[];
}

/**
 * Relevo's own layout (kept in step with the writers; the erase test scans Redis to prove it):
 * - `members/<id>/state`: the member's turn state (storage/state-middleware.ts `defaultStateKeys`);
 * - `<channelId>/conversations/<id>`: the conversation's state, dialog state included (same file);
 * - `references/<channelId>/<id>`: the conversation reference for proactive messages
 *   (bots/conversation-references.ts; it holds the customer's identity key and name);
 * - `handoff/conversation/<channelId>/<id>`: the handoff signals and per-turn NLU of the conversation
 *   (handoff/conversation-state.ts): scores and intents only, but keyed by the conversation id and
 *   holding message ids, which name the customer's conversation.
 */
export const defaultErasableStorageKeys: ErasableStorageKeys = {
  ofMember: (memberId) => [`members/${memberId}/state`],
  ofConversation: ({ channelId, conversationId }) => [
    `${channelId}/conversations/${conversationId}`,
    `references/${channelId}/${conversationId}`,
    `handoff/conversation/${channelId}/${conversationId}`,
  ],
};

/**
 * Deletes what a channel itself keeps of one conversation (web chat: its Direct Line record and
 * activity log), by the channel's id. The channel provides it to the composition root, which passes
 * the map on here: identity imports no connector.
 */
export type ConversationErasers = ReadonlyMap<string, (conversationId: string) => Promise<void>>;

/** A conversation an erase inside a turn leaves to the turn's own commit (see {@link finishErase}). */
export type ConversationRef = Pick<MemberConversation, 'channelId' | 'conversationId'>;

/** What {@link eraseMember} needs besides the member. */
export interface EraseOptions {
  actor: string;
  reason: string;
  transcripts: TranscriptStore | undefined;
  /** The agent's botbuilder `Storage` (`stores.storage`); absent, nothing there is erased. */
  storage?: Storage | undefined;
  /** Which `storage` items belong to a member; default {@link defaultErasableStorageKeys}. */
  storageKeys?: ErasableStorageKeys | undefined;
  /** The channels' own data of the member's conversations (web chat's Direct Line log). */
  conversationErasers?: ConversationErasers | undefined;
  /**
   * For an erase inside a turn ("forget me"): receives what is left to erase once the turn is over
   * (run it with {@link finishErase}). The state stage saves this conversation's state after the
   * dialog, and the transcript stage logs the goodbye, so the storage items and transcripts are erased
   * (again) after them, not under them.
   */
  afterTurn?: ((pending: PendingErase) => void) | undefined;
}

/**
 * The last step of an erase asked for inside a turn: the storage items and transcripts to delete once
 * the turn is over. Plain JSON, so a queued turn's outbox keeps it for a replay of the turn.
 */
export interface PendingErase {
  storageKeys: string[];
  conversations: ConversationRef[];
  /**
   * The erased member's identity keys: a replay of the turn that finds a fresh, empty member owning
   * one of them (the identity stage created it before the replay was known) removes it too.
   */
  identityKeys?: string[];
  /**
   * In a queued turn's outbox, instead of `identityKeys` (which may be addresses, kept past the erase
   * until the conversation's next queued turn): whether they held the key of the turn's sender.
   */
  forgetsSender?: boolean;
}

/** Whether `value` (read back from storage) is a {@link PendingErase}. */
export function isPendingErase(value: unknown): value is PendingErase {
  const pending = value as Partial<PendingErase> | null;
  return (
    typeof pending === 'object' &&
    pending !== null &&
    Array.isArray(pending.storageKeys) &&
    pending.storageKeys.every((key) => typeof key === 'string') &&
    Array.isArray(pending.conversations) &&
    pending.conversations.every(
      (c) => typeof c?.channelId === 'string' && typeof c.conversationId === 'string',
    ) &&
    (pending.identityKeys === undefined ||
      (Array.isArray(pending.identityKeys) &&
        pending.identityKeys.every((key) => typeof key === 'string'))) &&
    (pending.forgetsSender === undefined || typeof pending.forgetsSender === 'boolean')
  );
}

/** Where {@link finishErase} deletes, and what it leaves to a queued turn. */
export interface FinishEraseOptions {
  /** The agent's botbuilder `Storage` (`stores.storage`); absent, nothing there is erased. */
  storage?: Storage | undefined;
  /** Absent, no transcript is erased. */
  transcripts?: TranscriptStore | undefined;
  /** The channels' own data of the conversations (web chat's Direct Line log). */
  conversationErasers?: ConversationErasers | undefined;
  /**
   * A queued turn's inbound id: a state document holding that turn's outbox is cut down to the outbox
   * (the turn's replies and side work, nothing the customer said) instead of deleted, so a re-delivery
   * of the turn finds it and replays the turn instead of running it again on empty state; it expires
   * after `ERASED_CONVERSATION_TTL_MS` (core/turn-commit.ts) unless a later turn saves.
   */
  keepOutboxOf?: string | undefined;
  /**
   * The same for a turn run in its request under the dedupe stage's claim (a Bot Framework invoke or
   * `expectReplies` message), by its activity id: the document keeps that turn's entry of its
   * `activityOutbox` only, so the platform's retry (after the turn failed, or its process died, past
   * the erase) replays the goodbye and finishes the erase again rather than running "yes" afresh.
   */
  keepActivityOutboxOf?: string | undefined;
  /**
   * The turn's own conversation, whose channel data is left to that turn's commit: web chat still shows
   * the goodbye from its log, then deletes it (core/turn-commit.ts `conversationErased`).
   */
  turnConversation?: ConversationRef | undefined;
}

/** Deletes what `pending` names; idempotent, so a turn run again may finish the same erase again. */
export async function finishErase(pending: PendingErase, options: FinishEraseOptions = {}): Promise<void> {
  const { storage, transcripts, turnConversation } = options;
  if (storage) await eraseStorage(storage, pending.storageKeys, options);
  if (transcripts) {
    for (const c of pending.conversations) await transcripts.deleteTranscript(c.channelId, c.conversationId);
  }
  const others = pending.conversations.filter(
    (c) =>
      c.channelId !== turnConversation?.channelId || c.conversationId !== turnConversation.conversationId,
  );
  await eraseChannelData(options.conversationErasers, others);
}

/** Deletes the channels' own data of `conversations` (those of a channel without an eraser have none). */
async function eraseChannelData(
  erasers: ConversationErasers | undefined,
  conversations: readonly ConversationRef[],
): Promise<void> {
  for (const c of conversations) await erasers?.get(c.channelId)?.(c.conversationId);
}

/**
 * Erases a member (GDPR art. 17): every identity key, the transcripts of its conversations, their
 * state, references and handoff state in `storage`, the member's turn state, a pending link code, the
 * records of members merged into it, the channels' own data of its conversations (web chat's Direct
 * Line log), and the personal data in its merge audits. Dedupe keys, turn locks
 * and rate-limit counters are not touched: they hold activity, conversation or identity-key names only
 * for seconds to hours and expire on their own (docs/identity.md). An
 * erase audit records who/when/why and the counts, under the member's random id only. Emits
 * `member.erased` so the ledger anonymises its entries.
 */
export async function eraseMember(
  members: Members,
  id: string,
  options: EraseOptions,
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
  const storage = options.storage;
  const storageKeys = storage
    ? erasableKeys(
        options.storageKeys ?? defaultErasableStorageKeys,
        [id, ...merged.map((m) => m.id)],
        conversations,
      )
    : [];
  let storageItems = 0;
  if (storage && options.afterTurn) {
    for (let i = 0; i < storageKeys.length; i += 100) {
      storageItems += Object.keys(await storage.read(storageKeys.slice(i, i + 100))).length;
    }
    options.afterTurn({
      storageKeys,
      conversations: conversations.map(({ channelId, conversationId }) => ({ channelId, conversationId })),
      identityKeys: [...member.identityKeys],
    });
  } else if (storage) storageItems = await eraseStorage(storage, storageKeys);
  // Inside a turn the channels' data goes once the turn is over, with the rest (finishErase).
  if (!(storage && options.afterTurn)) await eraseChannelData(options.conversationErasers, conversations);
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
    storageItems,
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

/** The storage items of the members and their conversations. */
function erasableKeys(
  keysOf: ErasableStorageKeys,
  memberIds: string[],
  conversations: MemberConversation[],
): string[] {
  return [
    ...new Set([...memberIds.flatMap(keysOf.ofMember), ...conversations.flatMap(keysOf.ofConversation)]),
  ];
}

/**
 * Deletes storage items (but the outbox of the queued turn `keepOutboxOf`, or the activity outbox entry
 * of the claimed turn `keepActivityOutboxOf`); answers how many existed.
 */
async function eraseStorage(
  storage: Storage,
  keys: string[],
  keep: Pick<FinishEraseOptions, 'keepOutboxOf' | 'keepActivityOutboxOf'> = {},
): Promise<number> {
  let found = 0;
  // In batches: a member may have up to 200 conversations per record.
  for (let i = 0; i < keys.length; i += 100) {
    const batch = keys.slice(i, i + 100);
    const items = await storage.read(batch);
    found += Object.keys(items).length;
    const kept: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(items)) {
      const left = keptOutbox(item as Record<string, unknown>, keep);
      // Written under the eTag read: a turn that saved meanwhile keeps its state.
      if (left) kept[key] = { ...left, eTag: (item as { eTag?: string }).eTag };
    }
    await storage.delete(batch.filter((key) => !(key in kept)));
    // A conflict: a later turn saved that state meanwhile, and its own outbox replaces this one. The
    // outbox lives only as long as a re-delivery may need it; the conversation's next save keeps its
    // state for good. On a storage without expiry (not one of Relevo's) it stays until that save.
    if (Object.keys(kept).length > 0) {
      const expiring = storage as ExpiringStorage;
      await expiring.write(kept, { ttlMs: ERASED_CONVERSATION_TTL_MS }).catch((error: unknown) => {
        if (!(error instanceof StorageConflictError)) throw error;
      });
    }
  }
  return found;
}

/** What of a conversation's state document an erase keeps for the turn that asked for it, if anything. */
function keptOutbox(
  item: Record<string, unknown>,
  { keepOutboxOf, keepActivityOutboxOf }: Pick<FinishEraseOptions, 'keepOutboxOf' | 'keepActivityOutboxOf'>,
): Record<string, unknown> | undefined {
  const outbox = item[OUTBOX_PROPERTY] as { id?: unknown } | undefined;
  if (keepOutboxOf !== undefined && outbox?.id === keepOutboxOf) return { [OUTBOX_PROPERTY]: outbox };
  const list = item[ACTIVITY_OUTBOX_PROPERTY];
  if (keepActivityOutboxOf === undefined || !Array.isArray(list)) return undefined;
  // Only that turn's entry: the others' answers are the customer's too, and no retry of theirs is due.
  const own = (list as { id?: unknown }[]).find((entry) => entry?.id === keepActivityOutboxOf);
  // Marked, so the conversation's next save drops it: that save lifts the time to live it is kept for.
  return own ? { [ACTIVITY_OUTBOX_PROPERTY]: [{ ...own, erased: true }] } : undefined;
}

/** The audits a member took part in, oldest first. */
export async function auditsOf(members: Members, member: MemberRecord): Promise<AuditRecord[]> {
  const found = await Promise.all([...new Set(member.auditIds)].map((id) => members.store.getAudit(id)));
  return found.filter((a): a is AuditRecord => a !== undefined).sort((a, b) => a.at - b.at);
}
