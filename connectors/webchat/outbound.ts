import type { Activity } from 'botbuilder';
import { RelevoError } from '../../core/errors.js';
import type { ConversationRecord } from './conversation-store.js';
import { WEBCHAT_CHANNEL_ID } from './inbound.js';

/** How the bot appears in Web Chat. */
export interface BotIdentity {
  id: string;
  name: string;
}

/**
 * Renders an activity the bot sends as the Direct Line client sees it, or `null` for activities that
 * never reach a browser (traces, delays — a delay is honoured by the adapter, not sent). Web Chat renders
 * text, suggested actions, cards and typing natively, so content passes through unchanged.
 */
export function outboundActivity(
  activity: Partial<Activity>,
  conversation: ConversationRecord,
  bot: BotIdentity,
  now: Date,
): Partial<Activity> | null {
  const type = (activity.type ?? 'message') as OutboundType;
  switch (type) {
    case 'message':
    case 'typing':
    case 'event':
    case 'endOfConversation':
    case 'handoff':
      return {
        ...activity,
        type,
        id: undefined,
        channelId: WEBCHAT_CHANNEL_ID,
        conversation: { id: conversation.id } as Activity['conversation'],
        from: { id: bot.id, name: activity.from?.name || bot.name, role: 'bot' },
        recipient: { id: conversation.userId, name: conversation.userName ?? '', role: 'user' },
        timestamp: now,
        serviceUrl: undefined,
      };
    case 'trace':
    case 'delay':
      return null;
    default: {
      const unknown: never = type;
      throw new RelevoError(
        'RELEVO_WEBCHAT_UNSUPPORTED_ACTIVITY',
        `Web Chat cannot show activities of type "${unknown}"`,
      );
    }
  }
}

type OutboundType = 'message' | 'typing' | 'event' | 'endOfConversation' | 'handoff' | 'trace' | 'delay';
