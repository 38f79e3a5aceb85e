import type {
  Activity,
  Middleware,
  ResourceResponse,
  StatePropertyAccessor,
  StoreItems,
  TurnContext,
} from 'botbuilder';
import { RelevoError } from '../core/errors.js';
import {
  claimedActivity,
  inboundDelivery,
  type SaveWithState,
  TurnStateKey,
  TurnDroppedError,
  takeReadChecks,
  takeReadGates,
  turnCommit,
  turnMember,
} from '../core/turn-state.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { StorageConflictError } from './errors.js';
import { NEW_ITEM_ETAG } from './keys.js';
import { jsonAsRead } from './read-json.js';
import { restoredBeforeTurn } from './restored-items.js';
import { TurnCachedStorage } from './turn-cached-storage.js';
import { OUTBOX_PROPERTY, savedOutbox, turnOutbox } from './turn-outbox.js';
import {
  activityOutbox,
  expireActivityOutboxes,
  keepActivityOutbox,
  replayOfActivity,
} from './activity-outbox.js';
import { cloneData } from '../core/clone.js';
import type { ExpiringStorage, StorageReadOptions, StorageWriteOptions } from './types.js';

/** The storage keys of a turn's two state documents. */
export interface StateKeys {
  conversation: string;
  user: string;
}

interface Loaded {
  key: string;
  eTag: string | undefined;
  json: string;
  data: Record<string, unknown>;
}

interface TurnDocuments {
  conversation: Loaded;
  user: Loaded;
  /** Which run this is (its conversation and inbound or activity id): a queued one or one under a claim. */
  run?: string | undefined;
}

/** Puts the turn's outbox into its conversation's state document (data) as the save is made. */
type PutOutbox = (data: Record<string, unknown>) => void;

const DOCUMENTS = Symbol.for('relevo.stateDocuments');

/** Conversation state per channel conversation; user state per member (all channels) once known. */
export function defaultStateKeys(context: TurnContext): StateKeys {
  const { channelId, conversation, from } = context.activity;
  const member = turnMember(context);
  return {
    conversation: `${channelId}/conversations/${conversation?.id}`,
    user: member ? `members/${member.id}/state` : `${channelId}/users/${from?.id}`,
  };
}

export interface StateMiddlewareOptions {
  keys?: (context: TurnContext) => StateKeys;
  /**
   * Other storage items the turn's later stages read (handoff policy, analytics session): read in the
   * same go as the state and, on a {@link TurnCachedStorage}, kept for them until the turn is over.
   */
  prefetch?: (context: TurnContext) => string[];
  /**
   * Other reads of the turn (the loyalty profile), started together with the state read and awaited
   * with it, so all of them travel in one round trip; each reports its own failures.
   */
  alongside?: (context: TurnContext) => Promise<unknown>[];
  /** Attempts of a turn whose save met a conflict (default 3). */
  maxAttempts?: number;
  logger?: Logger;
}

/**
 * Loads the conversation and user state once per turn (one read), saves them once after the turn
 * under the eTags they were read with (one all-or-nothing write), and retries the turn when someone
 * else wrote in between. What the bot sends is held back until its state is saved (STYLE.md rule 4), so
 * a retried turn never leaves a reply the saved state does not know about; typing indicators pass at once.
 * botbuilder's own BotState writes with eTag '*' (last write wins); this does not.
 */
export class StateMiddleware implements Middleware {
  private readonly keys: (context: TurnContext) => StateKeys;
  private readonly prefetch: (context: TurnContext) => string[];
  private readonly alongside: (context: TurnContext) => Promise<unknown>[];
  private readonly maxAttempts: number;
  private readonly logger: Logger;

  /** `storage`: any botbuilder `Storage`; one that ignores the read and write options works too. */
  constructor(
    private readonly storage: ExpiringStorage,
    options: StateMiddlewareOptions = {},
  ) {
    this.keys = options.keys ?? defaultStateKeys;
    this.prefetch = options.prefetch ?? (() => []);
    this.alongside = options.alongside ?? (() => []);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.logger = options.logger ?? silentLogger;
  }

  /** A property of the conversation's state (for example botbuilder-dialogs' `dialogState`). */
  conversationProperty<T>(name: string): StatePropertyAccessor<T> {
    return this.accessor<T>('conversation', name);
  }

  /** A property of the member's state, shared by all their channels. */
  userProperty<T>(name: string): StatePropertyAccessor<T> {
    return this.accessor<T>('user', name);
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    let outbox: Partial<Activity>[] = [];
    // Set once the state is saved, and once this stage is left (what earlier stages send after it —
    // the rate limit's notice for a turn dropped here — goes out as it is sent).
    let flushing = false;
    context.onSendActivities(async (_context, activities, sendNext) => {
      if (flushing || activities.every((activity) => activity.type === 'typing')) return sendNext();
      outbox.push(...activities);
      return activities.map((): ResourceResponse => ({ id: '' }));
    });

    // Items read for later stages are kept for them until the turn is over.
    const releases: (() => void)[] = [];
    const delivery = inboundDelivery(context);
    // A turn run in its HTTP request under the dedupe stage's claim keeps its answer the same way.
    const claimed = delivery ? undefined : claimedActivity(context);
    const sendReplies = async (replies: Partial<Activity>[]) => {
      flushing = true;
      // A queued turn's replies are appended as its entry is done, in one step with its transcript.
      turnCommit(context)?.holdReplies();
      if (replies.length > 0) await context.sendActivities(replies);
    };
    try {
      for (let attempt = 1; ; attempt++) {
        outbox = [];
        const documents = await this.load(context, releases);
        context.turnState.set(DOCUMENTS, documents);
        const data = documents.conversation.data;
        const saved = delivery
          ? savedOutbox(data, delivery.id)
          : claimed && replayOfActivity(data, claimed, Date.now());
        if (saved) {
          // An earlier run of this turn saved its state (its process died before the queue's commit or
          // the dedupe stage's record, or the turn failed after the save): its replies are the answer,
          // sent again (to rebuild a queued turn's commit, or as the HTTP response of one run in its
          // request); the turn does not run again on the state it advanced, nor is anything saved.
          // No later stage runs (NLU, handoff, the bot): their work of the turn is done or in the outbox;
          // `transcript.inbound()`, before this stage, logs the message and the replies.
          context.turnState.set(TurnStateKey.replayed, true);
          for (const [name, request] of saveRequests(context)) request.replay?.(saved.work?.[name]);
          await sendReplies(saved.replies);
          return;
        }
        await next();
        const requests = saveRequests(context);
        const others = requests.map(([, request]) => request);
        try {
          const run = delivery?.id ?? claimed?.id;
          const put: PutOutbox | undefined =
            run === undefined
              ? undefined
              : (into) => {
                  const kept = turnOutbox(context, run, outbox, requests);
                  if (!claimed) into[OUTBOX_PROPERTY] = kept;
                  else keepActivityOutbox(into, activityOutbox(kept, claimed, Date.now()));
                };
          await this.save(documents, others, put);
        } catch (error) {
          if (!(error instanceof StorageConflictError) || attempt >= this.maxAttempts) throw error;
          this.logger.info({ key: error.key, attempt }, 'state changed during the turn; running it again');
          for (const other of others) other.retrying?.();
          continue;
        }
        for (const other of others) other.saved?.();
        await sendReplies(outbox);
        return;
      }
    } finally {
      flushing = true;
      for (const release of releases) release();
    }
  }

  private async load(context: TurnContext, releases: (() => void)[]): Promise<TurnDocuments> {
    const keys = this.keys(context);
    const own = [keys.conversation, keys.user];
    // A turn that may run again (queued, or under a claim) reads its member's state as it was before a
    // save of its own an earlier run left cut (on a Redis Cluster: the member's part written, the
    // conversation's not).
    const runId = inboundDelivery(context)?.id ?? claimedActivity(context)?.id;
    // An activity id is unique within its conversation only, and a member's state is shared by all theirs.
    const run = runId === undefined ? undefined : JSON.stringify([keys.conversation, runId]);
    const options: StorageReadOptions = { turn: run };
    const read = async (): Promise<StoreItems> => {
      if (!(this.storage instanceof TurnCachedStorage)) {
        return this.storage.read([...own, ...this.prefetch(context)], options);
      }
      const { items, release } = await this.storage.readForTurn(own, this.prefetch(context), options);
      releases.push(release);
      return items;
    };
    // Checks of earlier stages (a member put on the turn before it was proven) travel with the read.
    const checks = takeReadChecks(context);
    // Gates of earlier stages (the rate limit's count) travel with it too; a closed one drops the turn.
    const gates = takeReadGates(context);
    const reading = read();
    const [items, ...answers] = await Promise.all([
      reading,
      ...checks,
      ...gates,
      ...this.alongside(context),
    ]).catch(async (error: unknown) => {
      // A check that failed first must not leave the read's release behind the turn's `finally`.
      await reading.catch(() => undefined);
      throw error;
    });
    const loaded = (key: string): Loaded => {
      const item = items[key];
      const { eTag, ...data } = (item ?? {}) as Record<string, unknown> & { eTag?: string };
      // A document read as it was before a cut save is written back even unchanged: its stored value
      // holds the cut run's change.
      const json = restoredBeforeTurn(item) ? '' : (jsonAsRead(item) ?? JSON.stringify(data));
      return { key, eTag, json, data };
    };
    const conversation = loaded(keys.conversation);
    const delivery = inboundDelivery(context);
    // A queued turn whose state an earlier run saved got through then: its replay is never dropped (a
    // gate's window may have turned meanwhile), or its saved answer would never be shown.
    const replaying = delivery !== undefined && savedOutbox(conversation.data, delivery.id) !== undefined;
    if (answers.slice(checks.length, checks.length + gates.length).includes(false) && !replaying) {
      throw new TurnDroppedError();
    }
    if (answers.slice(0, checks.length).includes(false)) return this.load(context, releases);
    return { conversation, user: loaded(keys.user), run };
  }

  /**
   * Writes the changed documents and the other stages' items in one batch; the turn's outbox (a queued
   * turn's, or one run in its request under a claim) goes into the conversation's document with them
   * whenever anything is written (a turn that writes nothing leaves a state a re-run starts from as
   * this run did).
   */
  private async save(
    documents: TurnDocuments,
    others: SaveWithState[],
    putOutbox?: PutOutbox,
  ): Promise<void> {
    const changes: Record<string, unknown> = {};
    for (const other of others) Object.assign(changes, await other.items());
    // Answers of turns run in their request live no longer than their claim keeps them.
    expireActivityOutboxes(documents.conversation.data, Date.now());
    // The conversation's document last: on a Redis Cluster its part, which holds the outbox, is written
    // after every other part of the batch (storage/redis-storage.ts), so an outbox found in storage
    // means the whole save landed.
    const isChanged = (document: Loaded) => JSON.stringify(document.data) !== document.json;
    // With others' items to write, an outbox goes into the conversation's document whether or not the
    // turn changed it: no need to compare it.
    const outboxAnyway = putOutbox !== undefined && Object.keys(changes).length > 0;
    const changed = [documents.user, documents.conversation].filter(
      (document) => (outboxAnyway && document === documents.conversation) || isChanged(document),
    );
    if (putOutbox && changed.length > 0) {
      // Built after the items: what a stage keeps for a replay may be what its items found.
      putOutbox(documents.conversation.data);
      if (!changed.includes(documents.conversation)) changed.push(documents.conversation);
    }
    for (const document of changed) {
      // A document new this turn is created only if nobody created it meanwhile.
      changes[document.key] = { ...document.data, eTag: document.eTag ?? NEW_ITEM_ETAG };
    }
    // On a Redis Cluster the member's state, written before the conversation's part, keeps what it
    // replaced for a run of this turn again, should this save be cut between the two.
    const options: StorageWriteOptions | undefined =
      documents.run === undefined ? undefined : { turn: { id: documents.run, keys: [documents.user.key] } };
    const writing = Object.keys(changes).length > 0 ? this.storage.write(changes, options) : undefined;
    writing?.catch(() => {}); // awaited below, after the other stages' work is started
    // In the same tick as the write: the other stages' idempotent writes travel in its round trip.
    for (const other of others) other.saving?.();
    await writing;
  }

  private accessor<T>(scope: 'conversation' | 'user', name: string): StatePropertyAccessor<T> {
    const documentOf = (context: TurnContext): Loaded => {
      const documents = context.turnState.get(DOCUMENTS) as TurnDocuments | undefined;
      if (!documents) {
        throw new RelevoError(
          'RELEVO_STATE_NOT_LOADED',
          'StateMiddleware must run before state is used in a turn',
        );
      }
      return documents[scope];
    };
    return {
      get: async (context: TurnContext, defaultValue?: T) => {
        const data = documentOf(context).data;
        if (data[name] === undefined && defaultValue !== undefined) data[name] = cloneData(defaultValue);
        return data[name] as T;
      },
      set: async (context: TurnContext, value: T) => {
        documentOf(context).data[name] = value;
      },
      delete: async (context: TurnContext) => {
        delete documentOf(context).data[name];
      },
    } as StatePropertyAccessor<T>;
  }
}

/** The requests of other stages to write with the turn's save, by name (see `saveWithState`). */
function saveRequests(context: TurnContext): [string, SaveWithState][] {
  const requests = context.turnState.get(TurnStateKey.saveWithState) as
    | Map<string, SaveWithState>
    | undefined;
  return [...(requests?.entries() ?? [])];
}
