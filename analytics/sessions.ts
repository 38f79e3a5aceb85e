import { createHash, randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { hasCode } from '../core/errors.js';
import { remembered } from '../core/bounded-memo.js';
import { StorageErrorCode } from '../storage/errors.js';
import type { ExpiringStorage } from '../storage/types.js';

/** One analytics session: a conversation from its first turn until an idle gap. */
export interface ConversationSession {
  id: string;
  startedAt: number;
  lastAt: number;
  turns: number;
  eTag?: string;
  /**
   * The last turns that touched the session (oldest first, at most {@link RECENT_TURNS}), so a run of
   * one of them again sees what its first run saw.
   */
  recent?: SessionTurn[];
}

/**
 * How many turns a session remembers. A queued turn is run again within minutes of its first run, and
 * only turns run outside the queue (`expectReplies`, invokes) can come in between: a few at most.
 */
const RECENT_TURNS = 8;

/** What a turn's first run saw of the session, kept in it (a stored session, without `recent` or eTag). */
export interface SessionTurn {
  /**
   * A digest of the inbound activity's id ({@link turnDigest}): a raw id can hold the platform's
   * conversation id (web chat's `<Direct Line conversation id>|0000001`), which analytics never keeps.
   */
  id: string;
  /** When the turn's first run started. */
  at: number;
  isNew: boolean;
  ended?: ConversationSession;
}

export interface SessionTouch {
  session: ConversationSession;
  isNew: boolean;
  /** The session that ended because the conversation was idle too long, if any. */
  ended: ConversationSession | undefined;
  /**
   * When the turn happened: its first run's start. A turn run again (same inbound id, after a failure
   * or a crash) keeps it, so its outcome events keep their UTC day and are stored once.
   */
  at: number;
}

/** Storage key of a conversation's session: hashed, so no platform id (an email thread) is in the key. */
export function sessionKey(channelId: string, conversationId: string): string {
  // Every turn names its conversation's session twice (read with the state, then touched).
  return remembered(recentKeys, RECENT_KEYS, `${channelId}\u0000${conversationId}`, hashedSessionKey);
}

function hashedSessionKey(id: string): string {
  return `analytics/session/${createHash('sha256').update(id).digest('base64url')}`;
}

const RECENT_KEYS = 10_000;
const recentKeys = new Map<string, string>();

/** What a session keeps of a turn's inbound id: 128 bits of its SHA-256, enough to tell turns apart. */
export function turnDigest(turnId: string): string {
  return createHash('sha256').update(turnId).digest('base64url').slice(0, 22);
}

/**
 * Which analytics session a conversation is in. Slack DMs and email threads never "end", so a
 * conversation is cut into sessions by inactivity (default 30 minutes, the usual contact-centre and
 * web analytics convention). Kept in botbuilder `Storage` so every process agrees.
 */
export class ConversationSessions {
  constructor(
    private readonly storage: Storage,
    private readonly idleMs: number = 30 * 60 * 1000,
    private readonly newId: () => string = randomUUID,
  ) {}

  /** The session a conversation is in now, without touching it (for events raised outside a turn). */
  async current(channelId: string, conversationId: string): Promise<ConversationSession | undefined> {
    const key = sessionKey(channelId, conversationId);
    return (await this.storage.read([key]))[key] as ConversationSession | undefined;
  }

  /**
   * Marks a turn of the conversation at `at`, starting a new session after an idle gap. `turnId` (the
   * inbound activity's id) makes a run of the same turn again answer what its first run did.
   */
  async touch(
    channelId: string,
    conversationId: string,
    at: number,
    endAt: number,
    turnId?: string,
  ): Promise<SessionTouch> {
    for (let attempt = 1; ; attempt++) {
      const { touch, changes } = await this.prepare(channelId, conversationId, at, endAt, turnId);
      try {
        await this.storage.write(changes);
        return touch;
      } catch (error) {
        if (!hasCode(error, StorageErrorCode.conflict) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * The touch of a turn and the storage item that records it (under the eTag it was read with), for
   * a caller that writes it itself, together with other items.
   */
  async prepare(
    channelId: string,
    conversationId: string,
    at: number,
    endAt: number,
    turnId?: string,
  ): Promise<{ touch: SessionTouch; changes: StoreItems }> {
    const key = sessionKey(channelId, conversationId);
    // Only read: the session written is a new object (a kept item comes without a copy; a botbuilder
    // `Storage` ignores the option).
    const read = await (this.storage as ExpiringStorage).read([key], { readOnly: true });
    const current = read[key] as Readonly<ConversationSession> | undefined;
    const digest = turnId === undefined ? undefined : turnDigest(turnId);
    const again = digest === undefined ? undefined : current?.recent?.find((turn) => turn.id === digest);
    if (current && again) {
      // The same turn run again: its first run's view, whatever the clock says now (past midnight…).
      const session: ConversationSession = { ...current, lastAt: Math.max(current.lastAt, endAt) };
      return {
        touch: { session: plain(session), isNew: again.isNew, ended: again.ended, at: again.at },
        changes: { [key]: session },
      };
    }
    const isNew = current === undefined || at - current.lastAt > this.idleMs;
    const ended = isNew && current ? plain(current) : undefined;
    const session: ConversationSession = isNew
      ? { id: this.newId(), startedAt: at, lastAt: endAt, turns: 1 }
      : { ...plain(current), lastAt: Math.max(current.lastAt, endAt), turns: current.turns + 1 };
    const earlier = isNew ? [] : (current?.recent ?? []);
    const recent =
      digest === undefined
        ? earlier
        : [...earlier, { id: digest, at, isNew, ...(ended ? { ended } : {}) }].slice(-RECENT_TURNS);
    if (recent.length > 0) session.recent = recent;
    if (current?.eTag) session.eTag = current.eTag;
    return { touch: { session: plain(session), isNew, ended, at }, changes: { [key]: session } };
  }
}

/** A session as events see it: without its storage eTag and its recent turns. */
function plain(session: ConversationSession): ConversationSession {
  const { eTag: _eTag, recent: _recent, ...clean } = session;
  return clean;
}
