import type { TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { createAnalytics } from '../../analytics/index.js';
import { TurnStateKey } from '../../core/turn-state.js';
import { GamificationMiddleware, recordLoyaltyEvent } from '../../gamification/middleware.js';
import { createGamification } from '../../gamification/create-gamification.js';
import { loadGamificationConfig } from '../../gamification/config/schema.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import { createStores } from '../../storage/stores.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { manualClock } from '../contract/ledger-contract.js';
import { customerMessage } from '../support/customer-message.js';

const T0 = Date.UTC(2026, 10, 2, 9);

describe('a queued turn whose state save met a conflict and ran again', () => {
  it("counts the outcome its dialog recorded once, and keeps the dialog's loyalty event once in its outbox", async () => {
    const stores = await createStores();
    const analytics = await createAnalytics({ stores, clock: { now: () => T0 }, processMetrics: false });
    const loyalty = await createGamification({
      stores: { kind: 'memory', prefix: 'x', redis: undefined },
      config: loadGamificationConfig(),
      clock: manualClock(),
    });
    const state = new StateMiddleware(stores.storage);
    const step = state.conversationProperty<number>('step');
    const member = {
      onTurn: async (context: TurnContext, next: () => Promise<void>) => {
        context.turnState.set(TurnStateKey.member, { id: 'ana', identityKeys: [], isAnonymous: false });
        await next();
      },
    };
    const adapter = new CollectingAdapter({
      pipeline: [analytics.middleware, member, new GamificationMiddleware(loyalty.gamification), state],
    });
    const key = 'test/conversations/conversation-1';
    let runs = 0;
    const logic = async (context: TurnContext) => {
      runs++;
      await step.set(context, 1);
      analytics.recordOutcome(context, { type: 'bot.resolved', intent: 'order.status' });
      recordLoyaltyEvent(context, { type: 'csat.answered' });
      // Another process writes the conversation's state during the first run: its save conflicts.
      if (runs === 1) await stores.storage.inner.write({ [key]: { step: 7 } });
      await context.sendActivity('Glad I could help.');
    };
    const activity = customerMessage('in-3', 'thanks');
    await adapter.processActivity(activity, logic, { id: 'in-3', attempt: 1 });
    await analytics.flush();

    expect(runs).toBe(2);
    const events = await analytics.events.range(T0 - 60_000, T0 + 60_000);
    expect(events.filter((event) => event.type === 'bot.resolved')).toHaveLength(1);
    const outbox = (await stores.storage.read([key]))[key]?.turnOutbox as { work: Record<string, unknown> };
    expect(outbox.work['loyalty.award']).toEqual([{ type: 'csat.answered' }]);
    await stores.close();
  });
});
