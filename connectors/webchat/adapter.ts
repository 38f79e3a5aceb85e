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
    // Activities between two delays leave together: one append and one announcement for all of them.
    let batch: { response: ResourceResponse; activity: Partial<Activity> }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const ids = await this.deliverAll(
        conversation,
        batch.map((each) => each.activity),
      );
      batch.forEach((each, i) => {
        each.response.id = ids[i] ?? '';
      });
      batch = [];
    };
    for (const activity of activities) {
      const response: ResourceResponse = { id: '' };
      responses.push(response);
      if (activity.type === 'delay') {
        await flush();
        await sleep(typeof activity.value === 'number' ? activity.value : 1_000);
        continue;
      }
      const rendered = outboundActivity(activity, conversation, this.bot, new Date(this.clock.now()));
      if (rendered) batch.push({ response, activity: rendered });
    }
    await flush();
    return responses;
  }

  /** Appends an activity to the conversation's log and announces it; resolves with its id. */
  async deliver(conversation: ConversationRecord, activity: Partial<Activity>): Promise<string> {
    const [id] = await this.deliverAll(conversation, [activity]);
    return id ?? '';
  }

  /** Appends activities to the conversation's log at once and announces them together; their ids. */
  async deliverAll(conversation: ConversationRecord, activities: Partial<Activity>[]): Promise<string[]> {
    const { ids, watermark } = await this.store.append(conversation.id, activities);
    const delivery: Delivery = {
      activities: activities.map((activity, i) => ({ ...activity, id: ids[i] })),
      watermark,
      after: watermark - activities.length,
    };
    try {
      await this.pubsub.publish(deliveryChannel(conversation.id), JSON.stringify(delivery));
    } catch (error) {
      // The activity is in the log: polling clients and the next reconnect still get it.
      this.logger.warn(
        { err: error, conversationId: conversation.id },
        'could not announce a web chat activity',
      );
    }
    return ids;
  }
}
