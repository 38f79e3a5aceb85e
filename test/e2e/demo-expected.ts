import type { NluRecognizer } from '../../nlu-models/index.js';
import { type BotTurn, DAY, MINUTE } from './demo-session.js';

/**
 * The KPIs of the demo session (demo-kpis.test.ts), worked out by hand from the script:
 *
 * | conv. | channel | lang | customer turns the bot handled (minute)              | person | CSAT | NPS |
 * |-------|---------|------|------------------------------------------------------|--------|------|-----|
 * | W1    | webchat | en   | Hi 0, order? 1, ORD 2, no thanks 3, 5 4, 9 5          | –      | 5    | 9   |
 * | W2    | webchat | es   | Hola 10, pedido? 11, ORD 12, gracias 13, 4 14, 8 15   | –      | 4    | 8   |
 * | W3    | webchat | en   | Hi 20, person 21 · after the agent: 2 30, 6 31        | asked 21, accepted 23, resolved 29 | 2 | 6 |
 * | U1    | slack   | en   | order? 40, ORD 41, no thanks 42, 3 43, 10 44          | –      | 3    | 10  |
 * | C1    | slack   | en   | Hi 49, angry 50                                      | asked 50, ended unanswered 54 | – | – |
 * | U2    | slack   | en   | day 2: order? 0, ORD 1, blorp 2 (not understood)      | –      | –    | –   |
 *
 * - Containment 4/6, escalation 2/6: one `explicit-request` (W3), one `negative-sentiment` (C1).
 * - CSAT 5, 4, 2, 3: mean 3.5, 4–5 share 2/4; bot (W1, W2, U1) 4.0 and 2/3; human (W3) 2 and 0.
 * - NPS 9, 8, 6, 10: promoters 2, passive 1, detractor 1 → (2 − 1) / 4 × 100 = 25.
 * - FCR: every conversation has a member and a first intent (6 eligible); U1's is order status and Uma
 *   came back about it the next day (U2): 5/6.
 * - Bot handle time, start → request or last event: 5, 5, 1, 4, 1, 2 min → 18/6 = 3 min. Human: 6 min.
 * - Wait for an agent: W3's 2 min (p50 = p90). Abandonment: C1 of the 2 requests → 0.5.
 * - Turns with the bot: 6 + 6 + 4 + 5 + 2 + 3 = 26 (W3's "thanks" went to the agent); not understood:
 *   "blorp fizzle wump" → 1/26. Prompt answers (ORD-…, scores) count as understood.
 * - Points issued: 5 for the first message of the day of each of the 5 members on day 1 and of Uma on
 *   day 2 (30), 20 per CSAT answer (80), admin 300 + 40 + 50 → 500. Debited: 15 + the 40 reversed → 55.
 *   Redeemed: 200. Expired: the one-day 50. Admin, redemption and expiry events carry no channel, so
 *   the channels' points are only what was earned in chat (web chat 75, Slack 35; en 85, es 25).
 */
export const OVERALL = {
  conversations: 6,
  containment: { contained: 4, rate: 4 / 6 },
  escalation: {
    escalated: 2,
    rate: 2 / 6,
    byReason: {
      'explicit-request': { count: 1, rate: 1 / 6 },
      'negative-sentiment': { count: 1, rate: 1 / 6 },
    },
  },
  csat: {
    answers: 4,
    mean: 3.5,
    satisfiedShare: 0.5,
    bot: { answers: 3, mean: 4, satisfiedShare: 2 / 3 },
    human: { answers: 1, mean: 2, satisfiedShare: 0 },
  },
  nps: { answers: 4, promoters: 2, passives: 1, detractors: 1, score: 25 },
  firstContactResolution: { eligible: 6, resolved: 5, rate: 5 / 6 },
  handleTime: { botMeanMs: 3 * MINUTE, botConversations: 6, humanMeanMs: 6 * MINUTE, humanHandoffs: 1 },
  wait: { accepted: 1, p50Ms: 2 * MINUTE, p90Ms: 2 * MINUTE },
  abandonment: { requested: 2, abandoned: 1, rate: 0.5 },
  understanding: { turns: 26, notUnderstood: 1, notUnderstoodShare: 1 / 26 },
  points: { issued: 500, debited: 55, redeemed: 200, expired: 50 },
};

/** W1, W2, W3. */
export const WEBCHAT = {
  conversations: 3,
  containment: { contained: 2, rate: 2 / 3 },
  escalation: { escalated: 1, rate: 1 / 3, byReason: { 'explicit-request': { count: 1, rate: 1 / 3 } } },
  csat: {
    answers: 3,
    mean: 11 / 3,
    satisfiedShare: 2 / 3,
    bot: { answers: 2, mean: 4.5, satisfiedShare: 1 },
    human: { answers: 1, mean: 2, satisfiedShare: 0 },
  },
  nps: { answers: 3, promoters: 1, passives: 1, detractors: 1, score: 0 },
  firstContactResolution: { eligible: 3, resolved: 3, rate: 1 },
  handleTime: {
    botMeanMs: (11 / 3) * MINUTE,
    botConversations: 3,
    humanMeanMs: 6 * MINUTE,
    humanHandoffs: 1,
  },
  wait: { accepted: 1, p50Ms: 2 * MINUTE, p90Ms: 2 * MINUTE },
  abandonment: { requested: 1, abandoned: 0, rate: 0 },
  understanding: { turns: 16, notUnderstood: 0, notUnderstoodShare: 0 },
  points: { issued: 75, debited: 0, redeemed: 0, expired: 0 },
};

/** U1, C1, U2. */
export const SLACK = {
  conversations: 3,
  containment: { contained: 2, rate: 2 / 3 },
  escalation: { escalated: 1, rate: 1 / 3, byReason: { 'negative-sentiment': { count: 1, rate: 1 / 3 } } },
  csat: {
    answers: 1,
    mean: 3,
    satisfiedShare: 0,
    bot: { answers: 1, mean: 3, satisfiedShare: 0 },
    human: { answers: 0, mean: null, satisfiedShare: null },
  },
  nps: { answers: 1, promoters: 1, passives: 0, detractors: 0, score: 100 },
  firstContactResolution: { eligible: 3, resolved: 2, rate: 2 / 3 },
  handleTime: { botMeanMs: (7 / 3) * MINUTE, botConversations: 3, humanMeanMs: null, humanHandoffs: 0 },
  wait: { accepted: 0, p50Ms: null, p90Ms: null },
  abandonment: { requested: 1, abandoned: 1, rate: 1 },
  understanding: { turns: 10, notUnderstood: 1, notUnderstoodShare: 0.1 },
  points: { issued: 35, debited: 0, redeemed: 0, expired: 0 },
};

/** Everything but W2. */
export const ENGLISH = {
  conversations: 5,
  containment: { contained: 3, rate: 0.6 },
  escalation: { escalated: 2, rate: 0.4 },
  csat: { answers: 3, mean: 10 / 3, satisfiedShare: 1 / 3 },
  nps: { answers: 3, promoters: 2, passives: 0, detractors: 1, score: 100 / 3 },
  firstContactResolution: { eligible: 5, resolved: 4, rate: 0.8 },
  handleTime: {
    botMeanMs: (13 / 5) * MINUTE,
    botConversations: 5,
    humanMeanMs: 6 * MINUTE,
    humanHandoffs: 1,
  },
  abandonment: { requested: 2, abandoned: 1, rate: 0.5 },
  understanding: { turns: 20, notUnderstood: 1, notUnderstoodShare: 0.05 },
  points: { issued: 85 },
};

/** W2. */
export const SPANISH = {
  conversations: 1,
  containment: { contained: 1, rate: 1 },
  csat: { answers: 1, mean: 4, satisfiedShare: 1 },
  nps: { answers: 1, promoters: 0, passives: 1, detractors: 0, score: 0 },
  firstContactResolution: { eligible: 1, resolved: 1, rate: 1 },
  handleTime: { botMeanMs: 5 * MINUTE, botConversations: 1, humanMeanMs: null },
  understanding: { turns: 6, notUnderstood: 0, notUnderstoodShare: 0 },
  points: { issued: 25 },
};

/**
 * Mean sentiment and its least-squares slope per day, from the NLU's score of each customer turn the
 * bot handled (the model's scores cannot be worked out by hand; the aggregation can).
 */
export function sentimentOf(
  recognizer: NluRecognizer,
  turns: readonly BotTurn[],
): { mean: number; trendPerDay: number } {
  const points = turns.map((turn) => ({
    x: turn.at / DAY,
    y: recognizer.recognizeText(turn.text, { locale: turn.locale }).sentiment.score,
  }));
  const mx = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const my = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  const sxy = points.reduce((sum, p) => sum + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((sum, p) => sum + (p.x - mx) ** 2, 0);
  return { mean: my, trendPerDay: sxy / sxx };
}
