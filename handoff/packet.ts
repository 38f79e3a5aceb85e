import { type Activity, EventFactory, type TranscriptStore, type TurnContext } from 'botbuilder';
import type { HandoffReason, SignalSummary } from './policy.js';

/** One conversation of a member on one channel. */
export interface ConversationKey {
  channelId: string;
  conversationId: string;
}

/** The `value` of the `handoff.initiate` event (DESIGN.md §3). */
export interface HandoffPacketValue {
  handoffId: string;
  reason: HandoffReason;
  signals: SignalSummary;
  identityKeys: string[];
  member: {
    id: string;
    tier: string | null;
    points: number | null;
    /** Set when identity flagged the member: 3 contacts in 7 days about `intent`. */
    churnRisk: { intent: string; since: number } | null;
  };
  language: string;
  topIntents: { name: string; score: number }[];
  /** Sentiment scores of the conversation's last turns, oldest first. */
  sentimentCurve: number[];
}

/** Rewrites an activity before an agent or a hub sees it (PII redaction). */
export type RedactActivity = (activity: Activity) => Activity;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// 13 to 19 digits, optionally grouped: card numbers; shorter runs (order numbers) stay readable.
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const PHONE = /\+\d[\d ().-]{6,}\d/g;

/**
 * The default redaction of the packet's transcript when the composition root passes none (it should
 * pass identity's `redactActivity`, which checks Luhn and IBAN checksums): emails, long digit runs
 * and international phone numbers become placeholders.
 */
export const defaultRedact: RedactActivity = (activity) => {
  if (typeof activity.text !== 'string') return activity;
  return {
    ...activity,
    text: activity.text.replace(EMAIL, '[email]').replace(CARD, '[card]').replace(PHONE, '[phone]'),
  };
};

/**
 * Every stored activity of the given conversations, oldest first, redacted, with `pending` ones (of a
 * turn not committed yet) not stored already. Reads every page of the `TranscriptStore` (continuation
 * tokens), so long conversations arrive whole.
 */
export async function collectTranscript(
  transcripts: TranscriptStore,
  conversations: readonly ConversationKey[],
  redact: RedactActivity = defaultRedact,
  pending: readonly Activity[] = [],
): Promise<Activity[]> {
  const all: Activity[] = [];
  const seen = new Set<string>();
  for (const { channelId, conversationId } of conversations) {
    const key = `${channelId}/${conversationId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let token: string | undefined;
    do {
      const page = await transcripts.getTranscriptActivities(channelId, conversationId, token);
      all.push(...page.items);
      token = page.continuationToken || undefined;
    } while (token);
  }
  const stored = new Set(all.map((activity) => activity.id).filter((id) => id));
  all.push(...pending.filter((activity) => !activity.id || !stored.has(activity.id)));
  return all
    .map((activity, index) => ({ activity, index, at: timeOf(activity) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ activity }) => redact(activity));
}

function timeOf(activity: Activity): number {
  const at = activity.timestamp ? new Date(activity.timestamp).getTime() : Number.NaN;
  return Number.isNaN(at) ? 0 : at;
}

/**
 * The handoff packet: botbuilder's `handoff.initiate` event for this turn, with the member's whole
 * transcript attached as `{contentType: 'application/json', name: 'Transcript', content: {activities}}`
 * and the timestamp taken from the injected clock (EventFactory reads the system time).
 */
export function buildHandoffPacket(
  context: TurnContext,
  value: HandoffPacketValue,
  activities: Activity[],
  now: number,
): Activity {
  const packet = EventFactory.createHandoffInitiation(context, value, { activities });
  packet.id = value.handoffId;
  packet.timestamp = new Date(now);
  return JSON.parse(JSON.stringify(packet)) as Activity;
}
