import { type ConversationReference, type Middleware, type Storage, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';

/** How many conversations this process remembers having saved, so a reference is written once, not per turn. */
const SAVED_CACHE_SIZE = 10_000;

/**
 * Keeps the conversation reference of every conversation a customer wrote in, in storage (so any
 * process can use it), for proactive messages the agent sends later: a journey waypoint's offer on the
 * member's last active channel.
 */
export class ConversationReferences implements Middleware {
  private readonly saved = new Set<string>();

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const { type, channelId, conversation } = context.activity;
    const key = referenceKey(channelId, conversation?.id ?? '');
    if (type === 'message' && conversation?.id && !this.saved.has(key)) {
      try {
        await this.storage.write({
          [key]: { reference: TurnContext.getConversationReference(context.activity), eTag: '*' },
        });
        this.remember(key);
      } catch (error) {
        this.logger.warn({ err: error, channelId }, 'could not save a conversation reference');
      }
    }
    await next();
  }

  /** The stored reference of a conversation, or undefined if the customer never wrote in it. */
  async get(channelId: string, conversationId: string): Promise<Partial<ConversationReference> | undefined> {
    const key = referenceKey(channelId, conversationId);
    const item = (await this.storage.read([key]))[key] as
      | { reference?: Partial<ConversationReference> }
      | undefined;
    return item?.reference;
  }

  private remember(key: string): void {
    if (this.saved.size >= SAVED_CACHE_SIZE) this.saved.clear();
    this.saved.add(key);
  }
}

function referenceKey(channelId: string, conversationId: string): string {
  return `references/${channelId}/${conversationId}`;
}
