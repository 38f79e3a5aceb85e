import { describe, expect, it } from 'vitest';
import {
  defaultPolicyOptions,
  emptySignals,
  evaluateTurn,
  type PolicySignals,
  summarizeSignals,
  type TurnObservation,
} from '../../handoff/policy.js';
import { nluResult } from './nlu-fixture.js';

function run(turns: TurnObservation[], options = defaultPolicyOptions) {
  let signals: PolicySignals = emptySignals();
  const reasons = [];
  for (const turn of turns) {
    const result = evaluateTurn(signals, turn, options);
    signals = result.signals;
    reasons.push(result.reason);
  }
  return { signals, reasons };
}

describe('handoff policy', () => {
  it('hands off after two turns it did not understand, recording the confidence', () => {
    const { reasons } = run([
      { text: 'blorp', nlu: nluResult({ score: 0.2, outOfScope: true }) },
      { text: 'zzzq', nlu: nluResult({ score: 0.31 }) },
    ]);
    expect(reasons[0]).toBeUndefined();
    expect(reasons[1]).toEqual({
      trigger: 'low-confidence',
      values: { confidence: 0.31, threshold: 0.5, turns: 2 },
    });
  });

  it('starts counting again after a turn it understood', () => {
    const { reasons } = run([
      { text: 'blorp', nlu: nluResult({ score: 0.2 }) },
      { text: 'where is my order', nlu: nluResult({ score: 0.9 }) },
      { text: 'zzzq', nlu: nluResult({ score: 0.2 }) },
    ]);
    expect(reasons).toEqual([undefined, undefined, undefined]);
  });

  it('honours a configured number of turns', () => {
    const options = { ...defaultPolicyOptions, lowConfidenceTurns: 3 };
    const turn = { text: 'x', nlu: nluResult({ score: 0.1 }) };
    expect(run([turn, turn], options).reasons[1]).toBeUndefined();
    expect(run([turn, turn, turn], options).reasons[2]?.trigger).toBe('low-confidence');
  });

  it('hands off an angry customer on one turn by the sentiment score', () => {
    const { reasons } = run([
      { text: 'this is terrible', nlu: nluResult({ intent: 'feedback.complaint', sentiment: -0.82 }) },
    ]);
    expect(reasons[0]).toEqual({ trigger: 'negative-sentiment', values: { score: -0.82, threshold: -0.6 } });
  });

  it('does not read anger into a confident task such as "cancel my order", unless the score is extreme', () => {
    const calm = run([
      { text: 'cancel my order', nlu: nluResult({ intent: 'order.cancel', score: 1, sentiment: -0.63 }) },
    ]);
    expect(calm.reasons[0]).toBeUndefined();
    const furious = run([
      {
        text: 'cancel my order right now, this is a joke',
        nlu: nluResult({ intent: 'order.cancel', score: 0.9, sentiment: -0.97 }),
      },
    ]);
    expect(furious.reasons[0]).toEqual({
      trigger: 'negative-sentiment',
      values: { score: -0.97, threshold: -0.9 },
    });
  });

  it('does not read anger into one-word commands', () => {
    const { reasons } = run([
      { text: 'cancel', nlu: nluResult({ intent: 'agent.cancel', score: 0.92, sentiment: -0.98 }) },
    ]);
    expect(reasons[0]).toBeUndefined();
  });

  it('does not hand off a short reply labelled negative with a score near zero', () => {
    const { reasons } = run([{ text: 'no', nlu: nluResult({ sentiment: -0.06 }) }]);
    expect(reasons[0]).toBeUndefined();
  });

  it('hands off when the mood falls over three turns', () => {
    const { reasons } = run([
      { text: 'where is my order', nlu: nluResult({ sentiment: 0.3 }) },
      { text: 'it is still not here', nlu: nluResult({ sentiment: -0.1 }) },
      { text: 'this is taking far too long', nlu: nluResult({ sentiment: -0.4 }) },
    ]);
    expect(reasons[2]).toEqual({
      trigger: 'sentiment-trend',
      values: { scores: '0.3,-0.1,-0.4', drop: 0.7, minDrop: 0.5 },
    });
  });

  it('does not read a falling mood into one-word commands such as "cancel"', () => {
    const { reasons } = run([
      { text: 'where is my order', nlu: nluResult({ sentiment: 0.3 }) },
      { text: 'ORD-100001', nlu: nluResult({ sentiment: 0 }) },
      { text: 'cancel', nlu: nluResult({ sentiment: -0.55 }) },
    ]);
    expect(reasons).toEqual([undefined, undefined, undefined]);
  });

  it('does not call a mood that falls and recovers a trend', () => {
    const { reasons } = run([
      { text: 'where is my order', nlu: nluResult({ sentiment: 0.3 }) },
      { text: 'it is still not here', nlu: nluResult({ sentiment: -0.4 }) },
      { text: 'ok I will wait then', nlu: nluResult({ sentiment: -0.2 }) },
    ]);
    expect(reasons[2]).toBeUndefined();
  });

  it('hands off on an explicit request by intent or by words in English and Spanish', () => {
    expect(run([{ text: 'help', nlu: nluResult({ intent: 'handoff.request' }) }]).reasons[0]).toEqual({
      trigger: 'explicit-request',
      values: { intent: 'handoff.request' },
    });
    expect(run([{ text: 'I want an AGENT please' }]).reasons[0]?.trigger).toBe('explicit-request');
    expect(run([{ text: 'quiero hablar con un humano' }]).reasons[0]?.trigger).toBe('explicit-request');
    expect(run([{ text: 'Quiero una persona.' }]).reasons[0]?.trigger).toBe('explicit-request');
    expect(run([{ text: 'the agenda for today' }]).reasons[0]).toBeUndefined();
  });

  it('hands a VIP member with a complaint to a person at once, but not a guest', () => {
    const complaint = nluResult({ intent: 'feedback.complaint', sentiment: -0.2 });
    const vip = { id: 'm1', identityKeys: ['webchat:a'], isAnonymous: false, tier: 'Gold' };
    expect(run([{ text: 'my parcel arrived broken', nlu: complaint, member: vip }]).reasons[0]).toEqual({
      trigger: 'vip-complaint',
      values: { tier: 'gold', intent: 'feedback.complaint' },
    });
    expect(run([{ text: 'my parcel arrived broken', nlu: complaint }]).reasons[0]).toBeUndefined();
  });

  it('hands off after a dialog failed twice', () => {
    const { reasons } = run([
      { text: 'a', dialogFailed: true },
      { text: 'b', dialogFailed: true },
    ]);
    expect(reasons).toEqual([undefined, { trigger: 'dialog-failed', values: { failures: 2, threshold: 2 } }]);
  });

  it('prefers the most specific reason when several rules fire', () => {
    const { reasons } = run([
      { text: 'x', nlu: nluResult({ score: 0.1 }) },
      { text: 'agent now, this is awful', nlu: nluResult({ score: 0.1, sentiment: -0.9 }) },
    ]);
    expect(reasons[1]?.trigger).toBe('explicit-request');
  });

  it('summarizes the signals the packet carries', () => {
    const { signals } = run([
      { text: 'hello there friend', nlu: nluResult({ sentiment: 0.2, score: 0.4 }) },
      { text: 'not what I asked', nlu: nluResult({ sentiment: -0.3, score: 0.45 }) },
    ]);
    expect(summarizeSignals(signals)).toEqual({
      confidence: 0.45,
      sentiment: -0.3,
      trend: -0.5,
      fallbackStreak: 2,
    });
  });
});
