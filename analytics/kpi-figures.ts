import { type EventIndex, matches, type Segment, segmentOf } from './conversation-index.js';
import type { CsatFigures, KpiFigures } from './kpi-types.js';
import { DAY_MS } from './outcome-events.js';
import { mean, percentile, ratio, slope } from './statistics.js';

/**
 * Every figure for one window `[from, to)` and segment filter. Per-conversation figures (containment,
 * escalation, first-contact resolution, bot handle time) count the conversations that *started* in the
 * window, whatever happened to them later; per-event figures (CSAT, NPS, waits, abandonment, turns,
 * sentiment, points, human handle time) count the events that *happened* in the window.
 */
export function kpiFigures(
  index: EventIndex,
  from: number,
  to: number,
  filter: Segment,
  fcrWindowMs: number,
): KpiFigures {
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
        if (event.sentiment !== undefined) sentiments.push({ x: event.at / DAY_MS, y: event.sentiment });
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

function csatOf(scores: readonly number[]): CsatFigures {
  return {
    answers: scores.length,
    mean: mean(scores),
    satisfiedShare: ratio(scores.filter((score) => score >= 4).length, scores.length),
  };
}
