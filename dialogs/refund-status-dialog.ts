import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { formatMoney } from './format.js';
import { replyLanguage, t } from './i18n.js';
import { addOrderNumberPrompt, findOrderSteps, orderOf } from './order-steps.js';
import type { OrderService } from './services.js';

export const REFUND_STATUS_DIALOG = 'refundStatus';

/** "Where is my refund?": the refund of an order and where it stands. */
export class RefundStatusDialog extends ComponentDialog {
  constructor(orders: OrderService) {
    super(REFUND_STATUS_DIALOG);
    this.initialDialogId = 'steps';
    addOrderNumberPrompt(this);
    this.addDialog(
      new WaterfallDialog('steps', [
        ...findOrderSteps(orders),
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          const refund = order.refund;
          await step.context.sendActivity(
            refund
              ? t(lang, 'refund.status', {
                  order: order.id,
                  amount: formatMoney(lang, refund),
                  status: t(
                    lang,
                    refund.status === 'issued' ? 'refund.status.issued' : 'refund.status.pending',
                  ),
                })
              : t(lang, 'refund.none', { order: order.id }),
          );
          return step.endDialog({ resolved: true });
        },
      ]),
    );
  }
}
