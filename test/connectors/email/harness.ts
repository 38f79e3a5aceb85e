import type { Activity, TurnContext } from 'botbuilder';
import type { TurnLogic } from '../../../core/channel.js';
import {
  type EmailChannel,
  type EmailChannelOptions,
  createEmailChannelOn,
} from '../../../connectors/email/index.js';
import { DedupeMiddleware } from '../../../storage/dedupe-middleware.js';
import { createStores, type Stores } from '../../../storage/stores.js';
import type { DovecotServer } from '../../support/dovecot.js';
import type { CapturingSmtpServer } from '../../support/smtp-server.js';

export const SUPPORT = 'support@relevo.test';

/** A raw RFC 5322 message as a customer's mail program would write it. */
export function rawMail(fields: {
  from?: string;
  to?: string;
  subject?: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  text?: string;
  contentType?: string;
  body?: string;
}): string {
  const headers: Record<string, string> = {
    From: fields.from ?? 'Ana Pérez <Ana@Example.com>',
    To: fields.to ?? `Support <${SUPPORT}>`,
    Subject: fields.subject ?? 'Where is my order?',
    Date: new Date().toUTCString(),
    'Message-ID': fields.messageId,
    'MIME-Version': '1.0',
    'Content-Type': fields.contentType ?? 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...(fields.inReplyTo ? { 'In-Reply-To': fields.inReplyTo } : {}),
    ...(fields.references ? { References: fields.references.join(' ') } : {}),
    ...fields.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  const body = fields.body ?? fields.text ?? '';
  return `${head}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

/** What the test bot saw, in order. */
export interface BotLog {
  readonly activities: Partial<Activity>[];
}

/** An echo bot: answers every message with what it understood, and suggested actions on the first turn. */
export function echoBot(log: BotLog, before?: (context: TurnContext) => Promise<void>): TurnLogic {
  return async (context) => {
    if (context.activity.type !== 'message') return;
    log.activities.push(context.activity);
    await before?.(context);
    const attachments = (context.activity.channelData?.email?.attachments ?? []) as {
      filename: string;
      sizeBytes: number;
    }[];
    const listed = attachments.map((a) => ` [${a.filename}, ${a.sizeBytes} bytes]`).join('');
    await context.sendActivity({
      type: 'message',
      text: `You wrote: ${context.activity.text || '(nothing)'}${listed}`,
    });
  };
}

export interface Harness {
  stores: Stores;
  channel: EmailChannel;
}

/** Builds an email channel on the real servers with memory stores (or the given ones, to "restart"). */
export async function startChannel(
  dovecot: DovecotServer,
  smtp: CapturingSmtpServer,
  user: string,
  bot: TurnLogic,
  options: Partial<EmailChannelOptions> & { stores?: Stores; imapUrl?: string } = {},
): Promise<Harness> {
  const stores = options.stores ?? (await createStores());
  const channel = createEmailChannelOn({
    imapUrl: options.imapUrl ?? dovecot.url(user),
    smtpUrl: smtp.url,
    from: SUPPORT,
    botName: 'Relevo Support',
    storage: stores.storage,
    stores,
    pipeline: [new DedupeMiddleware(stores.activities)],
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
    // Turns left queued by a channel that stopped are taken up by the next one after this long.
    visibilityMs: 1_000,
    ...options,
    bot,
  });
  await channel.start();
  return { stores, channel };
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
