import type { LoyaltyAction } from './loyalty-dialog.js';

/** How an intent is served when no dialog is running. */
export type IntentRoute =
  | { kind: 'dialog'; dialogId: string; options?: Record<string, unknown>; withOrderNumber?: boolean }
  | { kind: 'loyalty'; action: LoyaltyAction; faqFallback?: boolean }
  | {
      kind: 'reply';
      reply:
        | 'welcome'
        | 'help'
        | 'goodbye'
        | 'thanks'
        | 'complaint'
        | 'handoff'
        | 'yes'
        | 'no'
        | 'nothing.to.cancel'
        | 'start.over';
    };

/** The router's table: intent names of the retail corpus (docs/nlu.md) → what serves them. */
export const INTENT_ROUTES: Record<string, IntentRoute> = {
  'smalltalk.greeting': { kind: 'reply', reply: 'welcome' },
  'smalltalk.goodbye': { kind: 'reply', reply: 'goodbye' },
  'smalltalk.thanks': { kind: 'reply', reply: 'thanks' },
  'agent.help': { kind: 'reply', reply: 'help' },
  'agent.yes': { kind: 'reply', reply: 'yes' },
  'agent.no': { kind: 'reply', reply: 'no' },
  'agent.cancel': { kind: 'reply', reply: 'nothing.to.cancel' },
  'agent.start_over': { kind: 'reply', reply: 'start.over' },
  'feedback.complaint': { kind: 'reply', reply: 'complaint' },
  'handoff.request': { kind: 'reply', reply: 'handoff' },
  'order.status': { kind: 'dialog', dialogId: 'orderStatus', withOrderNumber: true },
  'order.track': { kind: 'dialog', dialogId: 'orderStatus', withOrderNumber: true },
  'order.return': { kind: 'dialog', dialogId: 'returnItem', withOrderNumber: true },
  'order.refund_status': { kind: 'dialog', dialogId: 'refundStatus', withOrderNumber: true },
  'order.cancel': { kind: 'dialog', dialogId: 'cancelOrder', withOrderNumber: true },
  'order.change_address': { kind: 'dialog', dialogId: 'changeAddress', withOrderNumber: true },
  'loyalty.balance': { kind: 'loyalty', action: 'balance' },
  'loyalty.tiers': { kind: 'loyalty', action: 'tier', faqFallback: true },
  'loyalty.earn': { kind: 'loyalty', action: 'earn', faqFallback: true },
  'loyalty.catalogue': { kind: 'loyalty', action: 'catalogue' },
  'loyalty.redeem': { kind: 'loyalty', action: 'redeem' },
  'game.leaderboard': { kind: 'loyalty', action: 'leaderboard' },
  'game.play': { kind: 'dialog', dialogId: 'games' },
  'game.trivia': { kind: 'dialog', dialogId: 'games', options: { game: 'trivia' } },
  'game.daily_spin': { kind: 'dialog', dialogId: 'games', options: { game: 'dailySpin' } },
  'account.link': { kind: 'dialog', dialogId: 'linkAccount' },
  'privacy.forget_me': { kind: 'dialog', dialogId: 'forgetMe' },
};

/** Intents that interrupt whatever dialog is running, when recognised with confidence. */
export const INTERRUPTIONS = new Set([
  'agent.help',
  'agent.cancel',
  'agent.start_over',
  'handoff.request',
  'language.switch',
]);
