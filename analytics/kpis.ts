import { indexEvents, matches, type Segment, segmentOf } from './conversation-index.js';
import type { OutcomeEvent } from './events.js';
import { kpiFigures } from './kpi-figures.js';
import type { KpiPoint, KpiQuery, Kpis } from './kpi-types.js';
import { DAY_MS } from './outcome-events.js';

/**
 * Contact-centre KPIs (issue 11) as pure functions over outcome events: no store, no clock, so every
 * figure is unit-tested against hand-computed answers. The shapes are in kpi-types.ts, one window's
 * figures in kpi-figures.ts, the conversations behind them in conversation-index.ts.
 */

export const DEFAULT_FCR_WINDOW_MS = 7 * DAY_MS;

const HOUR_MS = 60 * 60 * 1000;

/** The default trend bucket for a window: hours up to 2 days, days up to 92 days, weeks beyond. */
export function defaultBucketMs(from: number, to: number): number {
  const span = to - from;
  return span <= 2 * DAY_MS ? HOUR_MS : span <= 92 * DAY_MS ? DAY_MS : 7 * DAY_MS;
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
  const overall = kpiFigures(index, from, to, filter, fcrWindowMs);

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
      .map((channel) => [channel, kpiFigures(index, from, to, { ...filter, channel }, fcrWindowMs)]),
  );
  const byLanguage = Object.fromEntries(
    [...languages]
      .sort()
      .map((language) => [language, kpiFigures(index, from, to, { ...filter, language }, fcrWindowMs)]),
  );

  const bucketMs = query.bucketMs ?? defaultBucketMs(from, to);
  const points: KpiPoint[] = [];
  for (let start = from; start < to && points.length < 1_000; start += bucketMs) {
    const end = Math.min(to, start + bucketMs);
    const f = kpiFigures(index, start, end, filter, fcrWindowMs);
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
