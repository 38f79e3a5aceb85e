import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import type { PubSub } from '../../storage/types.js';
import { RelevoAdapter, type RelevoAdapterOptions } from '../shared/relevo-adapter.js';
import type { ActivitySet, ConversationRecord, ConversationStore } from './conversation-store.js';
import { type BotIdentity, outboundActivity } from './outbound.js';

export interface WebChatAdapterOptions extends RelevoAdapterOptions {
  store: ConversationStore;
  pubsub: PubSub;
  bot?: BotIdentity;
  clock?: Clock;
}

/** The pub/sub channel announcing new activities of one conversation to every process. */
export function deliveryChannel(conversationId: string): string {
  return `webchat:${conversationId}`;
}

/** What is published on a conversation's delivery channel: the activities just appended. */
export interface Delivery extends ActivitySet {
  /** Watermark before these activities, so a listener can tell whether it missed any. */
  after: number;
}

/**
 * The web chat channel's BotAdapter: what the bot sends is appended to the conversation's log (which
 * gives it its id and watermark) and announced over pub/sub, so whichever process holds the browser's
 * WebSocket pushes it, and polling clients find it with their next watermark.
 */
export class WebChatAdapter extends RelevoAdapter {
  readonly store: ConversationStore;
  private readonly pubsub: PubSub;
  private readonly bot: BotIdentity;
  private readonly clock: Clock;

  constructor(options: WebChatAdapterOptions) {
    super(options);
    this.store = options.store;
    this.pubsub = options.pubsub;
    this.bot = options.bot ?? { id: 'relevo', name: 'Relevo' };
    this.clock = options.clock ?? systemClock;
  }

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const conversationId = context.activity.conversation?.id ?? '';
    const conversation = await this.store.get(conversationId);
    if (!conversation) {
      throw new RelevoError(
        'RELEVO_WEBCHAT_NO_CONVERSATION',
        `No web chat conversation "${conversationId}"`,
        {
          statusCode: 404,
        },
      );
    }
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      if (activity.type === 'delay') {
        await sleep(typeof activity.value === 'number' ? activity.value : 1_000);
        responses.push({ id: '' });
        continue;
      }
      const rendered = outboundActivity(activity, conversation, this.bot, new Date(this.clock.now()));
      responses.push({ id: rendered ? await this.deliver(conversation, rendered) : '' });
    }
    return responses;
  }

  /** Appends an activity to the conversation's log and announces it; resolves with its id. */
  async deliver(conversation: ConversationRecord, activity: Partial<Activity>): Promise<string> {
    const { id, watermark } = await this.store.append(conversation.id, activity);
    const delivery: Delivery = { activities: [{ ...activity, id }], watermark, after: watermark - 1 };
    try {
      await this.pubsub.publish(deliveryChannel(conversation.id), JSON.stringify(delivery));
    } catch (error) {
      // The activity is in the log: polling clients and the next reconnect still get it.
      this.logger.warn(
        { err: error, conversationId: conversation.id },
        'could not announce a web chat activity',
      );
    }
    return id;
  }
}
