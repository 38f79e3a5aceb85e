import type { OutcomeEvent } from '../../analytics/events.js';

export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;
/** Monday 2 November 2026, 00:00 UTC: the start of the scripted week. */
export const T0 = Date.UTC(2026, 10, 2);

interface ScriptedConversation {
  id: string;
  channel: 'webchat' | 'slack';
  language: 'en' | 'es';
  member: string;
  intent: string;
  /** Hours after T0. */
  startHour: number;
  /** Seconds until the end (contained) or until the handoff request. */
  seconds: number;
  handoff?: { reason: string; waitMs: number; handleMs?: number };
  notUnderstood?: boolean;
  csat?: number;
  nps?: number;
}

/**
 * Ten conversations in one week (issue 11's example): three handed to a person (one abandoned while
 * waiting), two repeat contacts about the same intent within seven days, one of them on another channel.
 */
export const SCRIPT: ScriptedConversation[] = [
  {
    id: 'c1',
    channel: 'webchat',
    language: 'en',
    member: 'm1',
    intent: 'orders.status',
    startHour: 1,
    seconds: 100,
    csat: 5,
    nps: 10,
  },
  {
    id: 'c2',
    channel: 'webchat',
    language: 'en',
    member: 'm2',
    intent: 'orders.refund',
    startHour: 2,
    seconds: 60,
    handoff: { reason: 'negative-sentiment', waitMs: 30_000, handleMs: 300_000 },
    notUnderstood: true,
    csat: 5,
    nps: 9,
  },
  {
    id: 'c3',
    channel: 'webchat',
    language: 'en',
    member: 'm3',
    intent: 'returns.start',
    startHour: 3,
    seconds: 200,
    csat: 4,
    nps: 9,
  },
  {
    id: 'c4',
    channel: 'webchat',
    language: 'en',
    member: 'm4',
    intent: 'orders.cancel',
    startHour: 4,
    seconds: 120,
    handoff: { reason: 'explicit', waitMs: 90_000, handleMs: 500_000 },
    csat: 3,
    nps: 7,
  },
  {
    id: 'c5',
    channel: 'webchat',
    language: 'en',
    member: 'm5',
    intent: 'loyalty.balance',
    startHour: 5,
    seconds: 300,
    csat: 2,
    nps: 3,
  },
  {
    id: 'c6',
    channel: 'webchat',
    language: 'en',
    member: 'm5',
    intent: 'orders.cancel',
    startHour: 6,
    seconds: 400,
  },
  // Repeat of c1 (same member, same intent) on another channel, within seven days.
  {
    id: 'c7',
    channel: 'slack',
    language: 'en',
    member: 'm1',
    intent: 'orders.status',
    startHour: 7,
    seconds: 500,
  },
  {
    id: 'c8',
    channel: 'slack',
    language: 'en',
    member: 'm7',
    intent: 'orders.refund',
    startHour: 8,
    seconds: 30,
    handoff: { reason: 'negative-sentiment', waitMs: 200_000 },
    notUnderstood: true,
  },
  {
    id: 'c9',
    channel: 'slack',
    language: 'es',
    member: 'm8',
    intent: 'orders.status',
    startHour: 9,
    seconds: 600,
  },
  // Repeat of c3.
  {
    id: 'c10',
    channel: 'slack',
    language: 'es',
    member: 'm3',
    intent: 'returns.start',
    startHour: 10,
    seconds: 700,
  },
];

/** The outcome events the pipeline would have recorded for {@link SCRIPT}, plus points and a late contact. */
export function scriptedEvents(): OutcomeEvent[] {
  const events: OutcomeEvent[] = [];
  for (const c of SCRIPT) {
    const start = T0 + c.startHour * HOUR;
    const common = { conversation: c.id, channel: c.channel, language: c.language, member: c.member };
    const escalated = c.handoff !== undefined;
    events.push({ ...common, id: `${c.id}-start`, at: start, type: 'conversation.started' });
    events.push({
      ...common,
      id: `${c.id}-intent`,
      at: start,
      type: 'intent.recognized',
      intent: c.intent,
      confidence: 0.9,
      sentiment: escalated ? -0.5 : 0.5,
    });
    if (c.notUnderstood) {
      events.push({
        ...common,
        id: `${c.id}-nu`,
        at: start + 10_000,
        type: 'intent.not_understood',
        confidence: 0.2,
        sentiment: -1,
      });
    }
    const end = start + c.seconds * 1000;
    if (c.handoff) {
      const handoffId = `h-${c.id}`;
      events.push({
        ...common,
        id: `${c.id}-h`,
        at: end,
        type: 'handoff.requested',
        handoffId,
        reason: c.handoff.reason,
      });
      const acceptedAt = end + c.handoff.waitMs;
      if (c.handoff.handleMs === undefined) {
        events.push({
          ...common,
          id: `${c.id}-ab`,
          at: acceptedAt,
          type: 'handoff.abandoned',
          handoffId,
          waitMs: c.handoff.waitMs,
        });
      } else {
        events.push({
          ...common,
          id: `${c.id}-acc`,
          at: acceptedAt,
          type: 'agent.accepted',
          handoffId,
          waitMs: c.handoff.waitMs,
        });
        events.push({
          ...common,
          id: `${c.id}-res`,
          at: acceptedAt + c.handoff.handleMs,
          type: 'agent.resolved',
          handoffId,
          handleMs: c.handoff.handleMs,
        });
      }
    } else {
      events.push({ ...common, id: `${c.id}-end`, at: end, type: 'conversation.ended' });
    }
    const after = end + 20 * 60 * 1000;
    if (c.csat !== undefined)
      events.push({ ...common, id: `${c.id}-csat`, at: after, type: 'csat.answered', score: c.csat });
    if (c.nps !== undefined)
      events.push({ ...common, id: `${c.id}-nps`, at: after + 1, type: 'nps.answered', score: c.nps });
  }
  events.push(
    {
      id: 'p1',
      at: T0 + HOUR + 5,
      type: 'points.credited',
      conversation: 'c1',
      member: 'm1',
      points: 50,
      reason: 'csat.answered',
    },
    {
      id: 'p2',
      at: T0 + 3 * HOUR + 5,
      type: 'points.credited',
      conversation: 'c3',
      member: 'm3',
      points: 20,
    },
    { id: 'p3', at: T0 + 2 * DAY, type: 'points.debited', member: 'm2', points: 10, reason: 'reversal' },
    {
      id: 'p4',
      at: T0 + 3 * DAY,
      type: 'points.redeemed',
      member: 'm5',
      points: 100,
      reward: 'free-shipping',
    },
    { id: 'p5', at: T0 + 4 * DAY, type: 'points.expired', member: 'm4', points: 5 },
    // m2 again about the same refund, but 7 days and 22 hours after c2: outside the FCR window.
    {
      id: 'c11-start',
      at: T0 + 8 * DAY,
      type: 'conversation.started',
      conversation: 'c11',
      channel: 'webchat',
      language: 'en',
      member: 'm2',
    },
    {
      id: 'c11-intent',
      at: T0 + 8 * DAY,
      type: 'intent.recognized',
      conversation: 'c11',
      intent: 'orders.refund',
      confidence: 0.9,
    },
  );
  return events;
}
