import type { TurnContext } from 'botbuilder';
import { TurnStateKey } from '../core/turn-state.js';
import type { HandoffService } from '../dialogs/index.js';
import type { HandoffReason, Handoffs } from '../handoff/index.js';
import type { NluResult } from '../nlu-models/index.js';
import type { MemberSnapshot } from '../core/turn-state.js';

/**
 * The dialogs' view of handoff/: a person on request. The dialog starts the handoff itself (and says so
 * in its own words); the handoff stage's policy then sees it pending and does not start a second one.
 */
export function handoffPort(
  handoffs: Handoffs,
  memberOf: (context: TurnContext) => MemberSnapshot | undefined,
): HandoffService {
  return {
    async request(context, reason) {
      const handoffReason: HandoffReason = {
        trigger: reason === 'not_understood' ? 'low-confidence' : 'explicit-request',
        values: { source: 'dialog', request: reason },
      };
      const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
      const record = await handoffs.initiate(context, handoffReason, { member: memberOf(context), nlu });
      if (record) return true;
      // Already pending (started a moment ago by another path): the customer is in the queue all the same.
      const { channelId, conversation } = context.activity;
      return (await handoffs.activeFor(channelId, conversation.id)) !== undefined;
    },
  };
}
