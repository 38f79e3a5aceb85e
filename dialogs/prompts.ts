import { type Activity, MessageFactory, type TurnContext } from 'botbuilder';
import type { PromptOptions, PromptRecognizerResult } from './botbuilder-dialogs.js';
import { Prompt } from './prompt.js';
import { TurnStateKey } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';

const YES = new Set([
  'yes',
  'y',
  'yeah',
  'yep',
  'sure',
  'ok',
  'okay',
  'si',
  'sí',
  'claro',
  'vale',
  'de acuerdo',
  'correcto',
]);
const NO = new Set(['no', 'n', 'nope', 'nah', 'not now', 'ahora no', 'para nada']);

function normalise(text: string | undefined): string {
  return (text ?? '')
    .trim()
    .toLowerCase()
    .replace(/[.!¡?¿,]+/g, '')
    .trim();
}

function withButtons(prompt: string | Partial<Activity> | undefined, titles: string[]): Partial<Activity> {
  const activity =
    typeof prompt === 'string' || prompt === undefined ? MessageFactory.text(prompt ?? '') : prompt;
  return {
    ...activity,
    suggestedActions: { actions: titles.map((title) => ({ type: 'imBack', title, value: title })), to: [] },
  };
}

/** A prompt whose options are buttons where the channel shows them (a numbered list elsewhere). */
abstract class ButtonPrompt<T> extends Prompt<T> {
  constructor(dialogId: string) {
    super(dialogId);
  }

  protected async onPrompt(
    context: TurnContext,
    _state: object,
    options: PromptOptions,
    isRetry: boolean,
  ): Promise<void> {
    const titles = (options.choices ?? []).map((choice) =>
      typeof choice === 'string' ? choice : choice.value,
    );
    const prompt = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    await context.sendActivity(withButtons(prompt, titles));
  }
}

/**
 * A yes/no question with two buttons, answered by button, by word (English or Spanish, whatever the
 * channel's locale says) or by the NLU's `agent.yes`/`agent.no`. Channels without buttons show "1. Yes
 * 2. No", so "1" and "2" count too.
 */
export class YesNoPrompt extends ButtonPrompt<boolean> {
  protected async onRecognize(
    context: TurnContext,
    _state: object,
    options: PromptOptions,
  ): Promise<PromptRecognizerResult<boolean>> {
    const text = normalise(context.activity.text);
    const [yesTitle, noTitle] = (options.choices ?? []).map((c) =>
      normalise(typeof c === 'string' ? c : c.value),
    );
    if (YES.has(text) || text === yesTitle || text === '1') return { succeeded: true, value: true };
    if (NO.has(text) || text === noTitle || text === '2') return { succeeded: true, value: false };
    const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
    if (nlu?.topIntent === 'agent.yes' && (nlu.intents['agent.yes']?.score ?? 0) >= 0.7)
      return { succeeded: true, value: true };
    if (nlu?.topIntent === 'agent.no' && (nlu.intents['agent.no']?.score ?? 0) >= 0.7)
      return { succeeded: true, value: false };
    return { succeeded: false };
  }
}

/**
 * A choice among titled options, with buttons where the channel has them; answered by the title, by
 * its number in the list (the fallback channels without buttons show), or by a button's value.
 * The result is the chosen option's index.
 */
export class ListPrompt extends ButtonPrompt<number> {
  protected async onRecognize(
    context: TurnContext,
    _state: object,
    options: PromptOptions,
  ): Promise<PromptRecognizerResult<number>> {
    const titles = (options.choices ?? []).map((choice) =>
      normalise(typeof choice === 'string' ? choice : choice.value),
    );
    const text = normalise(context.activity.text);
    const byTitle = titles.indexOf(text);
    if (byTitle >= 0) return { succeeded: true, value: byTitle };
    const number = /^\d{1,2}$/.test(text) ? Number(text) : Number.NaN;
    if (number >= 1 && number <= titles.length) return { succeeded: true, value: number - 1 };
    return { succeeded: false };
  }
}
