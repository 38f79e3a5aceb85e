import type {
  ComponentDialog,
  PromptValidatorContext,
  WaterfallStep,
  WaterfallStepContext,
} from './botbuilder-dialogs.js';
import { TextPrompt } from './prompt.js';
import { parseOrderNumber } from './format.js';
import { replyLanguage, t } from './i18n.js';
import type { Order, OrderService } from './services.js';

/** What every order dialog is started with: the order number when the NLU found one. */
export interface OrderDialogOptions {
  orderNumber?: string;
}

export const ORDER_NUMBER_PROMPT = 'orderNumberPrompt';

/** Adds the order-number prompt (with its validator) to an order dialog. */
export function addOrderNumberPrompt(dialog: ComponentDialog): void {
  dialog.addDialog(
    new TextPrompt(ORDER_NUMBER_PROMPT, async (prompt: PromptValidatorContext<string>) => {
      return parseOrderNumber(prompt.recognized.value) !== undefined;
    }),
  );
}

/**
 * The first two steps every order dialog shares: ask for the order number unless it is known, then
 * find the order (saying so when it does not exist and ending). The order is in `step.values.order`.
 */
export function findOrderSteps(orders: OrderService): WaterfallStep[] {
  return [
    async (step: WaterfallStepContext) => {
      const known = parseOrderNumber((step.options as OrderDialogOptions | undefined)?.orderNumber);
      if (known) return step.next(known);
      const lang = replyLanguage(step.context);
      return step.prompt(ORDER_NUMBER_PROMPT, {
        prompt: t(lang, 'order.ask.number'),
        retryPrompt: t(lang, 'order.retry.number'),
      });
    },
    async (step: WaterfallStepContext) => {
      const orderNumber = parseOrderNumber(String(step.result)) as string;
      const order = await orders.find(orderNumber);
      if (!order) {
        await step.context.sendActivity(
          t(replyLanguage(step.context), 'order.not.found', { order: orderNumber }),
        );
        return step.endDialog({ resolved: false });
      }
      (step.values as { order?: Order }).order = order;
      return step.next();
    },
  ];
}

export function orderOf(step: WaterfallStepContext): Order {
  return (step.values as { order: Order }).order;
}

/** The customer declined the change: say the order stays as it was, and end the task. */
export async function keepAsIs(step: WaterfallStepContext) {
  await step.context.sendActivity(t(replyLanguage(step.context), 'kept.as.is', { order: orderOf(step).id }));
  return step.endDialog({ resolved: true });
}
