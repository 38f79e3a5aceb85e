import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { addYesNoPrompt, confirm, refusal } from './confirm.js';
import { formatItems } from './format.js';
import { replyLanguage, t } from './i18n.js';
import { addOrderNumberPrompt, findOrderSteps, keepAsIs, orderOf } from './order-steps.js';
import type { OrderService } from './services.js';

export const RETURN_ITEM_DIALOG = 'returnItem';

/** "I want to return …": checks the order can be returned, confirms, opens the return. */
export class ReturnItemDialog extends ComponentDialog {
  constructor(orders: OrderService) {
    super(RETURN_ITEM_DIALOG);
    this.initialDialogId = 'steps';
    addOrderNumberPrompt(this);
    addYesNoPrompt(this);
    this.addDialog(
      new WaterfallDialog('steps', [
        ...findOrderSteps(orders),
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          if (order.status !== 'delivered' || order.returnable === false) {
            const reason =
              order.status === 'cancelled'
                ? 'cancelled'
                : order.status === 'delivered'
                  ? 'return.window'
                  : 'not.delivered';
            await step.context.sendActivity(
              t(lang, 'return.not.possible', { order: order.id, reason: refusal(lang, reason) }),
            );
            return step.endDialog({ resolved: true });
          }
          return confirm(step, t(lang, 'return.confirm', { order: order.id, items: formatItems(order) }));
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          if (step.result !== true) return keepAsIs(step);
          const outcome = await orders.requestReturn(order.id);
          await step.context.sendActivity(
            outcome.ok
              ? t(lang, 'return.done', { returnId: outcome.value.returnId, carrier: outcome.value.carrier })
              : t(lang, 'return.not.possible', { order: order.id, reason: refusal(lang, outcome.reason) }),
          );
          return step.endDialog({ resolved: true });
        },
      ]),
    );
  }
}
