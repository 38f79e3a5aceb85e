import type { Storage } from 'botbuilder';
import { type Channel, offChannel, type Pipeline, type TurnLogic } from '../../core/channel.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { InFlightWork } from '../../core/in-flight.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { Stores } from '../../storage/stores.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from '../../storage/types.js';
import { ChannelInbound } from '../shared/channel-inbound.js';
import { EMAIL_DELIVERY_EVENT, EmailAdapter, type EmailQueuedMessage } from './adapter.js';
import { ImapInbox, type InboxState, SmtpSender } from './client.js';

/**
 * The email connector: IMAP in (IDLE, by UID, durable checkpoint), SMTP out (threaded replies).
 * Email has no HTTP routes, so this folder has no `routes.ts` and `mount()` is a no-op: the channel is
 * driven by the IMAP connection `start()` opens.
 */

export { EmailAdapter, type EmailAdapterOptions } from './adapter.js';
export { type EmailChannelData, newText, parseMail, toActivity } from './inbound.js';
export { type EmailThread, toMailMessage } from './outbound.js';
export { checkSenderAuthentication, detectAutomatic } from './verify.js';

/** RFC 2177 §3: clients should re-issue IDLE at least every 29 minutes; we stay well inside it. */
export const DEFAULT_IDLE_RESTART_MS = 25 * 60 * 1000;

export interface EmailChannelOptions {
  /** `IMAP_URL`: `imap://user:pass@host:143[/Mailbox]` or `imaps://…:993`. Absent: the channel is off. */
  imapUrl: string | undefined;
  /** `SMTP_URL`: `smtp://user:pass@host:587` or `smtps://…:465`, as nodemailer reads it. */
  smtpUrl: string | undefined;
  /** `EMAIL_FROM`: the address replies come from (the mailbox's own address). */
  from: string | undefined;
  /** The display name of the agent's replies; `Relevo` by default. */
  botName?: string;
  /** Checkpoints and threads. */
  storage: Storage;
  /** The durable inbound queue, its locks and the record of sent replies. */
  stores: Stores;
  pipeline?: Pipeline;
  inFlight?: InFlightWork;
  logger?: Logger;
  bot: TurnLogic;
  /** How often IDLE is re-issued; 25 minutes by default (RFC 2177 asks for under 29). */
  idleRestartMs?: number;
  /** Reconnection backoff; 1 s doubling up to 60 s by default. */
  reconnect?: { initialDelayMs: number; maxDelayMs: number };
  /** How far back the first start or a UIDVALIDITY change looks for unseen mail; 6 days by default. */
  resyncWindowMs?: number;
  /** How often a message that cannot be queued is retried before it is skipped (left unseen); 3 by default. */
  maxAttempts?: number;
  /** `INBOUND_VISIBILITY_MS`: how soon another process takes over a dead one's queued turns. */
  visibilityMs?: number | undefined;
  trustedAuthServIds?: readonly string[];
  clock?: Clock;
  random?: () => number;
}

/** The email channel as the composition root sees it, plus what tests and operators may inspect. */
export interface EmailChannel extends Channel {
  readonly adapter: EmailAdapter;
  /** The IMAP connection's state. */
  readonly imapState: InboxState;
}

/**
 * Builds the email channel from typed options (`bots/channels.ts` maps the configuration). Off, and
 * saying why on `/healthz`, unless `IMAP_URL`, `SMTP_URL` and `EMAIL_FROM` are all set.
 */
export function createEmailChannel(options: EmailChannelOptions): Channel {
  const missing = [
    ['IMAP_URL', options.imapUrl],
    ['SMTP_URL', options.smtpUrl],
    ['EMAIL_FROM', options.from],
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (!options.imapUrl || !options.smtpUrl || !options.from)
    return offChannel('email', `${missing.join(', ')} not set`);
  return createEmailChannelOn({
    ...options,
    imapUrl: options.imapUrl,
    smtpUrl: options.smtpUrl,
    from: options.from,
  });
}

/** {@link createEmailChannel} when every setting is present: always on. */
export function createEmailChannelOn(
  options: EmailChannelOptions & { imapUrl: string; smtpUrl: string; from: string },
): EmailChannel {
  const logger = (options.logger ?? silentLogger).child({ channel: 'email' });
  const clock = options.clock ?? systemClock;
  const url = new URL(options.imapUrl);
  const sender = new SmtpSender(options.smtpUrl);
  const inFlight = options.inFlight ?? new InFlightWork();
  const inbound = new ChannelInbound({
    name: 'email',
    stores: options.stores,
    inFlight,
    logger,
    visibilityMs: options.visibilityMs,
    // Mail is fetched again after a lost checkpoint or a new UIDVALIDITY within the resync window.
    retentionMs: DEFAULT_IDEMPOTENCY_TTL_MS,
    handler: async (entry) => {
      if (entry.activity.name !== EMAIL_DELIVERY_EVENT) return;
      await adapter.runQueued(entry.activity.value as EmailQueuedMessage, {
        id: entry.id,
        attempt: entry.attempt,
        commit: entry.commit,
        signal: entry.signal,
      });
    },
  });
  const adapter = new EmailAdapter({
    logger,
    inFlight,
    ...(options.pipeline ? { pipeline: options.pipeline } : {}),
    fromAddress: options.from.toLowerCase(),
    botName: options.botName ?? 'Relevo',
    mailboxIdentity: `${decodeURIComponent(url.username)}@${url.host}${url.pathname.length > 1 ? url.pathname : '/INBOX'}`,
    storage: options.storage,
    sentReplies: options.stores.idempotency,
    enqueue: (partition, id, entry) => inbound.accept(partition, id, entry),
    sender,
    bot: options.bot,
    ...(options.trustedAuthServIds ? { trustedAuthServIds: options.trustedAuthServIds } : {}),
  });
  const inbox = new ImapInbox({
    url: options.imapUrl,
    idleRestartMs: options.idleRestartMs ?? DEFAULT_IDLE_RESTART_MS,
    reconnect: options.reconnect ?? { initialDelayMs: 1_000, maxDelayMs: 60_000 },
    resyncWindowMs: options.resyncWindowMs ?? 6 * 24 * 60 * 60 * 1000,
    maxAttempts: options.maxAttempts ?? 3,
    logger,
    random: options.random ?? Math.random,
    now: () => clock.now(),
  });
  return {
    name: 'email',
    adapter,
    get imapState() {
      return inbox.state;
    },
    health: () => ({ status: 'on', detail: `IMAP ${inbox.state}` }),
    // No HTTP routes: mail arrives over IMAP.
    mount() {},
    start: async () => {
      inbound.start();
      await inbox.start(adapter);
    },
    close: async () => {
      await inbox.close();
      await inbound.stop();
      sender.close();
    },
  };
}
