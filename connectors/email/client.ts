import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { RelevoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/**
 * The only file of the email connector that does I/O: IMAP (imapflow) in, SMTP (nodemailer) out.
 * Everything it fetches goes to an {@link InboxHandler}; everything it sends comes from the adapter.
 */

/** One message fetched from the mailbox, raw. */
export interface InboxMessage {
  /** The mailbox's UIDVALIDITY as a decimal string (imapflow gives a BigInt, which JSON cannot hold). */
  readonly uidValidity: string;
  readonly uid: number;
  readonly source: Buffer;
}

/** What the inbox asks of its owner (the adapter), in this order for every message. */
export interface InboxHandler {
  /** The last UID fully handled under this UIDVALIDITY, or `undefined` when there is none (resync). */
  lastHandledUid(uidValidity: string): Promise<number | undefined>;
  /** Takes one message (the email adapter queues its turn); resolves once it is safely taken, rejects if not. */
  handle(message: InboxMessage): Promise<void>;
  /** Records that every message up to `uid` is handled (after `\Seen` is set). */
  checkpoint(uidValidity: string, uid: number): Promise<void>;
}

/** Connection state, for `/healthz`. */
export type InboxState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ImapInboxOptions {
  /** `imap://user:pass@host:143/Mailbox` or `imaps://…:993/…` (RFC 5092); the path names the mailbox, INBOX by default. */
  url: string;
  /** How often IDLE is ended and re-issued; RFC 2177 §3 asks for less than 29 minutes. */
  idleRestartMs: number;
  /** Backoff between reconnection attempts: doubled each failure from `initialDelayMs`, capped at `maxDelayMs`. */
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** How far back a resync (first start, UIDVALIDITY change) looks for unseen mail. */
  resyncWindowMs: number;
  /** A message that could not be taken is retried this many times before it is skipped (and left unseen). */
  maxAttempts: number;
  logger: Logger;
  /** Injected for the backoff's jitter (STYLE.md rule 8). */
  random: () => number;
  now: () => number;
}

/**
 * Watches one IMAP mailbox: fetches new messages by UID in order, hands each to the handler, sets
 * `\Seen` once the handler took it (queued its turn), then advances the checkpoint. Waits with IDLE (RFC 2177), re-issued
 * every `idleRestartMs`, and reconnects with exponential backoff and jitter when the server goes away.
 */
export class ImapInbox {
  private client: ImapFlow | undefined;
  private handler: InboxHandler | undefined;
  private status: InboxState = 'idle';
  private isClosed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private isDirty = false;
  private readonly failures = new Map<string, number>();
  private readonly target: {
    host: string;
    port: number;
    secure: boolean;
    user: string;
    pass: string;
    mailbox: string;
  };

  constructor(private readonly options: ImapInboxOptions) {
    const url = new URL(options.url);
    const secure = url.protocol === 'imaps:';
    this.target = {
      host: url.hostname,
      port: Number(url.port) || (secure ? 993 : 143),
      secure,
      user: decodeURIComponent(url.username),
      pass: decodeURIComponent(url.password),
      mailbox: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX',
    };
  }

  get state(): InboxState {
    return this.status;
  }

  /** Connects (once; a failure schedules reconnection instead of throwing) and starts watching. */
  async start(handler: InboxHandler): Promise<void> {
    this.handler = handler;
    this.isClosed = false;
    await this.connect();
  }

  /** Stops watching: lets the message in hand finish, then logs out. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.status = 'closed';
    clearTimeout(this.reconnectTimer);
    await this.syncing;
    const client = this.client;
    this.client = undefined;
    if (client?.usable) await client.logout().catch(() => client.close());
    else client?.close();
  }

  private async connect(): Promise<void> {
    if (this.isClosed) return;
    this.status = this.attempt === 0 ? 'connecting' : 'reconnecting';
    const log = this.options.logger;
    const client = new ImapFlow({
      host: this.target.host,
      port: this.target.port,
      secure: this.target.secure,
      auth: { user: this.target.user, pass: this.target.pass },
      logger: false,
      // We start IDLE ourselves once a sync is done, and imapflow ends and re-issues it every
      // maxIdleTime: RFC 2177 §3 says servers may drop an IDLE after 30 minutes.
      disableAutoIdle: true,
      maxIdleTime: this.options.idleRestartMs,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
    });
    client.on('error', (error: Error) => log.warn({ err: error }, 'IMAP connection error'));
    client.on('close', () => this.onClosed(client));
    client.on('exists', () => this.requestSync(client));
    try {
      await client.connect();
      await client.mailboxOpen(this.target.mailbox);
    } catch (error) {
      log.warn({ err: error, attempt: this.attempt }, 'could not connect to the IMAP server');
      client.close();
      this.scheduleReconnect();
      return;
    }
    if (this.isClosed) {
      await client.logout().catch(() => client.close());
      return;
    }
    this.client = client;
    this.status = 'connected';
    this.attempt = 0;
    log.info({ host: this.target.host, mailbox: this.target.mailbox }, 'IMAP mailbox open');
    this.requestSync(client);
  }

  private onClosed(client: ImapFlow): void {
    if (client !== this.client || this.isClosed) return;
    this.client = undefined;
    this.options.logger.warn({ host: this.target.host }, 'IMAP connection closed; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(delayMs?: number): void {
    if (this.isClosed) return;
    this.status = 'reconnecting';
    const { initialDelayMs, maxDelayMs } = this.options.reconnect;
    // Exponential backoff with "equal jitter", so many processes do not reconnect in lockstep.
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** this.attempt);
    const delay = delayMs ?? base / 2 + (this.options.random() * base) / 2;
    this.attempt++;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((error: unknown) =>
        this.options.logger.error({ err: error }, 'IMAP reconnect failed'),
      );
    }, delay);
  }

  private requestSync(client: ImapFlow): void {
    if (client !== this.client || this.isClosed) return;
    if (this.syncing) {
      this.isDirty = true;
      return;
    }
    this.syncing = this.syncLoop(client).finally(() => {
      this.syncing = undefined;
    });
  }

  private async syncLoop(client: ImapFlow): Promise<void> {
    let isHealthy = true;
    do {
      this.isDirty = false;
      isHealthy = await this.syncOnce(client).catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'IMAP sync stopped');
        return false;
      });
    } while (isHealthy && this.isDirty && client === this.client && !this.isClosed);
    if (client !== this.client || this.isClosed) return;
    if (!isHealthy) {
      // A message not taken: try again after a pause rather than spinning on it.
      const timer = setTimeout(() => this.requestSync(client), this.options.reconnect.initialDelayMs);
      timer.unref();
    }
    // Not awaited: idle() resolves only when the next command (our next fetch) breaks it.
    client.idle().catch((error: unknown) => this.options.logger.debug({ err: error }, 'IDLE ended'));
  }

  /** One pass over the mailbox; false when a message was not taken and the pass stopped early. */
  private async syncOnce(client: ImapFlow): Promise<boolean> {
    const handler = this.handler;
    const mailbox = client.mailbox;
    if (!handler || !mailbox) return true;
    const uidValidity = mailbox.uidValidity.toString();
    const lastUid = await handler.lastHandledUid(uidValidity);
    let uids: number[];
    let resyncTo: number | undefined;
    if (lastUid === undefined) {
      // First start or a new UIDVALIDITY (RFC 3501 §2.3.1.1: every UID we knew is void): take the unseen
      // mail of the window; the adapter dedupes it by Message-ID and content.
      const since = new Date(this.options.now() - this.options.resyncWindowMs);
      uids = (await client.search({ seen: false, since }, { uid: true })) || [];
      resyncTo = Number(mailbox.uidNext) - 1;
      this.options.logger.info({ uidValidity, unseen: uids.length }, 'IMAP resync');
    } else {
      // "N:*" always matches the highest UID, even below N (RFC 3501 §6.4.8), hence the filter.
      uids = ((await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || []).filter(
        (uid) => uid > lastUid,
      );
    }
    uids.sort((a, b) => a - b);
    for (const uid of uids) {
      if (client !== this.client || this.isClosed) return true;
      const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (message && message.source !== undefined) {
        const key = `${uidValidity}:${uid}`;
        try {
          await handler.handle({ uidValidity, uid, source: message.source });
          this.failures.delete(key);
        } catch (error) {
          const failures = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, failures);
          if (failures < this.options.maxAttempts) {
            this.options.logger.warn({ err: error, uid, failures }, 'email not taken; will retry');
            return false;
          }
          this.options.logger.error(
            { err: error, uid, failures },
            'email not taken again; message skipped, left unseen',
          );
          this.failures.delete(key);
          await handler.checkpoint(uidValidity, uid);
          continue;
        }
        // RFC 3501 §2.3.2: \Seen tells a human looking at the mailbox that this mail was answered.
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
      }
      await handler.checkpoint(uidValidity, uid);
    }
    if (resyncTo !== undefined && resyncTo > (uids[uids.length - 1] ?? 0))
      await handler.checkpoint(uidValidity, resyncTo);
    return true;
  }
}

/** A message to send, as nodemailer reads it. */
export type OutgoingMail = Parameters<ReturnType<typeof createTransport>['sendMail']>[0];

/** Sends mail over `SMTP_URL` with nodemailer (one pooled transport per channel). */
export class SmtpSender {
  private readonly transport: ReturnType<typeof createTransport>;

  constructor(url: string) {
    // nodemailer reads smtp:// and smtps:// URLs itself, credentials and all; pooled, so a burst of
    // replies reuses connections instead of opening one per message.
    this.transport = createTransport({ url, pool: true, maxConnections: 3 });
  }

  /** Resolves with the Message-ID the server accepted, or rejects with `RELEVO_EMAIL_SEND_FAILED`. */
  async send(message: OutgoingMail): Promise<string> {
    try {
      const info = await this.transport.sendMail(message);
      if (info.rejected && info.rejected.length > 0) {
        throw new RelevoError('RELEVO_EMAIL_SEND_FAILED', 'The SMTP server rejected the recipient', {
          statusCode: 502,
          details: { rejected: info.rejected.length },
        });
      }
      return info.messageId;
    } catch (error) {
      if (error instanceof RelevoError) throw error;
      throw new RelevoError('RELEVO_EMAIL_SEND_FAILED', 'The reply could not be sent over SMTP', {
        statusCode: 502,
        cause: error,
      });
    }
  }

  close(): void {
    this.transport.close();
  }
}
