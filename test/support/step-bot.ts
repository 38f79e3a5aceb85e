import type { TurnLogic } from '../../core/channel.js';
import type { StateMiddleware } from '../../storage/state-middleware.js';

/**
 * A dialog of numbered steps: each message advances the conversation's step by one and is answered
 * `step <n>: <text>`, so a message answered for the wrong step, or a step taken twice, shows in the
 * replies. With `countMessages` the customer's own state counts their messages too, and the answer
 * ends ` (message <m>)`: a message counted twice shows as well.
 */
export function stepBot(state: StateMiddleware, options: { countMessages?: boolean } = {}): TurnLogic {
  const step = state.conversationProperty<number>('step');
  const messages = state.userProperty<number>('messages');
  return async (context) => {
    if (context.activity.type !== 'message') return;
    const next = ((await step.get(context)) ?? 0) + 1;
    await step.set(context, next);
    let counted = '';
    if (options.countMessages) {
      const count = ((await messages.get(context)) ?? 0) + 1;
      await messages.set(context, count);
      counted = ` (message ${count})`;
    }
    await context.sendActivity(`step ${next}: ${context.activity.text}${counted}`);
  };
}
