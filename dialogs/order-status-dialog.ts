import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { formatDate, formatItems } from './format.js';
import { replyLanguage, t } from './i18n.js';
import { addOrderNumberPrompt, findOrderSteps, orderOf } from './order-steps.js';
import type { OrderService } from './services.js';

export const ORDER_STATUS_DIALOG = 'orderStatus';

/** "Where is my order?" / "track my package": the status, the carrier and the tracking link. */
export class OrderStatusDialog extends ComponentDialog {
  constructor(orders: OrderService) {
    super(ORDER_STATUS_DIALOG);
    this.initialDialogId = 'steps';
    addOrderNumberPrompt(this);
    this.addDialog(
      new WaterfallDialog('steps', [
        ...findOrderSteps(orders),
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const order = orderOf(step);
          const params = { order: order.id, items: formatItems(order) };
          switch (order.status) {
            case 'processing':
              await step.context.sendActivity(t(lang, 'order.status.processing', params));
              break;
            case 'shipped':
              await step.context.sendActivity(
                t(lang, 'order.status.shipped', {
                  ...params,
                  carrier: order.carrier ?? '—',
                  tracking: order.trackingNumber ?? '—',
                  eta: order.estimatedDelivery ? formatDate(lang, order.estimatedDelivery) : '—',
                }),
              );
              if (order.trackingUrl)
                await step.context.sendActivity(t(lang, 'order.track.link', { url: order.trackingUrl }));
              break;
            case 'delivered':
              await step.context.sendActivity(
                t(lang, 'order.status.delivered', {
                  ...params,
                  date: formatDate(lang, order.deliveredAt ?? order.placedAt),
                }),
              );
              break;
            case 'cancelled':
              await step.context.sendActivity(t(lang, 'order.status.cancelled', params));
              break;
            default: {
              const unknown: never = order.status;
              throw new Error(`unknown order status ${String(unknown)}`);
            }
          }
          return step.endDialog({ resolved: true });
        },
      ]),
    );
  }
}
