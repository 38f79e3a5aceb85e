import type { Activity, TurnContext } from 'botbuilder';
import type { SaveWithState } from '../core/turn-state.js';

/** The property of the conversation's state document that holds its last queued turn's outbox. */
export const OUTBOX_PROPERTY = 'turnOutbox';

/**
 * What a queued turn's state save carries for its commit, atomically with the state: the inbound
 * entry's id and the replies the turn sent (the state stage holds them back until its save). A run
 * that finds its own entry's id here meets a state an earlier run of the same entry saved, whose
 * process died before the commit (or which failed after the save): it sends these replies again —
 * the commit is rebuilt from them — instead of running the turn on the state it already advanced.
 * The next queued turn that saves replaces it, so it holds one turn's worth.
 */
export interface TurnOutbox {
  id: string;
  replies: Partial<Activity>[];
  /** What stages need to do the turn's side work again, by their `saveWithState` name. */
  work?: Record<string, unknown>;
}

/**
 * Fields `TurnContext.sendActivities` sets on every activity from the turn's inbound activity: a
 * replay's send sets them again, so the outbox does not keep them (about 300 bytes a reply).
 */
const FROM_REFERENCE = ['channelId', 'serviceUrl', 'conversation', 'from', 'recipient', 'replyToId'] as const;

/**
 * The outbox of the queued turn `id` on `context` that sends `replies`, with what the stages' save
 * requests keep for a replay (`SaveWithState.outbox`).
 */
export function turnOutbox(
  context: TurnContext,
  id: string,
  replies: readonly Partial<Activity>[],
  requests: readonly [string, SaveWithState][],
): TurnOutbox {
  const work: Record<string, unknown> = {};
  for (const [name, request] of requests) {
    const value = request.outbox?.();
    if (value !== undefined) work[name] = value;
  }
  return {
    id,
    replies: replies.map((reply) => {
      const kept: Partial<Activity> = { ...reply };
      for (const field of FROM_REFERENCE) delete kept[field];
      // Set from the inbound activity only when the reply has none.
      if (kept.locale === context.activity.locale) delete kept.locale;
      return kept;
    }),
    ...(Object.keys(work).length > 0 ? { work } : {}),
  };
}

/** The outbox saved for the queued turn `id` in a conversation state document, if its state was saved. */
export function savedOutbox(data: Record<string, unknown>, id: string): TurnOutbox | undefined {
  const outbox = data[OUTBOX_PROPERTY] as TurnOutbox | undefined;
  return outbox?.id === id && Array.isArray(outbox.replies) ? outbox : undefined;
}
