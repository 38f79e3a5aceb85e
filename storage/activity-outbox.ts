import type { Activity } from 'botbuilder';
import type { ClaimedActivity } from '../core/turn-state.js';
import type { TurnOutbox } from './turn-outbox.js';

/**
 * The property of the conversation's state document that holds the outboxes of its last turns run in
 * their HTTP request (Bot Framework invokes, `expectReplies`): one list beside the queued turn's
 * `turnOutbox`, so that neither kind of turn replaces the other's.
 */
export const ACTIVITY_OUTBOX_PROPERTY = 'activityOutbox';

/**
 * How many of those turns a conversation keeps (the most recent): a retry comes within seconds, and a
 * killed turn's retry finds its outbox unless this many newer such turns of its conversation saved.
 */
export const MAX_ACTIVITY_OUTBOXES = 8;

/**
 * Largest answer kept (its replies' JSON, in UTF-8 bytes, as stored): a larger one is not kept, and a retry of it is refused. The
 * outboxes of a conversation stay under it together too (the document is read and written by every
 * turn of the conversation): older ones give their answers up first.
 */
export const MAX_ACTIVITY_ANSWER_BYTES = 64 * 1024;

/**
 * What a turn run in its request saves with its state: its activity id, its answer (the replies it
 * sent, among them the invoke response) until `until`, and what stages need to do its side work again.
 * Past `until` the answer and the work are dropped at the conversation's next save; the id stays, so a
 * retry is still told the turn was processed.
 */
export interface ActivityOutbox {
  id: string;
  /** When the answer expires (ms since the epoch): the turn's save plus the claim's `answerTtlMs`. */
  until: number;
  /** Absent once expired, or when it was larger than {@link MAX_ACTIVITY_ANSWER_BYTES}. */
  replies?: Partial<Activity>[];
  work?: Record<string, unknown>;
  /**
   * Kept by "forget me" through the erase of its conversation (identity/privacy.ts), for that turn's
   * retry only: the conversation's next save drops its answer and work, whatever `until` says, so they
   * never outlive the erased conversation's time to live (that save lifts it).
   */
  erased?: true;
}

/** The outbox of a turn run in its request, from its queued-turn form and the claim it ran under. */
export function activityOutbox(outbox: TurnOutbox, claimed: ClaimedActivity, now: number): ActivityOutbox {
  const kept = Buffer.byteLength(JSON.stringify(outbox.replies)) <= MAX_ACTIVITY_ANSWER_BYTES;
  return {
    id: outbox.id,
    until: now + claimed.answerTtlMs,
    ...(kept ? { replies: outbox.replies } : {}),
    ...(outbox.work ? { work: outbox.work } : {}),
  };
}

function outboxes(data: Record<string, unknown>): ActivityOutbox[] {
  const list = data[ACTIVITY_OUTBOX_PROPERTY];
  return Array.isArray(list) ? (list as ActivityOutbox[]) : [];
}

/**
 * Adds `outbox` to the conversation's state document as its latest, keeping the last few, whose
 * answers stay under {@link MAX_ACTIVITY_ANSWER_BYTES} together (older ones keep only their ids).
 */
export function keepActivityOutbox(data: Record<string, unknown>, outbox: ActivityOutbox): void {
  const others = outboxes(data).filter((kept) => kept.id !== outbox.id);
  const list = [...others, outbox].slice(-MAX_ACTIVITY_OUTBOXES);
  for (
    let i = 0;
    i < list.length - 1 && Buffer.byteLength(JSON.stringify(list)) > MAX_ACTIVITY_ANSWER_BYTES;
    i++
  ) {
    const older = list[i] as ActivityOutbox;
    list[i] = { id: older.id, until: older.until };
  }
  data[ACTIVITY_OUTBOX_PROPERTY] = list;
}

/**
 * Drops the answers (and work) that expired from the document, and those an erase kept, keeping their
 * ids: a retry is still told the turn was processed.
 */
export function expireActivityOutboxes(data: Record<string, unknown>, now: number): void {
  const list = outboxes(data);
  const gone = (kept: ActivityOutbox) => kept.until <= now || kept.erased === true;
  if (!list.some((kept) => gone(kept) && (kept.replies || kept.work))) return;
  data[ACTIVITY_OUTBOX_PROPERTY] = list.map((kept) =>
    gone(kept) ? { id: kept.id, until: kept.until } : kept,
  );
}

/**
 * What the turn `claimed` saved before, if its state was saved (an earlier delivery died or failed
 * after its save): the replies to send again (none once the answer expired or was not kept) and the
 * work. Tells `claimed` when that answer expires (`replayedUntil`, 0 when it was not kept), for the
 * dedupe stage to record it, or refuse the retry.
 */
export function replayOfActivity(
  data: Record<string, unknown>,
  claimed: ClaimedActivity,
  now: number,
): { replies: Partial<Activity>[]; work?: Record<string, unknown> } | undefined {
  const saved = outboxes(data).find((kept) => kept?.id === claimed.id);
  if (!saved) return undefined;
  claimed.replayedUntil = saved.replies ? saved.until : 0;
  const live = saved.replies !== undefined && saved.until > now;
  return { replies: live ? (saved.replies ?? []) : [], ...(saved.work ? { work: saved.work } : {}) };
}
