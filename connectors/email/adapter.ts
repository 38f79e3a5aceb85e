import { createHash, randomUUID } from 'node:crypto';
import type { Activity, ResourceResponse, Storage, TurnContext } from 'botbuilder';
import type { TurnLogic } from '../../core/channel.js';
import { parseIdentityKey } from '../../core/identity-key.js';
import { type InboundDelivery, isProactive } from '../../core/turn-state.js';
import { deliveryEnvelope } from '../shared/channel-inbound.js';
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
  /**
   * Queues a message's turn in the durable inbound queue (`ChannelInbound.accept`); resolves `false`
   * for a message queued before.
   */
  enqueue: (partition: string, id: string, entry: Partial<Activity>) => Promise<boolean>;
  sender: Pick<SmtpSender, 'send'>;
  /** The bot's turn logic, run for every inbound message. */
  bot: TurnLogic;
  /** authserv-ids whose `Authentication-Results` are trusted (RFC 8601 §5); empty = the topmost header. */
  trustedAuthServIds?: readonly string[];
}

/** What the email channel queues for one message: its activity and what its thread must remember. */
export interface EmailQueuedMessage {
  activity: Partial<Activity>;
  thread: {
    messageId: string | undefined;
    references: string[];
    subject: string;
    customer: { address: string; name: string };
  };
}

/** The name of the queued event carrying an {@link EmailQueuedMessage} as its `value`. */
export const EMAIL_DELIVERY_EVENT = 'relevo.email.delivery';

/**
 * The email channel's botbuilder adapter: an IMAP message is queued in the durable inbound queue (it
 * is the {@link InboxHandler} of the inbox, which marks it `\Seen` once queued) and runs as one turn
 * through the shared pipeline ({@link runQueued}); every message activity the bot or a human agent
 * sends becomes a threaded reply over SMTP, sent once across the runs of a queued turn.
 * `sendActivities` resolves with the Message-IDs sent, or rejects with `RELEVO_EMAIL_SEND_FAILED`.
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
   * Verifies, maps and queues one fetched message (STYLE.md rule 2); resolves once it is durably
   * queued, so the inbox can mark it `\Seen` and move its checkpoint past it. Machine-written mail is
   * ignored. The message is queued under its Message-ID and content hash, so a message fetched again
   * (a lost checkpoint, a new UIDVALIDITY, the same mail delivered twice) is recognised there.
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
    const { activity } = result;
    const queued: EmailQueuedMessage = {
      activity,
      thread: {
        messageId: mail.messageId,
        references: mail.references,
        subject: mail.subject,
        customer: { address: mail.from?.address ?? '', name: mail.from?.name ?? '' },
      },
    };
    const { partition, envelope } = deliveryEnvelope(EMAIL_DELIVERY_EVENT, activity, queued);
    const isNew = await this.options.enqueue(partition, contentKey(mail), envelope);
    if (!isNew) {
      this.logger.info(
        { uid: message.uid, messageId: mail.messageId },
        'email queued before, under another UID',
      );
    }
  }

  /** Runs a queued message's turn: its thread learns of it, then the pipeline and the bot run. */
  async runQueued(queued: EmailQueuedMessage, delivery: InboundDelivery): Promise<void> {
    await this.threads.recordInbound(queued.activity.conversation?.id ?? '', queued.thread);
    await this.processActivity(queued.activity, this.options.bot, delivery);
  }

  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    // Proactive turns come from the agent desk: a person writes those, so they are not marked auto-replied.
    const isAutomatic = !isProactive(context.activity);
    for (const activity of activities) {
      const conversationId = activity.conversation?.id ?? context.activity.conversation?.id ?? '';
      const thread = (await this.threads.get(conversationId)) ?? fallbackThread(activity);
      const mail = toMailMessage(activity, thread, {
        fromAddress: this.options.fromAddress,
        defaultFromName: this.options.botName,
        isAutomatic,
      });
      if (!mail) {
        responses.push({ id: '' });
        continue;
      }
      const sentId = await this.sendOnce(context, (replyKey) =>
        this.options.sender.send({ ...mail, messageId: this.messageId(replyKey) }),
      );
      await this.threads.recordOutbound(conversationId, thread, sentId);
      responses.push({ id: sentId });
    }
    return responses;
  }

  /**
   * A reply's Message-ID. A queued turn's reply is named after its key (the inbound message and the
   * reply's place in the turn), so if a run is killed between the SMTP server's acceptance and our
   * record of it, the run again sends the same message under the same Message-ID, and mail programs
   * that collapse duplicates by it (Gmail, Outlook, Sieve `duplicate`) show it once. Other replies (an
   * agent's, proactive) get a random one.
   */
  private messageId(replyKey: string | undefined): string {
    const unique = replyKey
      ? createHash('sha256')
          .update(`${this.options.fromAddress}\n${replyKey}`)
          .digest('base64url')
          .slice(0, 32)
      : randomUUID();
    return `<${unique}@${this.domain}>`;
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
