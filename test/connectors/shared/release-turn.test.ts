import type { TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { markTurnIncomplete } from '../../../core/turn-state.js';
import { CollectingAdapter } from '../../support/collecting-adapter.js';

describe('a finished turn', () => {
  it('lets go of its turn state and send handlers, so a reference kept to its context keeps none of the turn', async () => {
    const adapter = new CollectingAdapter();
    let state: Map<unknown, unknown> | undefined;
    let handlers: unknown[] | undefined;
    adapter.use({
      onTurn: async (context: TurnContext, next) => {
        context.turnState.set('nlu', { intent: 'order.status', entities: ['ORD-100002'] });
        context.onSendActivities(async (_context, _activities, send) => send());
        state = context.turnState;
        handlers = (context as unknown as { _onSendActivities: unknown[] })._onSendActivities;
        await next();
      },
    });
    adapter.logic = async (context) => {
      expect(context.turnState.get('nlu')).toEqual({ intent: 'order.status', entities: ['ORD-100002'] });
      await context.sendActivity('Your order ORD-100002 is on its way.');
    };

    await adapter.say('where is my order ORD-100002');

    expect(adapter.sent.map((activity) => activity.text)).toEqual(['Your order ORD-100002 is on its way.']);
    expect(state?.size).toBe(0);
    expect(handlers).toEqual([]);
  });

  it('still reports a queued turn that a stage marked incomplete, after letting go of its state', async () => {
    const adapter = new CollectingAdapter();
    adapter.logic = async (context) => {
      markTurnIncomplete(context, 'the ledger did not answer');
    };

    const turn = adapter.processActivity(
      {
        type: 'message',
        id: 'in-1',
        text: 'spin the wheel',
        channelId: 'test',
        conversation: { id: 'conversation-1' } as never,
        from: { id: 'test:user-1', name: 'Ana' },
        recipient: { id: 'relevo', name: 'Relevo' },
      },
      adapter.logic,
      { id: '1-0', attempt: 1 },
    );

    await expect(turn).rejects.toMatchObject({ code: 'RELEVO_TURN_INCOMPLETE' });
  });
});
