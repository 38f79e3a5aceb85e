import { randomBytes } from 'node:crypto';
import type { Activity, TranscriptStore } from 'botbuilder';
import type { Holder, InboundBackend, Next } from '../../storage/inbound-backend.js';
import { logTranscript } from '../../storage/transcript-log.js';
import type { TurnCommit } from '../../core/turn-commit.js';
import { conversationTag } from '../../storage/redis-keys.js';
import type { PubSub } from '../../storage/types.js';

/** A Direct Line conversation: who it belongs to. */
export interface ConversationRecord {
  id: string;
  /** The browser user's id (the part after `webchat:` in the identity key). */
  userId: string;
  userName?: string | undefined;
  locale?: string | undefined;
  createdAt: number;
}

/** A page of activities after a watermark. */
export interface ActivitySet {
  activities: Partial<Activity>[];
  /** The sequence number of the last activity of the conversation seen so far. */
  watermark: number;
}

/** What is published on a conversation's delivery channel: the activities just appended. */
export interface Delivery extends ActivitySet {
  /** Watermark before these activities, so a listener can tell whether it missed any. */
  after: number;
}

/**
 * The pub/sub channel announcing new activities of one conversation to every process. It carries the
 * conversation's hash tag, so on a Redis Cluster the log's append script can publish on it (sharded
 * pub/sub, same slot).
 */
export function deliveryChannel(conversationId: string): string {
  return `webchat:${conversationTag('webchat', conversationId)}:${conversationId}`;
}

/**
 * What the Direct Line channel keeps per conversation: its record and its activity log, in which
 * each activity's id is `<conversationId>|<7-digit sequence>` and the sequence is the watermark.
 * Every append announces its new activities on {@link deliveryChannel} (on Redis in the same script),
 * so whichever process holds the conversation's socket pushes them.
 */
export interface ConversationStore {
  create(record: ConversationRecord): Promise<void>;
  get(conversationId: string): Promise<ConversationRecord | undefined>;
  /**
   * Appends activities in order, at once (their `id`s are assigned here), and returns their ids and the
   * new watermark. A turn's replies go in one call, so they cost one write, not one each. An activity
   * given a key (`keys[i]`) is appended once per key: a repeat returns the first one's id and is not
   * `fresh` — a client's retried post, a turn run again after a crash. The fresh ones are announced
   * (one {@link Delivery}) before the promise resolves.
   */
  append(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys?: readonly (string | undefined)[],
  ): Promise<Appended>;
  /**
   * A post: appends (and announces) its `echo` as `append` does, under `key` when given, and queues its
   * turn — `turn(id)`, with the echo's id — on `queue`, claiming for `queue.holder` as the backend's
   * `append` does. On Redis with a Redis backend it is one script, so one round trip.
   */
  post(
    conversationId: string,
    echo: Partial<Activity>,
    key: string | undefined,
    turn: (id: string) => Partial<Activity>,
    queue: PostQueue,
  ): Promise<Posted>;
  /**
   * A queued turn's commit: its held replies appended (and announced) as `append` does, its transcript
   * written with their ids, and its entry `done` removed with the next claimed for `queue.holder`, as the
   * backend's `next` does. On Redis with Redis backends it is one script, so the customer sees the
   * replies iff the entry is done iff the transcript has them.
   */
  commit(conversationId: string, queue: CommitQueue, done: string, commit: TurnCommit): Promise<Next>;
  since(conversationId: string, watermark: number): Promise<ActivitySet>;
  /**
   * Deletes the conversation: its record, its log and its appended keys (a member's erase). Its token
   * then gets 404, as for an ended conversation; an open socket stays open and receives nothing more.
   */
  erase(conversationId: string): Promise<void>;
  /** The key tokens are signed with: one for every process sharing the store. */
  signingKey(): Promise<Buffer>;
  /** The keys a token may be signed with, the signing key first; `recheck`: one may be new. */
  verificationKeys(recheck?: boolean): Promise<Buffer[]>;
}

/** Where a post's turn is queued: the inbound backend, the conversation's partition, the claim's holder. */
export interface PostQueue {
  backend: InboundBackend;
  partition: string;
  holder: Holder | undefined;
}

/** Where a turn's commit removes its entry: the inbound backend, the partition, the drain's holder. */
export interface CommitQueue {
  backend: InboundBackend;
  partition: string;
  holder: Holder;
}

/** A commit as two steps: the replies' append, then the transcript and the entry's removal. */
export async function commitInTwoSteps(
  store: ConversationStore,
  conversationId: string,
  queue: CommitQueue,
  done: string,
  commit: TurnCommit,
): Promise<Next> {
  const ids = await appendHeldReplies(store, conversationId, commit);
  return queue.backend.next(queue.partition, queue.holder, done, commit.appended(ids));
}

/** Appends (and announces) a commit's held replies under their keys; resolves with their log ids. */
async function appendHeldReplies(store: ConversationStore, conversationId: string, commit: TurnCommit) {
  if (commit.replies.length === 0) return [];
  const { ids } = await store.append(
    conversationId,
    commit.replies.map((reply) => reply.activity),
    commit.replies.map((reply) => reply.key),
  );
  return ids;
}

/**
 * A failed turn's commit kept without removing its entry: its held replies appended (once its state was
 * saved; under their keys, so a re-run's are skipped), then its transcript with their ids.
 */
export async function keepTurn(
  store: ConversationStore,
  conversationId: string,
  transcripts: TranscriptStore | undefined,
  commit: TurnCommit,
): Promise<void> {
  if (commit.saved && commit.replies.length > 0) {
    await logTranscript(
      transcripts,
      commit.transcriptWith(await appendHeldReplies(store, conversationId, commit)),
    );
    return;
  }
  // Replies not shown have no id: only the rest of the transcript (the inbound message) is kept.
  await logTranscript(transcripts, commit.pendingTranscript());
}

/** What a post did: the echo's id, and what queueing its turn answered (see `InboundBackend.append`). */
export interface Posted {
  id: string;
  isNew: boolean;
  next?: Next;
}

/** A post as two steps: the echo's append, then the turn's. */
export async function postInTwoSteps(
  store: ConversationStore,
  conversationId: string,
  echo: Partial<Activity>,
  key: string | undefined,
  turn: (id: string) => Partial<Activity>,
  queue: PostQueue,
): Promise<Posted> {
  const [id = ''] = (await store.append(conversationId, [echo], [key])).ids;
  const queued = await queue.backend.append(queue.partition, id, JSON.stringify(turn(id)), queue.holder);
  return { id, ...queued };
}

/** What an append did: each activity's id, whether it was new, and the log's watermark after it. */
export interface Appended {
  ids: string[];
  /** `false` for an activity whose key was appended before (it was not appended again). */
  fresh: boolean[];
  watermark: number;
}

/** Most activities one poll returns; a client with more to fetch polls again from the new watermark. */
export const MAX_ACTIVITIES_PER_SET = 500;

export function activityId(conversationId: string, sequence: number): string {
  return `${conversationId}|${String(sequence).padStart(7, '0')}`;
}

/** {@link ConversationStore} in process memory; announces on `pubsub` when given. */
export class MemoryConversationStore implements ConversationStore {
  private readonly records = new Map<string, ConversationRecord>();
  private readonly logs = new Map<string, string[]>();
  /** Per conversation, the sequence of each keyed activity appended. */
  private readonly appended = new Map<string, Map<string, number>>();
  private readonly key = randomBytes(32);
  private readonly pubsub: PubSub | undefined;

  constructor(options: { pubsub?: PubSub } = {}) {
    this.pubsub = options.pubsub;
  }

  async create(record: ConversationRecord): Promise<void> {
    this.records.set(record.id, { ...record });
    this.logs.set(record.id, []);
  }

  async get(conversationId: string): Promise<ConversationRecord | undefined> {
    const record = this.records.get(conversationId);
    return record && { ...record };
  }

  async append(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys: readonly (string | undefined)[] = [],
  ): Promise<Appended> {
    const log = this.logs.get(conversationId) ?? [];
    this.logs.set(conversationId, log);
    const appended = this.appended.get(conversationId) ?? new Map<string, number>();
    this.appended.set(conversationId, appended);
    const sequences = activities.map((activity, i) => {
      const key = keys[i];
      const existing = key === undefined ? undefined : appended.get(key);
      if (existing !== undefined) return -existing;
      log.push(JSON.stringify(activity));
      if (key !== undefined) appended.set(key, log.length);
      return log.length;
    });
    const result = toAppended(conversationId, sequences, log.length);
    // New activities of one append are the log's last ones, in order: announce those only.
    const announced = activities.flatMap((activity, i) =>
      result.fresh[i] ? [{ ...activity, id: result.ids[i] }] : [],
    );
    if (this.pubsub && announced.length > 0) {
      const delivery: Delivery = {
        activities: announced,
        watermark: log.length,
        after: log.length - announced.length,
      };
      await this.pubsub.publish(deliveryChannel(conversationId), JSON.stringify(delivery));
    }
    return result;
  }

  post(
    conversationId: string,
    echo: Partial<Activity>,
    key: string | undefined,
    turn: (id: string) => Partial<Activity>,
    queue: PostQueue,
  ): Promise<Posted> {
    return postInTwoSteps(this, conversationId, echo, key, turn, queue);
  }

  commit(conversationId: string, queue: CommitQueue, done: string, commit: TurnCommit): Promise<Next> {
    return commitInTwoSteps(this, conversationId, queue, done, commit);
  }

  async since(conversationId: string, watermark: number): Promise<ActivitySet> {
    const log = this.logs.get(conversationId) ?? [];
    return toSet(conversationId, log.slice(watermark, watermark + MAX_ACTIVITIES_PER_SET), watermark);
  }

  async erase(conversationId: string): Promise<void> {
    this.records.delete(conversationId);
    this.logs.delete(conversationId);
    this.appended.delete(conversationId);
  }

  async signingKey(): Promise<Buffer> {
    return this.key;
  }

  async verificationKeys(): Promise<Buffer[]> {
    return [this.key];
  }
}

/** Ids from sequences (negative: appended before under the same key). */
export function toAppended(conversationId: string, sequences: number[], watermark: number): Appended {
  return {
    ids: sequences.map((sequence) => activityId(conversationId, Math.abs(sequence))),
    fresh: sequences.map((sequence) => sequence > 0),
    watermark,
  };
}

export function toSet(conversationId: string, entries: string[], watermark: number): ActivitySet {
  // Each parsed entry is a fresh object: it takes its id itself. A spread copy with the id added was
  // kept alive by V8 through young-generation collections (35 KB promoted per full page of 500).
  const activities = entries.map((json, i) => {
    const activity = JSON.parse(json) as Partial<Activity>;
    activity.id = activityId(conversationId, watermark + i + 1);
    return activity;
  });
  return { activities, watermark: watermark + entries.length };
}
