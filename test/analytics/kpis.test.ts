import { describe, expect, it } from 'vitest';
import { computeKpis } from '../../analytics/kpis.js';
import { percentile, slope } from '../../analytics/statistics.js';
import { DAY, HOUR, scriptedEvents, T0 } from './scenario.js';

const week = { from: T0, to: T0 + 7 * DAY };

describe('KPIs of a scripted week of ten conversations', () => {
  const kpis = computeKpis(scriptedEvents(), week);

  it('counts ten conversations, seven contained and three escalated, by reason', () => {
    expect(kpis.conversations).toBe(10);
    expect(kpis.containment).toEqual({ contained: 7, rate: 0.7 });
    expect(kpis.escalation).toEqual({
      escalated: 3,
      rate: 0.3,
      byReason: { 'negative-sentiment': { count: 2, rate: 0.2 }, explicit: { count: 1, rate: 0.1 } },
    });
  });

  it('breaks first-contact resolution on the two repeat contacts, one of them on another channel', () => {
    expect(kpis.firstContactResolution).toEqual({ eligible: 10, resolved: 8, rate: 0.8 });
    // c1 (web chat) was repeated on Slack: web chat's own FCR counts it too.
    expect(kpis.byChannel.webchat?.firstContactResolution).toEqual({ eligible: 6, resolved: 4, rate: 4 / 6 });
    expect(kpis.byChannel.slack?.firstContactResolution).toEqual({ eligible: 4, resolved: 4, rate: 1 });
  });

  it('averages CSAT and the share of 4–5 answers, overall and for bot and human conversations', () => {
    expect(kpis.csat).toEqual({
      answers: 5,
      mean: 3.8,
      satisfiedShare: 0.6,
      bot: { answers: 3, mean: 11 / 3, satisfiedShare: 2 / 3 },
      human: { answers: 2, mean: 4, satisfiedShare: 0.5 },
    });
  });

  it('scores NPS as promoters minus detractors', () => {
    expect(kpis.nps).toEqual({ answers: 5, promoters: 3, passives: 1, detractors: 1, score: 40 });
  });

  it('measures handle time of the bot and of people separately', () => {
    // Bot: 100+200+300+400+500+600+700 s to the end of the contained ones, 60+120+30 s to the handoff.
    expect(kpis.handleTime).toEqual({
      botMeanMs: 301_000,
      botConversations: 10,
      humanMeanMs: 400_000,
      humanHandoffs: 2,
    });
  });

  it('reports the wait for an agent as nearest-rank p50 and p90, and one abandonment in three', () => {
    expect(kpis.wait).toEqual({ accepted: 2, p50Ms: 30_000, p90Ms: 90_000 });
    expect(kpis.abandonment).toEqual({ requested: 3, abandoned: 1, rate: 1 / 3 });
  });

  it('counts two not-understood turns in twelve and a mean sentiment of zero', () => {
    expect(kpis.understanding).toEqual({ turns: 12, notUnderstood: 2, notUnderstoodShare: 2 / 12 });
    expect(kpis.sentiment.turns).toBe(12);
    expect(kpis.sentiment.mean).toBe(0);
  });

  it('sums points issued, debited, redeemed and expired in the window', () => {
    expect(kpis.points).toEqual({ issued: 70, debited: 10, redeemed: 100, expired: 5 });
  });

  it('splits by channel and by language', () => {
    expect(Object.keys(kpis.byChannel)).toEqual(['slack', 'webchat']);
    expect(kpis.byChannel.webchat?.conversations).toBe(6);
    expect(kpis.byChannel.webchat?.escalation.rate).toBe(2 / 6);
    expect(kpis.byChannel.slack?.escalation.rate).toBe(0.25);
    expect(kpis.byLanguage.es?.conversations).toBe(2);
    expect(kpis.byLanguage.es?.containment.rate).toBe(1);
    expect(kpis.byLanguage.en?.conversations).toBe(8);
  });

  it('filters the whole report to one channel', () => {
    const slack = computeKpis(scriptedEvents(), { ...week, channel: 'slack' });
    expect(slack.channel).toBe('slack');
    expect(slack.conversations).toBe(4);
    expect(slack.escalation.byReason).toEqual({ 'negative-sentiment': { count: 1, rate: 0.25 } });
    expect(slack.csat.answers).toBe(0);
    expect(Object.keys(slack.byChannel)).toEqual(['slack']);
  });

  it('draws a daily trend over the week', () => {
    expect(kpis.series.bucketMs).toBe(DAY);
    expect(kpis.series.points).toHaveLength(7);
    expect(kpis.series.points[0]).toMatchObject({ from: T0, to: T0 + DAY, conversations: 10, escalated: 3 });
    expect(kpis.series.points[1]).toMatchObject({ conversations: 0, containmentRate: null });
  });

  it('does not count a conversation that started before the window, and answers null rates for an empty one', () => {
    const later = computeKpis(scriptedEvents(), { from: T0 + DAY, to: T0 + 2 * DAY });
    expect(later.conversations).toBe(0);
    expect(later.containment.rate).toBeNull();
    expect(later.csat.mean).toBeNull();
    expect(later.nps.score).toBeNull();
    expect(later.wait.p50Ms).toBeNull();
  });
});

describe('KPI arithmetic', () => {
  it('takes nearest-rank percentiles', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 90)).toBe(50);
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('reads a sentiment rising by 0.1 a day as a trend of +0.1 per day', () => {
    const events = [-0.3, -0.2, -0.1].map((sentiment, day) => ({
      id: `t${day}`,
      at: T0 + day * DAY + HOUR,
      type: 'intent.recognized' as const,
      intent: 'orders.status',
      confidence: 0.9,
      sentiment,
    }));
    const kpis = computeKpis(events, week);
    expect(kpis.sentiment.trendPerDay).toBeCloseTo(0.1, 12);
    expect(kpis.sentiment.mean).toBeCloseTo(-0.2, 12);
    expect(slope([{ x: 1, y: 1 }])).toBeNull();
  });
});
