import { createHash } from 'node:crypto';
import type { Storage, StoreItem } from 'botbuilder';
import { hasCode } from '../../core/errors.js';
import type { EmailThread } from './outbound.js';
import { stripReplyPrefixes } from './outbound.js';

/**
 * The email connector's durable state in botbuilder `Storage` (memory or Redis): the IMAP checkpoint
 * and the threads. Every write carries the eTag it read (optimistic concurrency, DESIGN.md §3) and is
 * retried on a conflict, so two Relevo processes watching one mailbox never lose each other's writes.
 */

const CONFLICT = 'RELEVO_STORAGE_CONFLICT';
const MAX_WRITE_ATTEMPTS = 5;

/** Where the connector is in one mailbox: every message up to `lastUid` of `uidValidity` is handled. */
export interface Checkpoint {
  readonly uidValidity: string;
  readonly lastUid: number;
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** Reads `key`, applies `change` to it and writes it back with the eTag it was read with; retries conflicts. */
async function update<T extends object>(
  storage: Storage,
  key: string,
  change: (current: T | undefined) => T | undefined,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const items = await storage.read([key]);
    const stored = items[key] as (T & StoreItem) | undefined;
    const { eTag, ...current } = stored ?? ({} as StoreItem);
    const next = change(stored ? (current as T) : undefined);
    if (next === undefined) return stored ? (current as T) : undefined;
    try {
      // A new item is written with no eTag; botbuilder stores then accept it even if it appeared meanwhile,
      // which is fine for our merge-by-maximum values.
      await storage.write({ [key]: { ...next, ...(eTag ? { eTag } : {}) } });
      return next;
    } catch (error) {
      if (!hasCode(error, CONFLICT) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
    }
  }
}

/** The durable IMAP checkpoint of one mailbox (account, host and mailbox name; never the password). */
export class CheckpointStore {
  private readonly key: string;

  constructor(
    private readonly storage: Storage,
    mailboxIdentity: string,
  ) {
    this.key = `email/checkpoint/${shortHash(mailboxIdentity)}`;
  }

  async read(): Promise<Checkpoint | undefined> {
    const items = await this.storage.read([this.key]);
    const stored = items[this.key] as (Checkpoint & StoreItem) | undefined;
    return stored ? { uidValidity: stored.uidValidity, lastUid: stored.lastUid } : undefined;
  }

  /** Advances the checkpoint; never moves it back under the same UIDVALIDITY. */
  async advance(uidValidity: string, uid: number): Promise<void> {
    await update<Checkpoint>(this.storage, this.key, (current) => {
      if (current && current.uidValidity === uidValidity && current.lastUid >= uid) return undefined;
      return { uidValidity, lastUid: uid };
    });
  }

  /** Replaces the checkpoint (tests and operators rewinding a mailbox). */
  async overwrite(checkpoint: Checkpoint): Promise<void> {
    await this.storage.write({ [this.key]: { ...checkpoint, eTag: '*' } });
  }
}

/** Threads by conversation id (the thread's first Message-ID). */
export class ThreadStore {
  constructor(private readonly storage: Storage) {}

  private key(conversationId: string): string {
    return `email/thread/${shortHash(conversationId)}`;
  }

  async get(conversationId: string): Promise<EmailThread | undefined> {
    const items = await this.storage.read([this.key(conversationId)]);
    const stored = items[this.key(conversationId)] as (EmailThread & StoreItem) | undefined;
    if (!stored) return undefined;
    const { eTag: _eTag, ...thread } = stored;
    return thread as EmailThread;
  }

  /** Records a customer's message: it becomes the one the next reply answers. */
  async recordInbound(
    conversationId: string,
    message: {
      messageId: string | undefined;
      references: readonly string[];
      subject: string;
      customer: { address: string; name: string };
    },
  ): Promise<void> {
    await update<EmailThread>(this.storage, this.key(conversationId), (current) => ({
      customer: message.customer,
      subject: current?.subject || stripReplyPrefixes(message.subject),
      lastMessageId: message.messageId ?? current?.lastMessageId,
      references: merge(current?.references ?? [], [...message.references, message.messageId]),
    }));
  }

  /** Records our reply: the next reply (the bot's or an agent's) answers it, keeping one thread. */
  async recordOutbound(conversationId: string, fallback: EmailThread, messageId: string): Promise<void> {
    await update<EmailThread>(this.storage, this.key(conversationId), (current) => {
      const thread = current ?? fallback;
      return {
        ...thread,
        lastMessageId: messageId,
        references: merge(thread.references, [thread.lastMessageId, messageId]),
      };
    });
  }
}

/** Appends ids not yet in the list, oldest first, keeping the first and the latest 49. */
function merge(ids: readonly string[], more: readonly (string | undefined)[]): string[] {
  const result = [...ids];
  for (const id of more) if (id && !result.includes(id)) result.push(id);
  return result.length <= 50 ? result : [result[0] as string, ...result.slice(-49)];
}
