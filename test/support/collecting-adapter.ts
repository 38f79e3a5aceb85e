import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import { RelevoAdapter, type RelevoAdapterOptions } from '../../connectors/shared/relevo-adapter.js';

/**
 * A channel whose "platform" is a list: what the bot sends lands in `sent`, per conversation. The
 * turn runs through the same RelevoAdapter base and pipeline as the real connectors.
 */
export class CollectingAdapter extends RelevoAdapter {
  readonly sent: Partial<Activity>[] = [];
  private counter = 0;

  constructor(options: RelevoAdapterOptions = {}) {
    super(options);
  }

  async sendActivities(_context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    return activities.map((activity) => {
      const id = `sent-${++this.counter}`;
      this.sent.push({ ...activity, id });
      return { id };
    });
  }

  /** Sends a message as `userId` in `conversationId` and resolves once the turn is done. */
  say(
    text: string,
    options: {
      conversationId?: string;
      userId?: string;
      id?: string;
      locale?: string;
      channelId?: string;
    } = {},
  ) {
    return this.processActivityFor(
      { type: 'message', text, ...(options.locale ? { locale: options.locale } : {}) },
      options,
    );
  }

  processActivityFor(
    activity: Partial<Activity>,
    options: { conversationId?: string; userId?: string; id?: string; channelId?: string },
    logic?: (context: TurnContext) => Promise<void>,
  ) {
    return this.processActivity(
      {
        id: options.id ?? `in-${++this.counter}`,
        channelId: options.channelId ?? 'test',
        conversation: { id: options.conversationId ?? 'conversation-1' } as Activity['conversation'],
        from: { id: options.userId ?? 'test:user-1', name: 'Ana' },
        recipient: { id: 'relevo', name: 'Relevo' },
        serviceUrl: 'urn:test',
        timestamp: new Date(),
        ...activity,
      },
      logic ?? this.logic,
    );
  }

  /** The bot logic `say` runs. */
  logic: (context: TurnContext) => Promise<void> = async () => {};
}
