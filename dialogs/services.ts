import type { TurnContext } from 'botbuilder';
import type { Dialog } from './botbuilder-dialogs.js';
import type { Lang } from './i18n.js';

/** An order as the agent talks about it. */
export interface Order {
  id: string;
  status: 'processing' | 'shipped' | 'delivered' | 'cancelled';
  items: { name: string; quantity: number }[];
  total: { amount: number; currency: string };
  placedAt: Date;
  deliveredAt?: Date;
  carrier?: string;
  trackingNumber?: string;
  trackingUrl?: string;
  estimatedDelivery?: Date;
  address: string;
  /** Whether a return can be opened now (delivered and inside the return window); absent = ask on request. */
  returnable?: boolean;
  refund?: { amount: number; currency: string; status: 'pending' | 'issued' };
}

/** Why an order operation was refused; the dialogs explain each in the customer's language. */
export type OrderRefusal = 'shipped' | 'delivered' | 'cancelled' | 'return.window' | 'not.delivered';

export type OrderOutcome<T> = { ok: true; value: T } | { ok: false; reason: OrderRefusal };

/**
 * The shop's order system, as the dialogs need it. Relevo ships a demo in-memory store
 * (`DemoOrderService`); plug in your own by implementing this interface and passing it to
 * `createRelevoAgent({ orders })` — see docs/dialogs.md.
 */
export interface OrderService {
  find(orderId: string): Promise<Order | undefined>;
  requestReturn(orderId: string): Promise<OrderOutcome<{ returnId: string; carrier: string }>>;
  cancel(orderId: string): Promise<OrderOutcome<Order>>;
  changeAddress(orderId: string, address: string): Promise<OrderOutcome<Order>>;
}

/** A reward of the loyalty catalogue. */
export interface Reward {
  id: string;
  name: string;
  price: number;
}

/** Why a redemption failed; the dialog explains each in the customer's language. */
export type RedeemFailure = 'insufficient_points' | 'out_of_stock' | 'unavailable';

/** What the loyalty dialogs need of the ledger (gamification/). */
export interface LoyaltyService {
  /** The member's points and tier; `context`, the turn, may hold them already (read as it began). */
  account(
    memberId: string,
    context?: TurnContext,
  ): Promise<{
    points: number;
    lifetime: number;
    tier: string;
    nextTier?: { name: string; missing: number };
  }>;
  waysToEarn(lang: Lang): Promise<string[]>;
  rewards(lang: Lang): Promise<Reward[]>;
  leaderboard(
    memberId: string,
  ): Promise<{ top: { name: string; points: number }[]; you?: { rank: number; points: number } }>;
  redeem(
    memberId: string,
    rewardId: string,
    idempotencyKey: string,
  ): Promise<{ ok: true; code: string; points: number } | { ok: false; reason: RedeemFailure }>;
}

/** Why linking failed; the dialog explains each in the customer's language. */
export type LinkFailure =
  | 'invalid_email'
  | 'rate_limited'
  | 'suspect'
  | 'expired'
  | 'locked'
  | 'not_sent'
  | 'conflict'
  | 'wrong_code'
  | 'unavailable';

/** What the account dialogs need of identity/. */
export interface IdentityService {
  sendLinkCode(
    context: TurnContext,
    email: string,
  ): Promise<{ ok: true } | { ok: false; reason: LinkFailure }>;
  confirmLinkCode(
    context: TurnContext,
    code: string,
  ): Promise<{ ok: true } | { ok: false; reason: LinkFailure; triesLeft?: number }>;
  forget(context: TurnContext): Promise<void>;
}

/** What the dialogs need of handoff/: ask for a person. */
export interface HandoffService {
  request(context: TurnContext, reason: 'explicit' | 'not_understood'): Promise<boolean>;
}

/** The games of gamification/, as dialogs the games menu starts. */
export interface GamesService {
  readonly trivia: Dialog;
  readonly dailySpin: Dialog;
}

/** Where CSAT and NPS answers go (analytics/). */
export interface SurveySink {
  record(context: TurnContext, survey: 'csat' | 'nps', score: number): Promise<void>;
}

/** Where outcomes of the conversation go (analytics/): a task the bot resolved on its own. */
export interface OutcomeSink {
  taskResolved(context: TurnContext, intent: string | undefined): void;
}
