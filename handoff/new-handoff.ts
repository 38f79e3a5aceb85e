import { TurnContext } from 'botbuilder';
import type { MemberSnapshot } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import type { TurnAnnotation } from './conversation-state.js';
import type { HandoffRecord } from './handoff-record.js';
import type { HandoffPacketValue } from './packet.js';
import type { HandoffReason, SignalSummary } from './policy.js';
import { type PriorityOptions, priorityOf } from './queue.js';

/** The record of a handoff starting on this turn, from what identity and NLU left on it. */
export function newHandoffRecord(input: {
  id: string;
  context: TurnContext;
  reason: HandoffReason;
  signals: SignalSummary;
  turn: { member?: MemberSnapshot | undefined; nlu?: NluResult | undefined };
  now: number;
  priority: PriorityOptions;
}): HandoffRecord {
  const { activity } = input.context;
  const { member, nlu } = input.turn;
  return {
    id: input.id,
    status: 'pending',
    reason: input.reason,
    signals: input.signals,
    channelId: activity.channelId,
    conversationId: activity.conversation.id,
    reference: TurnContext.getConversationReference(activity),
    // Connectors put the identity key in from.id: without identity, that one key is all we know.
    identityKeys: member?.identityKeys ?? [activity.from.id],
    member: {
      id: member?.id ?? activity.from.id,
      tier: member?.tier ?? null,
      points: member?.points ?? null,
      displayName: member?.displayName ?? activity.from.name ?? null,
      churnRisk: member?.churnRisk ? { ...member.churnRisk } : null,
    },
    language: nlu?.language ?? member?.language ?? activity.locale?.slice(0, 2) ?? 'en',
    topic: topicOf(nlu?.topIntent),
    priority: priorityOf(
      {
        tier: member?.tier,
        points: member?.points,
        sentiment: input.signals.sentiment,
        isChurnRisk: member?.churnRisk !== undefined,
      },
      input.priority,
    ),
    createdAt: input.now,
    acceptedAt: null,
    resolvedAt: null,
    agentId: null,
    notes: [],
    hubStatus: null,
    triggerActivityId: activity.id ?? null,
  };
}

/** The packet's `value` (DESIGN.md §3) for a new handoff. */
export function packetValue(
  record: HandoffRecord,
  nlu: NluResult | undefined,
  turns: TurnAnnotation[],
): HandoffPacketValue {
  return {
    handoffId: record.id,
    reason: record.reason,
    signals: record.signals,
    identityKeys: record.identityKeys,
    member: {
      id: record.member.id,
      tier: record.member.tier,
      points: record.member.points,
      churnRisk: record.member.churnRisk ?? null,
    },
    language: record.language,
    topIntents: Object.entries(nlu?.intents ?? {})
      .map(([name, { score }]) => ({ name, score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3),
    sentimentCurve: turns.map((each) => each.sentiment),
  };
}

/** The topic of an intent name: `orders.status` → `orders`. */
function topicOf(intent: string | undefined): string {
  if (!intent || intent === 'None') return '';
  return intent.split('.')[0] ?? '';
}
