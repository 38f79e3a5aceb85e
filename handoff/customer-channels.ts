import type { BotAdapter, TurnContext } from 'botbuilder';
import { HandoffErrorCode, handoffError } from './errors.js';
import type { HandoffRecord } from './handoff-record.js';

/**
 * Reaches a handoff's customer on their own channel with `continueConversation`, through the adapter
 * the composition root mapped to the channel or, failing that, the one its turns were seen to run on.
 */
export class CustomerChannels {
  private readonly learned = new Map<string, BotAdapter>();

  /** `adapters`: channelId → that channel's adapter. */
  constructor(private readonly adapters: ReadonlyMap<string, BotAdapter> | undefined) {}

  /** Remembers the adapter a channel's turns run on, for channels the composition root did not map. */
  learn(channelId: string, adapter: BotAdapter): void {
    if (!this.learned.has(channelId)) this.learned.set(channelId, adapter);
  }

  /** Runs `logic` in a proactive turn on the handoff's conversation; a 503 error when no adapter serves it. */
  async continueWith(record: HandoffRecord, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    const adapter = this.adapters?.get(record.channelId) ?? this.learned.get(record.channelId);
    if (!adapter) {
      throw handoffError(HandoffErrorCode.noChannel, `No adapter for channel "${record.channelId}"`, 503);
    }
    await adapter.continueConversation(record.reference, logic);
  }
}
