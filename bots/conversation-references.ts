import { type ConversationReference, type Middleware, type Storage, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { saveWithState, TurnDroppedError, untilAllowed } from '../core/turn-state.js';

/** How many conversations this process remembers having saved, so a reference is written once, not per turn. */
const SAVED_CACHE_SIZE = 10_000;

/**
 * Keeps the conversation reference of every conversation a customer wrote in, in storage (so any
 * process can use it), for proactive messages the agent sends later: a journey waypoint's offer on the
 * member's last active channel. The write goes out with the turn's state save (after the turn without a
 * state stage, or once a turn failed), and never for a message the rate limit drops.
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
    if (type !== 'message' || !conversation?.id || this.saved.has(key)) return next();
    let writing: Promise<void> | undefined;
    // Once per turn: a save that meets a conflict runs the turn, and this, again.
    const write = (): Promise<void> => {
      writing ??= this.write(key, context);
      return writing;
    };
    saveWithState(context, 'references', { items: async () => ({}), saving: () => void write() });
    const allowed = untilAllowed(context);
    try {
      await next();
    } catch (error) {
      // A turn that failed once the rate limit let it through still leaves its reference (proactive
      // messages reach the customer there); a dropped one leaves nothing.
      if (!(error instanceof TurnDroppedError)) await allowed().then(write, () => {});
      await writing;
      throw error;
    }
    await write();
  }

  /** The stored reference of a conversation, or undefined if the customer never wrote in it. */
  async get(channelId: string, conversationId: string): Promise<Partial<ConversationReference> | undefined> {
    const key = referenceKey(channelId, conversationId);
    const item = (await this.storage.read([key]))[key] as
      | { reference?: Partial<ConversationReference> }
      | undefined;
    return item?.reference;
  }

  /** Writes the reference of the turn's conversation; a failure is logged, never thrown. */
  private async write(key: string, context: TurnContext): Promise<void> {
    try {
      await this.storage.write({
        [key]: { reference: TurnContext.getConversationReference(context.activity), eTag: '*' },
      });
      this.remember(key);
    } catch (error) {
      this.logger.warn(
        { err: error, channelId: context.activity.channelId },
        'could not save a conversation reference',
      );
    }
  }

  private remember(key: string): void {
    if (this.saved.size >= SAVED_CACHE_SIZE) this.saved.clear();
    this.saved.add(key);
  }
}

function referenceKey(channelId: string, conversationId: string): string {
  return `references/${channelId}/${conversationId}`;
}
