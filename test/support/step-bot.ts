import type { TurnLogic } from '../../core/channel.js';
import type { StateMiddleware } from '../../storage/state-middleware.js';

/**
 * A dialog of numbered steps: each message advances the conversation's step by one and is answered
 * `step <n>: <text>`, so a message answered for the wrong step, or a step taken twice, shows in the
 * replies.
 */
export function stepBot(state: StateMiddleware): TurnLogic {
  const step = state.conversationProperty<number>('step');
  return async (context) => {
    if (context.activity.type !== 'message') return;
    const next = ((await step.get(context)) ?? 0) + 1;
    await step.set(context, next);
    await context.sendActivity(`step ${next}: ${context.activity.text}`);
  };
}
