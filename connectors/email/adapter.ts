import { randomUUID } from 'node:crypto';
import type { Activity, ResourceResponse, Storage, TurnContext } from 'botbuilder';
import type { TurnLogic } from '../../core/channel.js';
import { parseIdentityKey } from '../../core/identity-key.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, type IdempotencyStore } from '../../storage/types.js';
import { RelevoAdapter, type RelevoAdapterOptions } from '../shared/relevo-adapter.js';
import type { InboxHandler, InboxMessage, SmtpSender } from './client.js';
import { contentKey, parseMail, toActivity } from './inbound.js';
import { CheckpointStore, ThreadStore } from './mailbox-state.js';
import { type EmailThread, toMailMessage } from './outbound.js';

export interface EmailAdapterOptions extends RelevoAdapterOptions {
  /** Our address (`EMAIL_FROM`): replies come from it and mail from it is never answered. */
  fromAddress: string;
  /** The display name of the agent's own replies. */
  botName: string;
  /** Identifies the mailbox the checkpoint belongs to, e.g. `user@host:port/INBOX`. */
  mailboxIdentity: string;
  storage: Storage;
  idempotency: IdempotencyStore;
  sender: Pick<SmtpSender, 'send'>;
  /** The bot's turn logic, run for every inbound message. */
  bot: TurnLogic;
  /** authserv-ids whose `Authentication-Results` are trusted (RFC 8601 §5); empty = the topmost header. */
  trustedAuthServIds?: readonly string[];
  /** How long a message's Message-ID + content hash is remembered for dedupe after a UIDVALIDITY change. */
  dedupeTtlMs?: number;
  /** Makes the unique part of our Message-IDs (injected for exact tests). */
  newId?: () => string;
}

/**
 * The email channel's botbuilder adapter: an IMAP message becomes one turn through the shared
 * pipeline (it is the {@link InboxHandler} of the inbox), and every message activity the bot or a human
 * agent sends becomes a threaded reply over SMTP. `sendActivities` resolves with the Message-IDs sent,
 * or rejects with `RELEVO_EMAIL_SEND_FAILED`.
 */
export class EmailAdapter extends RelevoAdapter implements InboxHandler {
  readonly checkpoints: CheckpointStore;
  private readonly threads: ThreadStore;
  private readonly options: EmailAdapterOptions;
  private readonly domain: string;

  constructor(options: EmailAdapterOptions) {
    super(options);
    this.options = options;
    this.checkpoints = new CheckpointStore(options.storage, options.mailboxIdentity);
    this.threads = new ThreadStore(options.storage);
    this.domain = options.fromAddress.split('@')[1] ?? 'relevo.invalid';
  }

  async lastHandledUid(uidValidity: string): Promise<number | undefined> {
    const checkpoint = await this.checkpoints.read();
    return checkpoint?.uidValidity === uidValidity ? checkpoint.lastUid : undefined;
  }

  checkpoint(uidValidity: string, uid: number): Promise<void> {
    return this.checkpoints.advance(uidValidity, uid);
  }

  /**
   * Verifies, maps and runs one fetched message (STYLE.md rule 2). Machine-written mail is ignored; a
   * message already handled under another UID (same Message-ID and content) is ignored; otherwise the
   * turn runs and this resolves once it completed, so the inbox can mark it `\Seen`.
   */
  async handle(message: InboxMessage): Promise<void> {
    const mail = await parseMail(message.source);
    const result = toActivity(mail, {
      uidValidity: message.uidValidity,
      uid: message.uid,
      ownAddress: this.options.fromAddress,
      botName: this.options.botName,
      trustedAuthServIds: this.options.trustedAuthServIds ?? [],
    });
    if (result.kind === 'ignored') {
      this.logger.info({ uid: message.uid, reason: result.reason }, 'email not answered');
      return;
    }
    const key = contentKey(mail);
    if (
      !(await this.options.idempotency.claim(key, this.options.dedupeTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS))
    ) {
      this.logger.info(
        { uid: message.uid, messageId: mail.messageId },
        'email already handled under another UID',
      );
      return;
    }
    const activity = result.activity;
    try {
      await this.threads.recordInbound(activity.conversation?.id ?? '', {
        messageId: mail.messageId,
        references: mail.references,
        subject: mail.subject,
        customer: { address: mail.from?.address ?? '', name: mail.from?.name ?? '' },
      });
      await this.processActivity(activity, this.options.bot);
    } catch (error) {
      await this.options.idempotency.release(key).catch((releaseError: unknown) => {
        this.logger.warn(
          { err: releaseError, key },
          'could not release the email dedupe key after a failed turn',
        );
      });
      throw error;
    }
  }

  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    // Proactive turns come from the agent desk: a person writes those, so they are not marked auto-replied.
    const isAutomatic = context.activity.name !== 'continueConversation';
    for (const activity of activities) {
      const conversationId = activity.conversation?.id ?? context.activity.conversation?.id ?? '';
      const thread = (await this.threads.get(conversationId)) ?? fallbackThread(activity);
      const messageId = `<${this.options.newId?.() ?? randomUUID()}@${this.domain}>`;
      const mail = toMailMessage(activity, thread, {
        fromAddress: this.options.fromAddress,
        defaultFromName: this.options.botName,
        messageId,
        isAutomatic,
      });
      if (!mail) {
        responses.push({ id: '' });
        continue;
      }
      const sentId = await this.options.sender.send(mail);
      await this.threads.recordOutbound(conversationId, thread, sentId);
      responses.push({ id: sentId });
    }
    return responses;
  }
}

/** A thread rebuilt from the activity alone, for a conversation whose state is gone. */
function fallbackThread(activity: Partial<Activity>): EmailThread {
  const address = parseIdentityKey(activity.recipient?.id ?? '')?.id ?? '';
  return {
    customer: { address, name: activity.recipient?.name ?? '' },
    subject: activity.conversation?.name ?? '',
    lastMessageId: activity.conversation?.id?.startsWith('<') ? activity.conversation.id : undefined,
    references: [],
  };
}
