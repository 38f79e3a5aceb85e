import { DIALOG_ANSWER_INTENT, type OutcomeEvent } from './events.js';

/**
 * Contact-centre KPIs (issue 11) as pure functions over outcome events: no store, no clock, so every
 * figure is unit-tested against hand-computed answers. Rates are fractions (0.3 = 30 %) and `null` when
 * there is nothing to divide by; times are milliseconds.
 *
 * Two kinds of figures:
 * - per conversation (containment, escalation, first-contact resolution, bot handle time) count the
 *   conversations that *started* in the window, whatever happened to them later;
 * - per event (CSAT, NPS, waits, abandonment, turns, sentiment, points, human handle time) count the
 *   events that *happened* in the window.
 * A segment (channel, language) is the conversation's, as its `conversation.started` said, so a CSAT
 * answer after a handoff counts for the channel the customer came on.
 */

export const DEFAULT_FCR_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export interface KpiQuery {
  from: number;
  /** Exclusive. */
  to: number;
  channel?: string | undefined;
  language?: string | undefined;
  /** A repeat contact within this long after a conversation's start breaks first-contact resolution. */
  fcrWindowMs?: number;
  /** Width of the trend buckets; default: an hour up to 2 days, a day up to 92 days, else a week. */
  bucketMs?: number;
}

export interface CsatFigures {
  answers: number;
  mean: number | null;
  /** Share of answers of 4 or 5. */
  satisfiedShare: number | null;
}

export interface KpiFigures {
  conversations: number;
  /** Conversations that never asked for a person. */
  containment: { contained: number; rate: number | null };
  /** Conversations handed to a person, overall and by the reason of their first request. */
  escalation: {
    escalated: number;
    rate: number | null;
    byReason: Record<string, { count: number; rate: number }>;
  };
  csat: CsatFigures & { bot: CsatFigures; human: CsatFigures };
  /** Promoters (9–10) minus detractors (0–6), in points from −100 to 100. */
  nps: { answers: number; promoters: number; passives: number; detractors: number; score: number | null };
  /** Conversations of a known member and intent with no new conversation of that member about that intent within the FCR window. */
  firstContactResolution: { eligible: number; resolved: number; rate: number | null };
  /** Bot: start to handoff (or to the end); human: agent accepted to resolved. */
  handleTime: {
    botMeanMs: number | null;
    botConversations: number;
    humanMeanMs: number | null;
    humanHandoffs: number;
  };
  /** Time from the handoff request until an agent accepted (nearest-rank percentiles). */
  wait: { accepted: number; p50Ms: number | null; p90Ms: number | null };
  /** Handoffs requested in the window that ended before anyone accepted. */
  abandonment: { requested: number; abandoned: number; rate: number | null };
  understanding: { turns: number; notUnderstood: number; notUnderstoodShare: number | null };
  /** Mean sentiment score of the customer's turns, and its least-squares slope per day. */
  sentiment: { turns: number; mean: number | null; trendPerDay: number | null };
  points: { issued: number; debited: number; redeemed: number; expired: number };
}

export interface KpiPoint {
  from: number;
  to: number;
  conversations: number;
  escalated: number;
  containmentRate: number | null;
  notUnderstoodShare: number | null;
  sentimentMean: number | null;
  csatMean: number | null;
  npsScore: number | null;
}

export interface Kpis extends KpiFigures {
  from: number;
  to: number;
  channel: string | null;
  language: string | null;
  byChannel: Record<string, KpiFigures>;
  byLanguage: Record<string, KpiFigures>;
  series: { bucketMs: number; points: KpiPoint[] };
}

interface Conversation {
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

interface Index {
  conversations: Map<string, Conversation>;
  /** Conversations of each member, by start. */
  byMember: Map<string, Conversation[]>;
  abandonedHandoffs: Set<string>;
  events: readonly OutcomeEvent[];
}

type Segment = { channel?: string | undefined; language?: string | undefined };

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

function indexEvents(events: readonly OutcomeEvent[]): Index {
  const conversations = new Map<string, Conversation>();
  const sorted = [...events].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;

/** Nearest-rank percentile (the smallest value with at least p % of the values at or below it). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Least-squares slope of `y` over `x`; `null` with fewer than two distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const my = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

function csatOf(scores: readonly number[]): CsatFigures {
  return {
    answers: scores.length,
    mean: mean(scores),
    satisfiedShare: ratio(scores.filter((score) => score >= 4).length, scores.length),
  };
}

function segmentOf(index: Index, event: OutcomeEvent): Segment {
  const conversation = event.conversation ? index.conversations.get(event.conversation) : undefined;
  return conversation
    ? { channel: conversation.channel ?? event.channel, language: conversation.language ?? event.language }
    : { channel: event.channel, language: event.language };
}

function matches(segment: Segment, filter: Segment): boolean {
  return (
    (filter.channel === undefined || segment.channel === filter.channel) &&
    (filter.language === undefined || segment.language === filter.language)
  );
}

function figures(index: Index, from: number, to: number, filter: Segment, fcrWindowMs: number): KpiFigures {
  const inWindow = (at: number) => at >= from && at < to;
  const conversations = [...index.conversations.values()].filter(
    (c) => inWindow(c.start) && matches({ channel: c.channel, language: c.language }, filter),
  );
  const escalated = conversations.filter((c) => c.handoff !== undefined);
  const byReason: Record<string, { count: number; rate: number }> = {};
  for (const c of escalated) {
    const reason = (c.handoff as { reason: string }).reason;
    const count = (byReason[reason]?.count ?? 0) + 1;
    byReason[reason] = { count, rate: count / conversations.length };
  }

  const eligible = conversations.filter((c) => c.member !== undefined && c.firstIntent !== undefined);
  const repeated = eligible.filter((c) =>
    (index.byMember.get(c.member as string) ?? []).some(
      (other) =>
        other !== c &&
        other.firstIntent === c.firstIntent &&
        other.start > c.start &&
        other.start - c.start <= fcrWindowMs,
    ),
  );

  const botTimes = conversations.map((c) => (c.handoff?.at ?? c.endedAt ?? c.lastAt) - c.start);

  const events = index.events.filter(
    (event) => inWindow(event.at) && matches(segmentOf(index, event), filter),
  );
  const escalatedIds = new Set(
    [...index.conversations.values()].filter((c) => c.handoff !== undefined).map((c) => c.id),
  );
  const csatAll: number[] = [];
  const csatBot: number[] = [];
  const csatHuman: number[] = [];
  const nps: number[] = [];
  const waits: number[] = [];
  const humanTimes: number[] = [];
  const requested: string[] = [];
  const sentiments: { x: number; y: number }[] = [];
  let turns = 0;
  let notUnderstood = 0;
  const points = { issued: 0, debited: 0, redeemed: 0, expired: 0 };
  for (const event of events) {
    switch (event.type) {
      case 'csat.answered':
        csatAll.push(event.score);
        (event.conversation && escalatedIds.has(event.conversation) ? csatHuman : csatBot).push(event.score);
        break;
      case 'nps.answered':
        nps.push(event.score);
        break;
      case 'agent.accepted':
        waits.push(event.waitMs);
        break;
      case 'agent.resolved':
        humanTimes.push(event.handleMs);
        break;
      case 'handoff.requested':
        requested.push(event.handoffId);
        break;
      case 'intent.recognized':
      case 'intent.not_understood':
        turns++;
        if (event.type === 'intent.not_understood') notUnderstood++;
        if (event.sentiment !== undefined) sentiments.push({ x: event.at / DAY, y: event.sentiment });
        break;
      case 'points.credited':
        points.issued += event.points;
        break;
      case 'points.debited':
        points.debited += event.points;
        break;
      case 'points.redeemed':
        points.redeemed += event.points;
        break;
      case 'points.expired':
        points.expired += event.points;
        break;
      default:
        break;
    }
  }
  const promoters = nps.filter((score) => score >= 9).length;
  const detractors = nps.filter((score) => score <= 6).length;
  const abandoned = requested.filter((id) => index.abandonedHandoffs.has(id)).length;
  return {
    conversations: conversations.length,
    containment: {
      contained: conversations.length - escalated.length,
      rate: ratio(conversations.length - escalated.length, conversations.length),
    },
    escalation: {
      escalated: escalated.length,
      rate: ratio(escalated.length, conversations.length),
      byReason,
    },
    csat: { ...csatOf(csatAll), bot: csatOf(csatBot), human: csatOf(csatHuman) },
    nps: {
      answers: nps.length,
      promoters,
      passives: nps.length - promoters - detractors,
      detractors,
      score: nps.length === 0 ? null : ((promoters - detractors) * 100) / nps.length,
    },
    firstContactResolution: {
      eligible: eligible.length,
      resolved: eligible.length - repeated.length,
      rate: ratio(eligible.length - repeated.length, eligible.length),
    },
    handleTime: {
      botMeanMs: mean(botTimes),
      botConversations: botTimes.length,
      humanMeanMs: mean(humanTimes),
      humanHandoffs: humanTimes.length,
    },
    wait: { accepted: waits.length, p50Ms: percentile(waits, 50), p90Ms: percentile(waits, 90) },
    abandonment: { requested: requested.length, abandoned, rate: ratio(abandoned, requested.length) },
    understanding: { turns, notUnderstood, notUnderstoodShare: ratio(notUnderstood, turns) },
    sentiment: {
      turns: sentiments.length,
      mean: mean(sentiments.map((p) => p.y)),
      trendPerDay: slope(sentiments),
    },
    points,
  };
}

/** The default trend bucket for a window: hours up to 2 days, days up to 92 days, weeks beyond. */
export function defaultBucketMs(from: number, to: number): number {
  const span = to - from;
  return span <= 2 * DAY ? HOUR : span <= 92 * DAY ? DAY : 7 * DAY;
}

/**
 * Computes every KPI of issue 11 for `[from, to)`, overall (optionally for one channel and/or
 * language), per channel, per language, and as a trend series. Pass the events from `from` to
 * `to + fcrWindowMs` so first-contact resolution sees repeat contacts after the window; conversations
 * that started before `from` are only context (their CSAT, waits… still count when in the window, but
 * then without their segment unless their start is included too).
 */
export function computeKpis(events: readonly OutcomeEvent[], query: KpiQuery): Kpis {
  const { from, to } = query;
  const fcrWindowMs = query.fcrWindowMs ?? DEFAULT_FCR_WINDOW_MS;
  const index = indexEvents(events);
  const filter: Segment = { channel: query.channel, language: query.language };
  const overall = figures(index, from, to, filter, fcrWindowMs);

  const channels = new Set<string>();
  const languages = new Set<string>();
  for (const event of index.events) {
    if (event.at < from || event.at >= to) continue;
    const segment = segmentOf(index, event);
    if (!matches(segment, filter)) continue;
    if (segment.channel) channels.add(segment.channel);
    if (segment.language) languages.add(segment.language);
  }
  const byChannel = Object.fromEntries(
    [...channels]
      .sort()
      .map((channel) => [channel, figures(index, from, to, { ...filter, channel }, fcrWindowMs)]),
  );
  const byLanguage = Object.fromEntries(
    [...languages]
      .sort()
      .map((language) => [language, figures(index, from, to, { ...filter, language }, fcrWindowMs)]),
  );

  const bucketMs = query.bucketMs ?? defaultBucketMs(from, to);
  const points: KpiPoint[] = [];
  for (let start = from; start < to && points.length < 1_000; start += bucketMs) {
    const end = Math.min(to, start + bucketMs);
    const f = figures(index, start, end, filter, fcrWindowMs);
    points.push({
      from: start,
      to: end,
      conversations: f.conversations,
      escalated: f.escalation.escalated,
      containmentRate: f.containment.rate,
      notUnderstoodShare: f.understanding.notUnderstoodShare,
      sentimentMean: f.sentiment.mean,
      csatMean: f.csat.mean,
      npsScore: f.nps.score,
    });
  }
  return {
    from,
    to,
    channel: query.channel ?? null,
    language: query.language ?? null,
    ...overall,
    byChannel,
    byLanguage,
    series: { bucketMs, points },
  };
}
