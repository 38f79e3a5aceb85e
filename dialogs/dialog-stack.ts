import type { TurnContext } from 'botbuilder';
import type { DialogContext } from './botbuilder-dialogs.js';
import { TurnStateKey } from '../core/turn-state.js';

type DialogInstance = NonNullable<DialogContext['activeDialog']>;

/** The innermost running dialog instance: component dialogs nest their own stacks in their state. */
function innermostInstance(dc: DialogContext): DialogInstance | undefined {
  let instance: DialogInstance | undefined = dc.activeDialog;
  for (;;) {
    const inner = (instance?.state as { dialogs?: { dialogStack?: DialogInstance[] } } | undefined)?.dialogs
      ?.dialogStack?.[0];
    if (!inner) return instance;
    instance = inner;
  }
}

/** The innermost running dialog and how often it has asked (prompts count their attempts). */
export function innermost(dc: DialogContext): { id: string; attempts: number } | undefined {
  const instance = innermostInstance(dc);
  if (!instance) return undefined;
  const attempts = (instance.state as { state?: { attemptCount?: number } }).state?.attemptCount ?? 0;
  return { id: instance.id, attempts };
}

/** True when a prompt asked its question again instead of taking the answer. */
export function isRetry(
  before: { id: string; attempts: number },
  after: { id: string; attempts: number } | undefined,
): boolean {
  return after !== undefined && after.id === before.id && after.attempts > before.attempts;
}

/** True when the text is a numbered answer or one of the running prompt's choices. */
export function answersActivePrompt(dc: DialogContext, text: string): boolean {
  const normalised = text.trim().toLowerCase();
  if (/^\d{1,2}$/.test(normalised)) return true;
  const choices = (
    innermostInstance(dc)?.state as { options?: { choices?: (string | { value: string })[] } } | undefined
  )?.options?.choices;
  return (choices ?? []).some(
    (choice) => (typeof choice === 'string' ? choice : choice.value).trim().toLowerCase() === normalised,
  );
}

/** Tells the handoff policy this turn was understood, whatever the intent scores say. */
export function markUnderstood(context: TurnContext): void {
  context.turnState.set(TurnStateKey.understood, true);
}
