import { type Activity, HandoffEventNames, type Middleware, type TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  inboundDelivery,
  isProactive,
  type MemberSnapshot,
  saveWithState,
  TurnStateKey,
} from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import type { ConversationHandoffState } from './conversation-state.js';
import type { Handoffs } from './handoffs.js';
import { messagesFor } from './messages.js';
import {
  defaultPolicyOptions,
  evaluateTurn,
  type HandoffPolicyOptions,
  type HandoffReason,
  topScore,
} from './policy.js';

export interface HandoffMiddlewareOptions {
  handoffs: Handoffs;
  /** Overrides of the policy's thresholds. */
  policy?: Partial<HandoffPolicyOptions>;
  logger?: Logger;
  /**
   * Whether a `handoff.status` event comes from an agent hub. Default: not from web chat and not sent
   * by a user, since a customer's own client could otherwise end or accept their handoff.
   */
  isFromHub?: (activity: Activity) => boolean;
  /**
   * The member of the turn. Default: `TurnStateKey.member` (identity). The composition root may add
   * `tier` and `points` from the loyalty stage here, so handoff does not depend on gamification.
   */
  memberOf?: (context: TurnContext) => MemberSnapshot | undefined;
  /**
   * A state stage runs around this one (storage/state-middleware.ts): a turn's signals that call no
   * one in are written in its one save of the turn (a conflict re-runs the turn) instead of on their own.
   */
  saveWithTurnState?: boolean;
}

const defaultIsFromHub = (activity: Activity) =>
  activity.channelId !== 'webchat' && activity.from?.role !== 'user';

/**
 * The "human in control?" stage and the handoff policy, as one botbuilder middleware placed after
 * identity and the transcript logger and before NLU:
 *
 * - While a handoff is pending or active, it sets `TurnStateKey.humanInControl` to `true`, forwards the
 *   customer's message to the agent desk and does **not** call `next()`: NLU, dialogs and the bot stay
 *   silent. Otherwise it sets the key to `false` and calls `next()`.
 * - After the rest of the turn ran, it folds the turn's NLU (`TurnStateKey.nlu`), member
 *   (`TurnStateKey.member`) and dialog outcome (`TurnStateKey.dialogFailed`) into the conversation's
 *   signals in storage and, when a rule fires, starts the handoff and tells the customer a person joins.
 * - The desk's proactive turns (`continueConversation` events: agent replies, the CSAT question) pass
 *   through with `next()`, since they carry their own logic; later stages should ignore such events.
 * - A hub's `handoff.status` event is applied to the conversation's handoff and goes no further.
 */
export class HandoffMiddleware implements Middleware {
  private readonly handoffs: Handoffs;
  private readonly policy: HandoffPolicyOptions;
  private readonly logger: Logger;
  private readonly isFromHub: (activity: Activity) => boolean;
  private readonly memberOf: (context: TurnContext) => MemberSnapshot | undefined;
  private readonly saveWithTurnState: boolean;

  constructor(options: HandoffMiddlewareOptions) {
    this.isFromHub = options.isFromHub ?? defaultIsFromHub;
    this.memberOf =
      options.memberOf ??
      ((context) => context.turnState.get(TurnStateKey.member) as MemberSnapshot | undefined);
    this.handoffs = options.handoffs;
    this.policy = { ...defaultPolicyOptions, ...options.policy };
    this.logger = options.logger ?? silentLogger;
    this.saveWithTurnState = options.saveWithTurnState ?? false;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const { activity } = context;
    this.handoffs.learnAdapter(activity.channelId, context.adapter);
    if (activity.type === 'event' && isProactive(activity)) return next();
    if (activity.type === 'event' && activity.name === HandoffEventNames.HandoffStatus) {
      const state = (activity.value as { state?: unknown } | undefined)?.state;
      if (typeof state === 'string' && this.isFromHub(activity)) {
        await this.handoffs.applyHubStatus(context, state);
      }
      return;
    }
    if (activity.type !== 'message') return next();

    const active = await this.handoffs.activeFor(activity.channelId, activity.conversation.id);
    if (active && activity.id && active.triggerActivityId === activity.id) {
      // The turn that started this handoff runs again (the state stage retries a turn whose save
      // conflicted, dropping what it had buffered): answer it again, with the notice, once more.
      context.turnState.set(TurnStateKey.humanInControl, false);
      await next();
      await context.sendActivity(messagesFor(active.language).joining);
      return;
    }
    if (active) {
      context.turnState.set(TurnStateKey.humanInControl, true);
      await this.handoffs.customerMessage(active, activity.text ?? '', inboundDelivery(context)?.id);
      return;
    }
    context.turnState.set(TurnStateKey.humanInControl, false);
    await next();
    try {
      await this.afterTurn(context);
    } catch (error) {
      // The bot has answered already; failing the turn now would only make the channel retry it.
      this.logger.error(
        { err: error, channelId: activity.channelId, conversationId: activity.conversation.id },
        'could not apply the handoff policy',
      );
    }
  }

  private async afterTurn(context: TurnContext): Promise<void> {
    const { activity } = context;
    const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
    const member = this.memberOf(context);
    const dialogFailed = context.turnState.get(TurnStateKey.dialogFailed) as boolean | undefined;
    const understood = context.turnState.get(TurnStateKey.understood) as boolean | undefined;
    const conversations = this.handoffs.conversations;
    const change = (
      state: ConversationHandoffState,
    ): { state?: ConversationHandoffState; result: HandoffReason | undefined } => {
      if (state.activeHandoffId) return { result: undefined };
      if (activity.id && state.lastActivityId === activity.id) return { result: undefined };
      const result = evaluateTurn(
        state.signals,
        { text: activity.text ?? '', nlu, member, dialogFailed, understood },
        this.policy,
      );
      const turns = nlu
        ? [
            ...state.turns,
            {
              activityId: activity.id ?? '',
              topIntent: nlu.topIntent,
              confidence: round(topScore(nlu)),
              sentiment: round(nlu.sentiment.score),
              sentimentLabel: nlu.sentiment.label,
              language: nlu.language,
            },
          ]
        : state.turns;
      return {
        state: { ...state, signals: result.signals, turns, lastActivityId: activity.id },
        result: result.reason,
      };
    };
    const { channelId } = activity;
    const conversationId = activity.conversation.id;
    if (this.saveWithTurnState) {
      // A run of this turn before (its save conflicted) may have asked for a write: decide afresh.
      saveWithState(context, 'handoff.signals', undefined);
      const planned = change(await conversations.readShared(channelId, conversationId));
      if (!planned.result) {
        const { state } = planned;
        // Nobody to call in: the signals go with the turn's state, in its one save.
        if (state) {
          const items = conversations.changes(channelId, conversationId, state);
          saveWithState(context, 'handoff.signals', { items: async () => items });
        }
        return;
      }
    }
    const reason = await conversations.update<HandoffReason | undefined>(channelId, conversationId, change);
    if (!reason) return;
    const record = await this.handoffs.initiate(context, reason, { member, nlu });
    if (!record) return;
    this.logger.info({ handoffId: record.id, reason }, 'handoff requested');
    await context.sendActivity(messagesFor(record.language).joining);
  }
}

/** Three decimals, as the console shows them: full doubles would make the stored item twice as long. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
