import { createHash } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { identityKey } from '../../core/identity-key.js';
import {
  type AutomaticReason,
  checkSenderAuthentication,
  detectAutomatic,
  type HeaderLine,
  type SenderAuthentication,
} from './verify.js';

/** An attachment as the agent sees it: listed by name and size, never its content. */
export interface EmailAttachmentInfo {
  readonly filename: string;
  readonly contentType: string;
  readonly sizeBytes: number;
}

/** The parts of a message the connector uses, parsed once. */
export interface InboundMail {
  readonly messageId: string | undefined;
  readonly inReplyTo: string | undefined;
  readonly references: string[];
  readonly subject: string;
  readonly from: { address: string; name: string } | undefined;
  readonly date: Date | undefined;
  /** The new text only: quoted replies and signatures removed. */
  readonly text: string;
  readonly attachments: EmailAttachmentInfo[];
  readonly headerLines: HeaderLine[];
  /** True when the MIME structure could not be read; the text is then whatever could be salvaged. */
  readonly isMalformed: boolean;
}

/** What only email knows about an inbound activity, in `activity.channelData`. */
export interface EmailChannelData {
  /**
   * True when the receiving server's `Authentication-Results` failed for this sender: the `From` may be
   * forged. The message is still answered, but identity and loyalty stages must not trust the sender
   * (no points, no account linking) and the profile shows the flag.
   */
  hasFailedAuthentication: boolean;
  email: {
    uidValidity: string;
    uid: number;
    messageId: string | undefined;
    inReplyTo: string | undefined;
    references: string[];
    subject: string;
    senderAuthentication: SenderAuthentication;
    attachments: EmailAttachmentInfo[];
    isMalformed: boolean;
  };
}

/**
 * Parses a raw RFC 5322 message with mailparser. Never rejects: broken MIME or an unknown charset
 * yields what could be read, flagged `isMalformed`, because a customer's badly encoded mail still
 * deserves an answer. HTML-only mail is turned into text by mailparser (html-to-text).
 */
export async function parseMail(source: Buffer): Promise<InboundMail> {
  let parsed: ParsedMail;
  let isMalformed = false;
  try {
    parsed = await simpleParser(source, { skipImageLinks: true });
  } catch {
    isMalformed = true;
    parsed = await salvage(source);
  }
  const from = firstAddress(parsed.from);
  const references = Array.isArray(parsed.references)
    ? parsed.references
    : parsed.references
      ? parsed.references.split(/\s+/).filter(Boolean)
      : [];
  return {
    messageId: parsed.messageId,
    inReplyTo: parsed.inReplyTo,
    references,
    subject: parsed.subject ?? '',
    from,
    date: parsed.date,
    text: newText(parsed.text ?? ''),
    attachments: parsed.attachments.map((attachment) => ({
      filename: attachment.filename ?? 'unnamed',
      contentType: attachment.contentType,
      sizeBytes: attachment.size,
    })),
    headerLines: parsed.headerLines.map((line) => ({ key: line.key.toLowerCase(), line: line.line })),
    isMalformed: isMalformed || Boolean(parsed.textConversionError),
  };
}

/** Headers only, then the body as plain text: the last resort for a message mailparser rejected. */
async function salvage(source: Buffer): Promise<ParsedMail> {
  const text = source.toString('latin1');
  const split = text.search(/\r?\n\r?\n/);
  const head = split < 0 ? text : text.slice(0, split);
  const headers = await simpleParser(`${head}\r\n\r\n`).catch(() => undefined);
  const body = split < 0 ? '' : text.slice(split).replace(/[^\t\n\r\x20-\x7e]/g, '');
  return {
    ...(headers ?? { attachments: [], headers: new Map(), headerLines: [] }),
    text: body,
  } as ParsedMail;
}

function firstAddress(value: AddressObject | undefined): { address: string; name: string } | undefined {
  const first = value?.value[0];
  if (!first?.address) return undefined;
  return { address: first.address.toLowerCase(), name: first.name ?? '' };
}

/**
 * Keeps only what the customer just wrote: everything from the first quote header ("On … wrote:",
 * "El … escribió:", Outlook's "-----Original Message-----" or "From: … Sent:" block) or signature
 * delimiter ("-- ", RFC 3676 §4.3; mobile "Sent from my…") on is cut, and `>` quoted lines are dropped.
 */
export function newText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const trimmed = line.trim();
    if (isQuoteHeader(trimmed, lines[i + 1]?.trim() ?? '')) break;
    if (line === '-- ' || line === '--' || /^_{10,}$/.test(trimmed)) break;
    if (/^(sent from my|enviado desde mi|get outlook for)\b/i.test(trimmed)) break;
    if (trimmed.startsWith('>')) continue;
    kept.push(line);
  }
  return kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function isQuoteHeader(line: string, next: string): boolean {
  if (/^-{2,}\s*(original message|mensaje original|forwarded message)\s*-{2,}$/i.test(line)) return true;
  // Gmail and Apple Mail, often wrapped over two lines: "On Mon, 1 Jan 2024 at 10:00, Ana <ana@x>\nwrote:"
  const wrote = /(wrote|escribió|a écrit)\s*:$/i;
  if (/^(on|el|le)\s.*\d/i.test(line) && (wrote.test(line) || wrote.test(next))) return true;
  if (/^(from|de):\s.+/i.test(line) && /^(sent|enviado|date|fecha):\s/i.test(next)) return true;
  return false;
}

/**
 * A key that identifies one message whatever its UID: Message-ID plus a hash of what it says. Used to
 * dedupe after a UIDVALIDITY change (RFC 3501 §2.3.1.1), when every UID seen before is void.
 */
export function contentKey(mail: InboundMail): string {
  const hash = createHash('sha256')
    .update(
      [
        mail.messageId ?? '',
        mail.from?.address ?? '',
        mail.date?.toISOString() ?? '',
        mail.subject,
        mail.text,
      ].join('\n'),
    )
    .digest('hex');
  return `email-message:${hash}`;
}

/** The conversation a message belongs to: its thread's first Message-ID (RFC 5322 §3.6.4). */
export function threadId(mail: InboundMail): string {
  return (
    mail.references[0] ?? mail.inReplyTo ?? mail.messageId ?? `<no-id-${contentKey(mail).slice(14, 40)}>`
  );
}

export interface ToActivityOptions {
  uidValidity: string;
  uid: number;
  /** Our own address (`EMAIL_FROM`): mail from it is our own and is ignored. */
  ownAddress: string;
  /** The agent's display name, as the recipient of inbound activities. */
  botName: string;
  trustedAuthServIds?: readonly string[];
}

/** The outcome of mapping one message: an activity to run, or the reason it is ignored. */
export type InboundResult =
  | { readonly kind: 'activity'; readonly activity: Partial<Activity> }
  | { readonly kind: 'ignored'; readonly reason: AutomaticReason | 'no-sender' };

/**
 * Maps a parsed message to a Bot Framework message activity (DESIGN.md §3): `id` = `UIDVALIDITY:UID`,
 * `from.id` = the identity key `email:<address>`, `from.name` = the display name, `conversation.id` =
 * the thread. Machine-written mail (auto-replies, bounces, our own) is ignored so no mail loop starts.
 */
export function toActivity(mail: InboundMail, options: ToActivityOptions): InboundResult {
  if (!mail.from) return { kind: 'ignored', reason: 'no-sender' };
  const automatic = detectAutomatic(mail.headerLines, mail.from.address, options.ownAddress);
  if (automatic) return { kind: 'ignored', reason: automatic };
  const senderAuthentication = checkSenderAuthentication(mail.headerLines, options.trustedAuthServIds);
  const channelData: EmailChannelData = {
    hasFailedAuthentication: senderAuthentication === 'fail',
    email: {
      uidValidity: options.uidValidity,
      uid: options.uid,
      messageId: mail.messageId,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      subject: mail.subject,
      senderAuthentication,
      attachments: mail.attachments,
      isMalformed: mail.isMalformed,
    },
  };
  return {
    kind: 'activity',
    activity: {
      type: 'message',
      id: `${options.uidValidity}:${options.uid}`,
      channelId: 'email',
      serviceUrl: 'email:',
      timestamp: mail.date ?? new Date(),
      from: { id: identityKey('email', mail.from.address), name: mail.from.name || mail.from.address },
      recipient: { id: identityKey('email', options.ownAddress.toLowerCase()), name: options.botName },
      conversation: { id: threadId(mail), isGroup: false, name: mail.subject, conversationType: 'email' },
      text: mail.text,
      textFormat: 'plain',
      channelData,
    },
  };
}
