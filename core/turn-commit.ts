import type { Activity, ResourceResponse, TranscriptStore } from 'botbuilder';

/**
 * How long what is left of a conversation erased inside a turn ("forget me") may live: the queued turn's
 * outbox (its goodbye and what was left to erase, kept so a re-delivery replays the turn) and, should
 * its process die between the goodbye's commit and the channel's delete, web chat's log. Longer than a
 * re-delivery takes (the queue's visibility timeout, 10 s by default), short enough that nothing of the
 * customer outlives a crash by more than minutes.
 */
export const ERASED_CONVERSATION_TTL_MS = 10 * 60_000;

/** A transcript entry of a commit; `reply` is the index of a reply the commit appends, whose id it gets. */
export interface CommitTranscriptEntry {
  activity: Activity;
  reply?: number;
}

/** A reply the commit appends to the conversation's log (web chat), under its idempotency key. */
export interface CommitReply {
  activity: Partial<Activity>;
  key: string | undefined;
}

export interface TurnCommitOptions {
  /** The queued turn's conversation: only its own activities travel with the commit (one cluster slot). */
  channelId: string | undefined;
  conversationId: string | undefined;
  /** The transcript store the queue's finishing step writes to; others are written by the stage itself. */
  transcripts?: TranscriptStore | undefined;
  /** Whether the finishing step can append the turn's replies (web chat) instead of the adapter. */
  replies?: boolean;
}

/**
 * What a turn from the durable inbound queue leaves for the queue's finishing step instead of writing
 * it itself: the transcript of its inbound activity and replies and, on web chat, the replies
 * themselves. The queue writes them in the same step as it removes the finished entry (one script on the
 * conversation's slot on Redis), so the customer sees a finished turn's replies iff the entry is done iff
 * the transcript has them, and a turn cut short leaves none of them behind. A turn that fails is kept
 * without the removal (see `InboundQueue`). A run gets a fresh one.
 */
export class TurnCommit {
  readonly transcript: CommitTranscriptEntry[] = [];
  readonly replies: CommitReply[] = [];
  /** The reply each pending response stands for (its id is known only once the commit is made). */
  private readonly pending = new WeakMap<ResourceResponse, number>();
  private holding = false;
  private isDropped = false;

  constructor(private readonly options: TurnCommitOptions) {}

  /** The turn's conversation id (for the log its replies go to). */
  get conversationId(): string | undefined {
    return this.options.conversationId;
  }

  /**
   * Takes `entries` for the transcript when the commit writes to `store` and they belong to the turn's
   * conversation; `false`: the caller writes them itself.
   */
  logs(store: TranscriptStore, entries: readonly CommitTranscriptEntry[]): boolean {
    if (store !== this.options.transcripts || !entries.every(({ activity }) => this.isOwn(activity))) {
      return false;
    }
    if (!this.isDropped) this.transcript.push(...entries);
    return true;
  }

  /**
   * From now on the turn's replies are held for the commit (when it can append them): the state stage
   * calls this as it sends what it held back until its save, so they are shown as the turn's entry is
   * done. Replies sent before (a bot without a state stage) are shown at once, as they are sent.
   */
  holdReplies(): void {
    this.holding = true;
  }

  /**
   * Whether the turn's state was saved (the state stage started holding replies): from then on the
   * replies held are the ones a re-run must not replace, even when the turn fails later.
   */
  get saved(): boolean {
    return this.holding;
  }

  /** Whether replies to `conversationId` are held for the commit to append (web chat). */
  takesRepliesTo(conversationId: string | undefined): boolean {
    return this.options.replies === true && this.holding && conversationId === this.options.conversationId;
  }

  /** Holds a reply for the commit; the response stands for it (its id stays '' for the bot). */
  reply(activity: Partial<Activity>, key: string | undefined): ResourceResponse {
    const response: ResourceResponse = { id: '' };
    this.pending.set(response, this.replies.push({ activity, key }) - 1);
    return response;
  }

  /**
   * Drops the transcript taken so far and what is logged later: the turn erased its conversation's
   * transcript ("forget me"), which the commit, written after the turn, would otherwise start again.
   * Held replies are still appended (the customer sees the goodbye).
   */
  dropTranscript(): void {
    this.transcript.length = 0;
    this.isDropped = true;
  }

  /**
   * Whether the turn erased its own conversation ("forget me", {@link dropTranscript}): the finishing
   * step deletes the channel's data of it (web chat's Direct Line log) once the replies are appended.
   */
  get conversationErased(): boolean {
    return this.isDropped;
  }

  /** The index of the held reply `response` stands for, if it is one. */
  replyOf(response: ResourceResponse | undefined): number | undefined {
    return response ? this.pending.get(response) : undefined;
  }

  /** The transcript's activities with the ids `ids` of the replies filled in. */
  transcriptWith(ids: readonly string[]): Activity[] {
    return this.transcript.map(({ activity, reply }) =>
      reply === undefined ? activity : ({ ...activity, id: ids[reply] ?? '' } as Activity),
    );
  }

  /** The transcript's activities other than held replies (those have no id yet): the inbound one. */
  pendingTranscript(): Activity[] {
    return this.transcript.filter((entry) => entry.reply === undefined).map((entry) => entry.activity);
  }

  /** What is left of this commit once its replies were appended with `ids`: the transcript, with their ids. */
  appended(ids: readonly string[]): TurnCommit {
    const rest = new TurnCommit({ ...this.options, replies: false });
    rest.transcript.push(...this.transcriptWith(ids).map((activity) => ({ activity })));
    return rest;
  }

  private isOwn(activity: Partial<Activity>): boolean {
    return (
      activity.channelId === this.options.channelId &&
      activity.conversation?.id === this.options.conversationId
    );
  }
}
