import { MessageFactory, type TurnContext } from 'botbuilder';
import type { DialogContext, PromptOptions } from '../../dialogs/botbuilder-dialogs.js';
import { inboundDelivery } from '../../core/turn-state.js';
import { ListPrompt } from '../../dialogs/prompts.js';
import type { PlayOptions } from '../games/daily-games.js';
import type { RandomInt } from '../games/trivia.js';

/** How many answering activity ids a game remembers: enough for any platform's retry window. */
const REMEMBERED_ACTIVITIES = 20;

/**
 * Whether this turn's activity was already handled by the game running in `dc` (a platform retry, or
 * a duplicate that got past the pipeline's dedupe). Records the id otherwise. Without it a duplicated
 * answer would be read as the answer to the next question.
 */
export function isRedelivery(dc: DialogContext): boolean {
  const id = dc.context.activity.id;
  const state = dc.activeDialog?.state as { handledActivityIds?: string[] } | undefined;
  if (!id || !state) return false;
  const handled = state.handledActivityIds ?? [];
  if (handled.includes(id)) return true;
  state.handledActivityIds = [...handled, id].slice(-REMEMBERED_ACTIVITIES);
  return false;
}

/**
 * The rules' view of this turn's member: their time zone (one play per *their* day) and trust, and
 * the turn itself (a queued turn's inbound id, else the activity's id, in its conversation), so the
 * same turn run again gets its play back.
 */
export function playOptions(context: TurnContext, isSuspect: boolean | undefined): PlayOptions {
  const { channelId, conversation, id, localTimezone } = context.activity;
  const delivery = inboundDelivery(context);
  const turnId = delivery?.id ?? id;
  return {
    timeZone: localTimezone,
    isSuspect,
    turn: turnId === undefined ? undefined : `${channelId}/${conversation?.id}/${turnId}`,
  };
}

/** A uniformly shuffled `[0 … count-1]` (Fisher–Yates): display position → option index. */
export function shuffledOrder(count: number, random: RandomInt): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  for (let i = count - 1; i > 0; i -= 1) {
    const j = random(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/**
 * A `ListPrompt` whose buttons send the option's number, not its title. A clicked answer then reaches
 * the game as "2", which the agent never reads as a new request: a title such as "Your order number"
 * would otherwise be taken for "track my order" and end the game. Typed titles and numbers still count.
 */
export class NumberedAnswerPrompt extends ListPrompt {
  protected override async onPrompt(
    context: TurnContext,
    _state: object,
    options: PromptOptions,
    isRetry: boolean,
  ): Promise<void> {
    const titles = (options.choices ?? []).map((choice) =>
      typeof choice === 'string' ? choice : choice.value,
    );
    const prompt = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    const activity = typeof prompt === 'object' ? prompt : MessageFactory.text(prompt ?? '');
    await context.sendActivity({
      ...activity,
      suggestedActions: {
        actions: titles.map((title, index) => ({ type: 'imBack', title, value: String(index + 1) })),
        to: [],
      },
    });
  }
}
