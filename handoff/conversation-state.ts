import type { Storage, StoreItems } from 'botbuilder';
import { hasCode } from '../core/errors.js';
import { StorageErrorCode } from '../storage/errors.js';
import type { ExpiringStorage } from '../storage/types.js';
import { emptySignals, type PolicySignals } from './policy.js';

/** What the bot understood of one customer message: shown per turn in the agent console. */
export interface TurnAnnotation {
  activityId: string;
  topIntent: string;
  confidence: number;
  sentiment: number;
  sentimentLabel: string;
  language: string;
}

/** The handoff feature's state of one conversation, one storage item with an eTag. */
export interface ConversationHandoffState {
  signals: PolicySignals;
  /** The handoff pending or active on this conversation: no second one starts while it is set. */
  activeHandoffId: string | null;
  /** The NLU of the last turns, newest last (at most {@link MAX_TURNS}). */
  turns: TurnAnnotation[];
  /** The last message folded into the signals: a re-run of its turn must not count it twice. */
  lastActivityId?: string | undefined;
  eTag?: string;
}

/**
 * Turns whose NLU is kept: the agent console annotates the customer's last 20 messages and the packet's
 * sentiment curve covers them. The item is read, copied and rewritten whole every turn, so each kept
 * turn costs every later turn (100 made it ~17 KB, a third of what a turn allocated).
 */
export const MAX_TURNS = 20;

/** Storage key of a conversation's handoff state. */
export function conversationStateKey(channelId: string, conversationId: string): string {
  return `handoff/conversation/${channelId}/${conversationId}`;
}

/**
 * Reads and writes each conversation's handoff state in botbuilder `Storage` with optimistic
 * concurrency, so every process sees the same signals and two processes cannot start two handoffs.
 */
export class ConversationStateStore {
  constructor(private readonly storage: Storage) {}

  async read(channelId: string, conversationId: string): Promise<ConversationHandoffState> {
    return this.readItem(channelId, conversationId, false);
  }

  /**
   * {@link read} for a caller that changes nothing of what it reads (a new state is built beside it): a
   * turn's two readers then share the item its state stage read, where each copy of it cost ~0.5 % of
   * a message's CPU. A botbuilder `Storage` ignores the option and answers a fresh item.
   */
  readShared(channelId: string, conversationId: string): Promise<Readonly<ConversationHandoffState>> {
    return this.readItem(channelId, conversationId, true);
  }

  private async readItem(
    channelId: string,
    conversationId: string,
    readOnly: boolean,
  ): Promise<ConversationHandoffState> {
    const key = conversationStateKey(channelId, conversationId);
    const read = await (this.storage as ExpiringStorage).read([key], readOnly ? { readOnly } : {});
    const item = read[key] as ConversationHandoffState | undefined;
    return item ?? { signals: emptySignals(), activeHandoffId: null, turns: [] };
  }

  /** Writes with the eTag it was read with; rejects with `RELEVO_STORAGE_CONFLICT` if it changed. */
  async write(channelId: string, conversationId: string, state: ConversationHandoffState): Promise<void> {
    await this.storage.write(this.changes(channelId, conversationId, state));
  }

  /** The storage item {@link write} writes, for a caller that writes it together with others. */
  changes(channelId: string, conversationId: string, state: ConversationHandoffState): StoreItems {
    const turns = state.turns.slice(-MAX_TURNS);
    return { [conversationStateKey(channelId, conversationId)]: { ...state, turns } };
  }

  /**
   * Read-modify-write retried on conflicts. `change` returns the new state, or `undefined` to leave
   * the item as it is.
   */
  async update<T>(
    channelId: string,
    conversationId: string,
    change: (state: ConversationHandoffState) => { state?: ConversationHandoffState; result: T },
    attempts = 5,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read(channelId, conversationId);
      const { state, result } = change(current);
      if (!state) return result;
      try {
        await this.write(channelId, conversationId, state);
        return result;
      } catch (error) {
        if (!hasCode(error, StorageErrorCode.conflict) || attempt >= attempts) throw error;
      }
    }
  }
}
