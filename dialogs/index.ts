import type { StatePropertyAccessor } from 'botbuilder';
import { DialogSet, type DialogState } from './botbuilder-dialogs.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { CancelOrderDialog } from './cancel-order-dialog.js';
import { ChangeAddressDialog } from './change-address-dialog.js';
import { ClarifyDialog } from './clarify-dialog.js';
import { DemoOrderService } from './demo-orders.js';
import { ForgetMeDialog } from './forget-me-dialog.js';
import { GamesDialog } from './games-dialog.js';
import type { Lang } from './i18n.js';
import { LinkAccountDialog } from './link-account-dialog.js';
import { LoyaltyDialog } from './loyalty-dialog.js';
import { type ConversationFacts, MainDialog } from './main-dialog.js';
import { OrderStatusDialog } from './order-status-dialog.js';
import { RefundStatusDialog } from './refund-status-dialog.js';
import { ReturnItemDialog } from './return-item-dialog.js';
import { SatisfactionDialog, type SurveyState } from './satisfaction-dialog.js';
import type {
  GamesService,
  HandoffService,
  IdentityService,
  LoyaltyService,
  OrderService,
  OutcomeSink,
  SurveySink,
} from './services.js';

export { DemoOrderService } from './demo-orders.js';
export { hasMessage, type Lang, replyLanguage, setReplyLanguage, t, toLang } from './i18n.js';
export { type ConversationFacts, MainDialog } from './main-dialog.js';
export type * from './services.js';

/** Where the dialogs keep their state: accessors of the turn's state documents (storage/StateMiddleware). */
export interface DialogStateAccess {
  conversationProperty<T>(name: string): StatePropertyAccessor<T>;
  userProperty<T>(name: string): StatePropertyAccessor<T>;
}

export interface AgentDialogsOptions {
  state: DialogStateAccess;
  /** Corpus answers of FAQ intents (the NLU's `answersFor`). */
  faq: (intent: string, lang: Lang) => string[] | undefined;
  /** The shop's orders; default: the demo store. */
  orders?: OrderService;
  loyalty?: LoyaltyService;
  identity?: IdentityService;
  handoff?: HandoffService;
  games?: GamesService;
  surveys?: SurveySink;
  outcomes?: OutcomeSink;
  clock?: Clock;
}

/**
 * Builds the agent's conversations: every dialog in one `DialogSet` and the `MainDialog` that routes
 * each message. Services left out make their dialogs say politely that the feature is unavailable.
 */
export function createAgentDialogs(options: AgentDialogsOptions): MainDialog {
  const orders = options.orders ?? new DemoOrderService(options.clock);
  const dialogs = new DialogSet(options.state.conversationProperty<DialogState>('dialogState'));
  dialogs
    .add(new OrderStatusDialog(orders))
    .add(new ReturnItemDialog(orders))
    .add(new RefundStatusDialog(orders))
    .add(new CancelOrderDialog(orders))
    .add(new ChangeAddressDialog(orders))
    .add(new LoyaltyDialog(options.loyalty))
    .add(new GamesDialog(options.games))
    .add(new LinkAccountDialog(options.identity))
    .add(new ForgetMeDialog(options.identity))
    .add(new ClarifyDialog())
    .add(
      new SatisfactionDialog(
        options.state.userProperty<SurveyState>('surveys'),
        options.surveys,
        options.clock ?? systemClock,
      ),
    );
  return new MainDialog({
    dialogs,
    facts: options.state.conversationProperty<ConversationFacts>('facts'),
    faq: options.faq,
    handoff: options.handoff,
    outcomes: options.outcomes,
    language: options.state.userProperty<string | undefined>('language'),
  });
}
