import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import { inboundDelivery } from '../../core/turn-state.js';
import { RelevoAdapter, type RelevoAdapterOptions } from '../shared/relevo-adapter.js';
import type { ConversationRecord, ConversationStore } from './conversation-store.js';
import { type BotIdentity, outboundActivity } from './outbound.js';

export interface WebChatAdapterOptions extends RelevoAdapterOptions {
  /** The conversations and their logs; an append also announces to every process. */
  store: ConversationStore;
  bot?: BotIdentity;
  clock?: Clock;
}

/** How many replies a queued turn has appended so far: the index in each reply's key. */
const REPLY_INDEX = Symbol('relevo.webchat.replyIndex');

/**
 * The web chat channel's BotAdapter: what the bot sends is appended to the conversation's log (which
 * gives it its id and watermark) and announced over pub/sub in the same step, so whichever process
 * holds the browser's WebSocket pushes it, and polling clients find it with their next watermark. A turn from the durable
 * inbound queue keys each reply by its inbound id and index, so a turn run again after a crash appends
 * (and announces) only the replies the first run did not store.
 */
export class WebChatAdapter extends RelevoAdapter {
  readonly store: ConversationStore;
  private readonly bot: BotIdentity;
  private readonly clock: Clock;

  constructor(options: WebChatAdapterOptions) {
    super(options);
    this.store = options.store;
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
    const inbound = inboundDelivery(context);
    // A queued turn's replies are appended by its commit, as its entry is removed (one step), unless a
    // delay must show the ones before it first (once some are held, the rest follow them, in order).
    const held = inbound?.commit?.takesRepliesTo(conversationId) ? inbound.commit : undefined;
    const commit =
      held && (held.replies.length > 0 || !activities.some((activity) => activity.type === 'delay'))
        ? held
        : undefined;
    // Activities between two delays leave together: one append and one announcement for all of them.
    let batch: { response: ResourceResponse; activity: Partial<Activity>; key: string | undefined }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const ids = await this.deliverAll(
        conversation,
        batch.map((each) => each.activity),
        batch.map((each) => each.key),
      );
      batch.forEach((each, i) => {
        each.response.id = ids[i] ?? '';
      });
      batch = [];
    };
    for (const activity of activities) {
      let response: ResourceResponse = { id: '' };
      responses.push(response);
      if (activity.type === 'delay') {
        // Held replies appear together: there is nothing to wait between.
        if (commit) continue;
        await flush();
        await sleep(typeof activity.value === 'number' ? activity.value : 1_000);
        continue;
      }
      const rendered = outboundActivity(activity, conversation, this.bot, new Date(this.clock.now()));
      if (!rendered) continue;
      // Typing indicators are not replies: a re-run may show one again.
      let key: string | undefined;
      if (inbound && rendered.type !== 'typing') {
        const index = (context.turnState.get(REPLY_INDEX) as number | undefined) ?? 0;
        context.turnState.set(REPLY_INDEX, index + 1);
        key = `reply:${inbound.id}:${index}`;
      }
      if (commit && rendered.type !== 'typing') {
        response = commit.reply(rendered, key);
        responses[responses.length - 1] = response;
        continue;
      }
      batch.push({ response, activity: rendered, key });
    }
    await flush();
    return responses;
  }

  /** Appends an activity to the conversation's log and announces it; resolves with its id. */
  async deliver(conversation: ConversationRecord, activity: Partial<Activity>): Promise<string> {
    const [id] = await this.deliverAll(conversation, [activity]);
    return id ?? '';
  }

  /**
   * Appends activities to the conversation's log at once and announces the new ones together (one
   * step on Redis); their ids. `keys` make the append idempotent (see {@link ConversationStore.append}).
   */
  async deliverAll(
    conversation: ConversationRecord,
    activities: Partial<Activity>[],
    keys?: (string | undefined)[],
  ): Promise<string[]> {
    const { ids } = await this.store.append(conversation.id, activities, keys);
    return ids;
  }
}
