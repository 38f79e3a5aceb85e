import { type Middleware, TestAdapter, type TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { type Analytics, createAnalytics } from '../../analytics/index.js';
import { MemoryOutcomeEvents, type OutcomeEvents } from '../../analytics/outcome-events.js';
import {
  type InboundDelivery,
  type MemberSnapshot,
  type SaveWithState,
  TurnStateKey,
} from '../../core/turn-state.js';
import { createStores } from '../../storage/stores.js';
import { keywordNlu } from '../support/handoff-server.js';

const T0 = Date.UTC(2026, 10, 2, 9);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Identity and NLU as the real stages leave them on the turn; points as the loyalty stage reports them. */
const stages: Middleware = {
  onTurn: async (context: TurnContext, next) => {
    const member: MemberSnapshot = {
      id: 'member-42',
      identityKeys: ['webchat:anon-1'],
      isAnonymous: false,
      tier: 'gold',
      language: 'en',
    };
    context.turnState.set(TurnStateKey.member, member);
    context.turnState.set(TurnStateKey.nlu, keywordNlu(context.activity.text ?? ''));
    await next();
    if (context.activity.text === 'where is my order') {
      context.turnState.set(Symbol.for('relevo.loyalty.awarded'), [
        { eventId: 'e1', memberId: 'member-42', credits: [{ ruleId: 'message', points: 5 }], badges: [] },
      ]);
    }
  },
};

async function bot(context: TurnContext): Promise<void> {
  const text = context.activity.text ?? '';
  if (text === 'boom') throw new Error('dialog crashed');
  if (text === '100002') {
    // The order-number prompt took the answer: the dialogs mark the turn understood.
    context.turnState.set(TurnStateKey.understood, true);
    await context.sendActivity('found it');
    return;
  }
  if (/^[1-5]$/.test(text)) {
    analytics.recordOutcome(context, { type: 'csat.answered', score: Number(text) });
    await context.sendActivity('thanks');
    return;
  }
  await context.sendActivity(`echo: ${text}`);
}

let analytics: Analytics;
let now = T0;

async function setup(events?: OutcomeEvents, flushMs?: number) {
  now = T0;
  const stores = await createStores();
  analytics = await createAnalytics({
    stores,
    clock: { now: () => now },
    processMetrics: false,
    ...(events ? { events } : {}),
    ...(flushMs === undefined ? {} : { flushMs }),
  });
  const adapter = new TestAdapter(bot);
  adapter.use(analytics.middleware);
  adapter.use(stages);
  return adapter;
}

/** As the durable inbound queue delivers a turn: its delivery (`channelData.inbound` here) on the turn. */
const queued: Middleware = {
  onTurn: async (context: TurnContext, next) => {
    const inbound = (context.activity.channelData as { inbound?: InboundDelivery } | undefined)?.inbound;
    if (inbound) context.turnState.set(TurnStateKey.inbound, inbound);
    await next();
  },
};

describe('the analytics stage', () => {
  it('records the outcomes of a queued turn that runs again (same inbound id) once', async () => {
    await setup();
    const adapter = new TestAdapter(bot);
    adapter.use(queued);
    adapter.use(analytics.middleware);
    adapter.use(stages);
    // The first run died after its outcomes were recorded; the queue runs the turn again 10 s later.
    for (const attempt of [1, 2]) {
      await adapter
        .send({
          type: 'message',
          id: 'in-5',
          text: 'where is my order',
          channelData: { inbound: { id: 'in-5', attempt } },
        })
        .assertReply('echo: where is my order');
      await analytics.flush();
      now += 10_000;
    }
    const events = await analytics.events.range(T0, T0 + 10 * MINUTE);
    expect(events.map((event) => event.type).sort()).toEqual([
      'conversation.started',
      'intent.recognized',
      'points.credited',
    ]);
  });

  it('files the outcomes of a turn run again after midnight under the day it began, once', async () => {
    await setup();
    const midnight = Date.UTC(2026, 10, 3);
    now = midnight - 1_000;
    let runs = 0;
    const adapter = new TestAdapter(async (context) => {
      // The first run fails after the NLU ran; the queue runs the turn again 10 s later: the next day.
      if (++runs === 1) throw new Error('the order service timed out');
      await bot(context);
    });
    adapter.use(queued);
    adapter.use(analytics.middleware);
    adapter.use(stages);
    const message = (attempt: number) => ({
      type: 'message',
      id: 'in-9',
      text: 'where is my order',
      channelData: { inbound: { id: 'in-9', attempt } },
    });
    await expect(adapter.send(message(1)).startTest()).rejects.toThrow('the order service timed out');
    now = midnight + 10_000;
    await adapter.send(message(2)).assertReply('echo: where is my order');
    await analytics.flush();
    const events = await analytics.events.range(midnight - DAY, midnight + DAY);
    expect(events.map((event) => [event.type, event.at]).sort()).toEqual([
      ['conversation.started', midnight - 1_000],
      ['intent.recognized', midnight - 1_000],
      ['points.credited', midnight - 1_000],
    ]);
    const dayBefore = await analytics.kpis({ from: midnight - DAY, to: midnight });
    const dayAfter = await analytics.kpis({ from: midnight, to: midnight + DAY });
    expect(dayBefore.understanding.turns).toBe(1);
    expect(dayAfter.understanding.turns).toBe(0);
  });

  it('files a turn run again after midnight under the day it began, though a turn outside the queue came in between', async () => {
    await setup();
    const midnight = Date.UTC(2026, 10, 3);
    now = midnight - 2_000;
    let runs = 0;
    const adapter = new TestAdapter(async (context) => {
      // The queued turn's first run fails; an expectReplies message (not queued) is answered meanwhile.
      if (context.activity.id === 'in-11' && ++runs === 1) throw new Error('the order service timed out');
      await bot(context);
    });
    adapter.use(queued);
    adapter.use(analytics.middleware);
    adapter.use(stages);
    const queuedMessage = (attempt: number) => ({
      type: 'message',
      id: 'in-11',
      text: 'where is my order',
      channelData: { inbound: { id: 'in-11', attempt } },
    });
    await expect(adapter.send(queuedMessage(1)).startTest()).rejects.toThrow('the order service timed out');
    now = midnight - 1_000;
    await adapter
      .send({ type: 'message', id: 'exp-1', text: 'hello there' })
      .assertReply('echo: hello there');
    now = midnight + 10_000;
    await adapter.send(queuedMessage(2)).assertReply('echo: where is my order');
    await analytics.flush();
    const dayBefore = await analytics.kpis({ from: midnight - DAY, to: midnight });
    const dayAfter = await analytics.kpis({ from: midnight, to: midnight + DAY });
    expect(dayBefore.understanding.turns).toBe(2);
    expect(dayAfter.understanding.turns).toBe(0);
  });

  it('files a replayed turn under the day its outbox kept, though the session no longer knows the turn', async () => {
    await setup();
    const midnight = Date.UTC(2026, 10, 3);
    // The first run saved its outbox (time: 1 s before midnight); the session remembers only the last
    // turn, which is not this one here; the replay runs 10 s after midnight.
    now = midnight + 10_000;
    const replaying: Middleware = {
      onTurn: async (context: TurnContext) => {
        // What the state stage does on a replay: hand each request what it kept, send the saved replies.
        context.turnState.set(TurnStateKey.replayed, true);
        const requests = context.turnState.get(TurnStateKey.saveWithState) as Map<string, SaveWithState>;
        requests.get('analytics.session')?.replay?.({ at: midnight - 1_000 });
        await context.sendActivity('echo: where is my order');
      },
    };
    const adapter = new TestAdapter(bot);
    adapter.use(queued);
    adapter.use(analytics.middleware);
    adapter.use(replaying);
    await adapter
      .send({
        type: 'message',
        id: 'in-12',
        text: 'where is my order',
        channelData: { inbound: { id: 'in-12', attempt: 2 } },
      })
      .assertReply('echo: where is my order');
    await analytics.flush();
    const events = await analytics.events.range(midnight - DAY, midnight + DAY);
    expect(events.map((event) => [event.type, event.at])).toEqual([
      ['conversation.started', midnight - 1_000],
    ]);
  });

  it("keeps a digest of the turn's inbound id in the session, never the platform's conversation id in it", async () => {
    const adapter = await setup();
    const id = 'DLconv-5NbTk3eX8xq|0000001';
    await adapter.send({ type: 'message', id, text: 'hello there' }).assertReply('echo: hello there');
    const session = await analytics.service.sessions.current('test', 'Convo1');
    expect(session?.recent?.map((turn) => turn.at)).toEqual([T0]);
    expect(JSON.stringify(session)).not.toContain('DLconv-5NbTk3eX8xq');
  });

  it('records the conversation, what was understood, points and a CSAT answer, with no text and no member id', async () => {
    const adapter = await setup();
    await adapter.send('where is my order').assertReply('echo: where is my order');
    now += MINUTE;
    await adapter.send('blorp zzq').assertReply('echo: blorp zzq');
    now += MINUTE;
    await adapter.send('5').assertReply('thanks');

    await analytics.flush();
    const events = await analytics.events.range(T0, T0 + 10 * MINUTE);
    // Events of one instant are ordered by their (opaque) id: compare as a sorted list.
    expect(events.map((event) => event.type).sort()).toEqual([
      'conversation.started',
      'csat.answered',
      'intent.not_understood',
      'intent.not_understood',
      'intent.recognized',
      'points.credited',
    ]);
    const conversations = new Set(events.map((event) => event.conversation));
    expect(conversations.size).toBe(1);
    const of = (type: string) => events.find((event) => event.type === type);
    expect(of('conversation.started')).toMatchObject({
      at: T0,
      channel: 'test',
      language: 'en',
      tier: 'gold',
    });
    expect(of('intent.recognized')).toMatchObject({
      intent: 'orders.status',
      confidence: 0.9,
      sentiment: 0.1,
    });
    expect(of('points.credited')).toMatchObject({ points: 5, reason: 'message' });
    expect(of('csat.answered')).toMatchObject({ score: 5, at: T0 + 2 * MINUTE });
    const stored = JSON.stringify(events);
    expect(stored).not.toContain('member-42');
    expect(stored).not.toContain('where is my order');
    expect(stored).not.toContain('blorp');
    expect(events[0]?.member).toMatch(/^m_[0-9a-f]{24}$/);
  });

  it("counts an answer the bot's own question accepted as understood, though the NLU calls it out of scope", async () => {
    const adapter = await setup();
    await adapter.send('100002').assertReply('found it');
    now += MINUTE;
    await adapter.send('blorp zzq').assertReply('echo: blorp zzq');
    await analytics.flush();
    const events = await analytics.events.range(T0, T0 + 10 * MINUTE);
    expect(events.find((event) => event.type === 'intent.recognized')).toMatchObject({
      intent: 'dialog.answer',
    });
    const kpis = await analytics.kpis({ from: T0, to: T0 + 10 * MINUTE });
    expect(kpis.understanding).toEqual({ turns: 2, notUnderstood: 1, notUnderstoodShare: 0.5 });
    // An answer is not what the customer came for: no first intent, so not in first-contact resolution.
    expect(kpis.firstContactResolution.eligible).toBe(0);
  });

  it('starts a new conversation after 30 idle minutes and ends the old one at its last turn', async () => {
    const adapter = await setup();
    await adapter.send('hello there').assertReply('echo: hello there');
    now += 31 * MINUTE;
    await adapter.send('hello again').assertReply('echo: hello again');
    await analytics.flush();
    const events = await analytics.events.range(T0, T0 + 60 * MINUTE);
    const started = events.filter((event) => event.type === 'conversation.started');
    const ended = events.filter((event) => event.type === 'conversation.ended');
    expect(started).toHaveLength(2);
    expect(ended).toEqual([
      expect.objectContaining({ at: T0, conversation: started[0]?.conversation, durationMs: 0 }),
    ]);
    expect(started[1]?.conversation).not.toBe(started[0]?.conversation);
  });

  it('lets a failing turn fail as it would have, and still counts it', async () => {
    const adapter = await setup();
    await expect(adapter.send('boom').startTest()).rejects.toThrow('dialog crashed');
    const { body } = await analytics.metrics.exposition();
    expect(body).toContain('relevo_turns_total{channel="test",outcome="failed"} 1');
  });

  it('never fails a turn when the event store is down', async () => {
    const failing: OutcomeEvents = {
      append: async () => {
        throw new Error('Redis is down');
      },
      range: async () => [],
    };
    const adapter = await setup(failing);
    await adapter.send('where is my order').assertReply('echo: where is my order');
    await analytics.flush();
    const { body } = await analytics.metrics.exposition();
    expect(body).toContain('relevo_outcome_event_failures_total{type="conversation.started"} 1');
  });

  it('writes the outcomes of turns off their path, and every queued one on close', async () => {
    const memory = new MemoryOutcomeEvents();
    const adapter = await setup(memory, 60_000);
    await adapter.send('where is my order').assertReply('echo: where is my order');
    await adapter.send('blorp zzq').assertReply('echo: blorp zzq');
    // Nothing written on the turns' path: both turns' outcomes wait for the batch.
    expect(await memory.range(T0, T0 + MINUTE)).toEqual([]);
    await analytics.close();
    expect((await memory.range(T0, T0 + MINUTE)).map((event) => event.type).sort()).toEqual([
      'conversation.started',
      'intent.not_understood',
      'intent.recognized',
      'points.credited',
    ]);
  });
});
