import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { TextPrompt } from './prompt.js';
import { addYesNoPrompt, confirm, refusal } from './confirm.js';
import { replyLanguage, t } from './i18n.js';
import { addOrderNumberPrompt, findOrderSteps, keepAsIs, orderOf } from './order-steps.js';
import type { OrderService } from './services.js';

export const CHANGE_ADDRESS_DIALOG = 'changeAddress';
const ADDRESS_PROMPT = 'addressPrompt';

/** An address a courier can use: some letters, a number, and a few words. */
function looksLikeAddress(text: string): boolean {
  return text.trim().length >= 10 && /\d/.test(text) && /\p{L}{3,}/u.test(text);
}

/** "Change the delivery address": only before the order ships, after a confirmation. */
export class ChangeAddressDialog extends ComponentDialog {
  constructor(orders: OrderService) {
    super(CHANGE_ADDRESS_DIALOG);
    this.initialDialogId = 'steps';
    addOrderNumberPrompt(this);
    addYesNoPrompt(this);
    this.addDialog(
      new TextPrompt(ADDRESS_PROMPT, async (prompt) => looksLikeAddress(prompt.recognized.value ?? '')),
    );
    this.addDialog(
      new WaterfallDialog('steps', [
        ...findOrderSteps(orders),
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          if (order.status !== 'processing') {
            await step.context.sendActivity(
              t(lang, 'address.not.possible', { order: order.id, reason: refusal(lang, order.status) }),
            );
            return step.endDialog({ resolved: true });
          }
          return step.prompt(ADDRESS_PROMPT, {
            prompt: t(lang, 'address.ask'),
            retryPrompt: t(lang, 'address.too.short'),
          });
        },
        async (step: WaterfallStepContext) => {
          (step.values as { address?: string }).address = String(step.result).trim();
          const lang = replyLanguage(step.context);
          return confirm(
            step,
            t(lang, 'address.confirm', { order: orderOf(step).id, address: String(step.result).trim() }),
          );
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          const address = (step.values as { address: string }).address;
          if (step.result !== true) return keepAsIs(step);
          const outcome = await orders.changeAddress(order.id, address);
          await step.context.sendActivity(
            outcome.ok
              ? t(lang, 'address.done', { order: order.id, address })
              : t(lang, 'address.not.possible', { order: order.id, reason: refusal(lang, outcome.reason) }),
          );
          return step.endDialog({ resolved: true });
        },
      ]),
    );
  }
}
