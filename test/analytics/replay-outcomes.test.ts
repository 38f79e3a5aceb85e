import type { TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { createAnalytics } from '../../analytics/index.js';
import { TurnStateKey } from '../../core/turn-state.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { createStores } from '../../storage/stores.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { keywordNlu } from '../support/handoff-server.js';
import { customerMessage } from '../support/customer-message.js';

const T0 = Date.UTC(2026, 10, 2, 9);

describe('a queued turn replayed from its outbox after its first run died past the save', () => {
  it('records what the NLU understood and the outcome its dialog recorded, though neither runs again', async () => {
    const stores = await createStores();
    const analytics = await createAnalytics({ stores, clock: { now: () => T0 }, processMetrics: false });
    const state = new StateMiddleware(stores.storage);
    const step = state.conversationProperty<number>('step');
    const adapter = new CollectingAdapter({ pipeline: [analytics.middleware, state] });
    let runs = 0;
    const logic = async (context: TurnContext) => {
      runs++;
      context.turnState.set(TurnStateKey.nlu, keywordNlu('where is my order'));
      await step.set(context, 1);
      analytics.recordOutcome(context, { type: 'bot.resolved', intent: 'orders.status' });
      await context.sendActivity('It arrives tomorrow.');
      // The process dies as the saved answer goes out: nothing after the save happens in this run.
      context.onSendActivities(() => new Promise(() => {}));
    };
    const activity = customerMessage('in-4', 'where is my order');
    void adapter.processActivity(activity, logic, { id: 'in-4', attempt: 1 });
    const key = 'test/conversations/conversation-1';
    await expect.poll(async () => (await stores.storage.read([key]))[key]).toMatchObject({ step: 1 });
    // Another process takes the entry over.
    const other = new CollectingAdapter({ pipeline: [analytics.middleware, state] });
    await other.processActivity(activity, logic, { id: 'in-4', attempt: 2 });
    await analytics.flush();

    expect(runs).toBe(1);
    expect(other.sent.map((reply) => reply.text)).toEqual(['It arrives tomorrow.']);
    const events = await analytics.events.range(T0 - 60_000, T0 + 60_000);
    expect(events.map((event) => [event.type, 'intent' in event ? event.intent : undefined]).sort()).toEqual([
      ['bot.resolved', 'orders.status'],
      ['conversation.started', undefined],
      ['intent.recognized', 'orders.status'],
    ]);
    await stores.close();
  });
});
