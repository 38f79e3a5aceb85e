import { DIALOG_ANSWER_INTENT, type OutcomeEvent } from './events.js';
import { compareEvents } from './outcome-events.js';

/** One conversation as its outcome events tell it. */
export interface Conversation {
  id: string;
  start: number;
  channel: string | undefined;
  language: string | undefined;
  member: string | undefined;
  endedAt: number | undefined;
  lastAt: number;
  firstIntent: string | undefined;
  /** Reason of the first handoff request, and when. */
  handoff: { at: number; reason: string } | undefined;
}

/** The events of a KPI query, sorted, with the conversations they belong to. */
export interface EventIndex {
  conversations: Map<string, Conversation>;
  /** Conversations of each member, by start. */
  byMember: Map<string, Conversation[]>;
  abandonedHandoffs: Set<string>;
  events: readonly OutcomeEvent[];
}

/** A channel and/or language: a conversation's, or a query's filter (absent: any). */
export type Segment = { channel?: string | undefined; language?: string | undefined };

/**
 * Sorts the events and gathers each conversation's start, segment, member, first intent, first handoff
 * request and end, and the handoffs that were abandoned.
 */
export function indexEvents(events: readonly OutcomeEvent[]): EventIndex {
  const conversations = new Map<string, Conversation>();
  const sorted = [...events].sort(compareEvents);
  for (const event of sorted) {
    if (event.type !== 'conversation.started' || !event.conversation || conversations.has(event.conversation))
      continue;
    conversations.set(event.conversation, {
      id: event.conversation,
      start: event.at,
      channel: event.channel,
      language: event.language,
      member: event.member,
      endedAt: undefined,
      lastAt: event.at,
      firstIntent: undefined,
      handoff: undefined,
    });
  }
  const abandonedHandoffs = new Set<string>();
  for (const event of sorted) {
    if (event.type === 'handoff.abandoned') abandonedHandoffs.add(event.handoffId);
    const conversation = event.conversation ? conversations.get(event.conversation) : undefined;
    if (!conversation) continue;
    conversation.lastAt = Math.max(conversation.lastAt, event.at);
    if (event.type === 'conversation.ended') conversation.endedAt ??= event.at;
    // An answer to the bot's own question says nothing about what the customer came for.
    if (event.type === 'intent.recognized' && event.intent !== DIALOG_ANSWER_INTENT)
      conversation.firstIntent ??= event.intent;
    if (event.type === 'handoff.requested') conversation.handoff ??= { at: event.at, reason: event.reason };
  }
  const byMember = new Map<string, Conversation[]>();
  for (const conversation of conversations.values()) {
    if (!conversation.member) continue;
    const list = byMember.get(conversation.member) ?? [];
    list.push(conversation);
    byMember.set(conversation.member, list);
  }
  return { conversations, byMember, abandonedHandoffs, events: sorted };
}

/**
 * An event's segment is its conversation's, as its `conversation.started` said, so a CSAT answer after
 * a handoff counts for the channel the customer came on.
 */
export function segmentOf(index: EventIndex, event: OutcomeEvent): Segment {
  const conversation = event.conversation ? index.conversations.get(event.conversation) : undefined;
  return conversation
    ? { channel: conversation.channel ?? event.channel, language: conversation.language ?? event.language }
    : { channel: event.channel, language: event.language };
}

/** Whether a segment is within a filter. */
export function matches(segment: Segment, filter: Segment): boolean {
  return (
    (filter.channel === undefined || segment.channel === filter.channel) &&
    (filter.language === undefined || segment.language === filter.language)
  );
}
