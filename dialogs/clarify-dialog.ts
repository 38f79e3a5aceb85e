import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { hasMessage, replyLanguage, t } from './i18n.js';
import type { MessageKey } from './locales/en.js';
import { ListPrompt } from './prompts.js';

export const CLARIFY_DIALOG = 'clarify';
const CLARIFY_PROMPT = 'clarifyPrompt';

/** The label of an intent in the customer's language, for "Did you mean…?" buttons. */
export function intentLabel(lang: 'en' | 'es', intent: string): string {
  return t(lang, `intent.${intent}` as MessageKey);
}

/** Whether an intent has a label, i.e. can be offered in a clarification. */
export function canOffer(intent: string): boolean {
  return hasMessage(`intent.${intent}`);
}

/**
 * "Did you mean A or B?" when the two best intents are close: buttons for both and "something else".
 * Ends with `{ clarified: intent }`, or `{ clarified: undefined }` for something else.
 */
export class ClarifyDialog extends ComponentDialog {
  constructor() {
    super(CLARIFY_DIALOG);
    this.initialDialogId = 'steps';
    this.addDialog(new ListPrompt(CLARIFY_PROMPT));
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const { intents } = step.options as { intents: string[] };
          return step.prompt(CLARIFY_PROMPT, {
            prompt: t(lang, 'clarify.question'),
            choices: [...intents.map((intent) => intentLabel(lang, intent)), t(lang, 'clarify.none')],
          });
        },
        async (step: WaterfallStepContext) => {
          const { intents } = step.options as { intents: string[] };
          return step.endDialog({ clarified: intents[step.result as number] });
        },
      ]),
    );
  }
}
