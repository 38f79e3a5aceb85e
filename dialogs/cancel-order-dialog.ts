import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { addYesNoPrompt, confirm, refusal } from './confirm.js';
import { formatItems, formatMoney } from './format.js';
import { replyLanguage, t } from './i18n.js';
import { addOrderNumberPrompt, findOrderSteps, keepAsIs, orderOf } from './order-steps.js';
import type { OrderService } from './services.js';

export const CANCEL_ORDER_DIALOG = 'cancelOrder';

/** "Cancel my order": only while it is being prepared, after a confirmation. */
export class CancelOrderDialog extends ComponentDialog {
  constructor(orders: OrderService) {
    super(CANCEL_ORDER_DIALOG);
    this.initialDialogId = 'steps';
    addOrderNumberPrompt(this);
    addYesNoPrompt(this);
    this.addDialog(
      new WaterfallDialog('steps', [
        ...findOrderSteps(orders),
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          if (order.status !== 'processing') {
            await step.context.sendActivity(
              t(lang, 'cancel.not.possible', { order: order.id, reason: refusal(lang, order.status) }),
            );
            return step.endDialog({ resolved: true });
          }
          return confirm(
            step,
            t(lang, 'cancel.confirm', {
              order: order.id,
              items: formatItems(order),
              total: formatMoney(lang, order.total),
            }),
          );
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          if (step.result !== true) return keepAsIs(step);
          const outcome = await orders.cancel(order.id);
          await step.context.sendActivity(
            outcome.ok
              ? t(lang, 'cancel.done', { order: order.id, total: formatMoney(lang, order.total) })
              : t(lang, 'cancel.not.possible', { order: order.id, reason: refusal(lang, outcome.reason) }),
          );
          return step.endDialog({ resolved: true });
        },
      ]),
    );
  }
}
