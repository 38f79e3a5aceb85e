import type { ComponentDialog, WaterfallStepContext } from './botbuilder-dialogs.js';
import { type Lang, replyLanguage, t } from './i18n.js';
import type { MessageKey } from './locales/en.js';
import { YesNoPrompt } from './prompts.js';
import type { OrderRefusal } from './services.js';

export const YES_NO_PROMPT = 'yesNoPrompt';

export function addYesNoPrompt(dialog: ComponentDialog): void {
  dialog.addDialog(new YesNoPrompt(YES_NO_PROMPT));
}

/** Asks a yes/no question in the customer's language, with Yes/No buttons. */
export function confirm(step: WaterfallStepContext, question: string) {
  const lang = replyLanguage(step.context);
  return step.prompt(YES_NO_PROMPT, {
    prompt: question,
    retryPrompt: `${question} (${t(lang, 'yes')} / ${t(lang, 'no')})`,
    choices: [t(lang, 'yes'), t(lang, 'no')],
  });
}

/** The customer's words for why the shop refused an order operation. */
export function refusal(lang: Lang, reason: OrderRefusal): string {
  return t(lang, `reason.${reason}` as MessageKey);
}
