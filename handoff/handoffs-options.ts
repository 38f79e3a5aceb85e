import type { BotAdapter, Storage, TranscriptStore, TurnContext } from 'botbuilder';
import type { Clock } from '../core/clock.js';
import type { InFlightWork } from '../core/in-flight.js';
import type { Logger } from '../core/logger.js';
import type { IdempotencyStore, LockManager, PubSub } from '../storage/types.js';
import type { HandoffRecord } from './handoff-record.js';
import type { HubWebhook } from './hub-webhook.js';
import type { ConversationKey, RedactActivity } from './packet.js';
import type { HandoffQueue, PriorityOptions } from './queue.js';

/** Passed to the `onResolved` hook when an agent hands the conversation back to the bot. */
export interface HandoffResolved {
  record: HandoffRecord;
}

export interface HandoffsOptions {
  storage: Storage;
  transcripts: TranscriptStore;
  queue: HandoffQueue;
  pubsub: PubSub;
  /**
   * Guards the start of a handoff per conversation. eTags alone cannot: botbuilder's `Storage` has no
   * "create only", so two first writes of a new conversation's state would both succeed.
   */
  locks: LockManager;
  /**
   * Which customer messages of a queued turn were forwarded to the agents already, so a turn run again
   * (after a crash) forwards its message once. Absent: every run forwards.
   */
  forwarded?: IdempotencyStore;
  /** channelId (`webchat`, `slack`, `x`, `email`, `msteams`…) → that channel's adapter. */
  adapters?: ReadonlyMap<string, BotAdapter>;
  /** Every conversation of a member on every channel (from identity); default: the current one only. */
  conversationsOf?: (memberId: string) => Promise<ConversationKey[]>;
  redact?: RedactActivity;
  hub?: HubWebhook | undefined;
  /** The server's in-flight work, so shutdown waits for hub deliveries still retrying. */
  inFlight?: InFlightWork | undefined;
  priority?: PriorityOptions;
  /**
   * The `handoff.resolved` hook: runs in a proactive turn on the customer's conversation when an
   * agent resolves. Default: the bot asks the CSAT question in the customer's language.
   */
  onResolved?: (resolved: HandoffResolved, context: TurnContext) => Promise<void>;
  clock?: Clock;
  logger?: Logger;
  newId?: () => string;
}

/** A handoff as the desk lists it. */
export interface HandoffSummary extends Omit<HandoffRecord, 'reference' | 'eTag'> {
  conversation: ConversationKey;
  /** Waiting for a person: until now while pending, until accepted after. */
  waitingMs: number;
}
