/**
 * What `computeKpis` is asked and answers (issue 11). Rates are fractions (0.3 = 30 %) and `null` when
 * there is nothing to divide by; times are milliseconds.
 */

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
