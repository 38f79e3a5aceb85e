import type { Activity, Attachment, CardAction } from 'botbuilder';
import { RelevoError } from '../../core/errors.js';
import { actionTitle, choicesAsText } from '../shared/choices-as-text.js';
import type { OutgoingMail } from './client.js';

/** What the connector remembers of a thread, so any reply (the bot's or an agent's) lands in it. */
export interface EmailThread {
  readonly customer: { readonly address: string; readonly name: string };
  /** The thread's subject without any `Re:` prefix. */
  readonly subject: string;
  /** The latest message of the thread (the customer's or ours): the next reply's `In-Reply-To`. */
  readonly lastMessageId: string | undefined;
  /** The thread's Message-IDs, oldest first: the next reply's `References`. */
  readonly references: readonly string[];
}

export interface RenderOptions {
  /** Our address (`EMAIL_FROM`): every reply comes from it, whoever writes. */
  fromAddress: string;
  /** The name shown when the activity names no sender (the bot's name). */
  defaultFromName: string;
  /** True when the bot wrote the reply (not a human agent): it is then marked `Auto-Submitted`. */
  isAutomatic: boolean;
}

/** Each kind of attachment the email channel renders; anything else degrades to its name. */
type AttachmentKind = 'hero-card' | 'image' | 'adaptive-card' | 'file';

/** RFC 5322 §3.6.4 recommends keeping the first Message-ID and the most recent ones when trimming. */
const MAX_REFERENCES = 20;

/** The subject of a reply: one `Re:` in front of the thread's subject (RFC 5322 §3.6.5). */
export function replySubject(subject: string): string {
  const base = stripReplyPrefixes(subject);
  return `Re: ${base || '(no subject)'}`;
}

/** A subject without its `Re:`, `RE:`, `Fwd:`, `AW:`, `RV:` prefixes. */
export function stripReplyPrefixes(subject: string): string {
  return subject.replace(/^(\s*(re|fwd?|aw|rv|sv)\s*(\[\d+\])?\s*:\s*)+/i, '').trim();
}

/** `References` for a reply: the thread's ids with the message replied to last, trimmed to a sane length. */
export function replyReferences(thread: EmailThread): string[] {
  const ids = [...thread.references];
  if (thread.lastMessageId && ids[ids.length - 1] !== thread.lastMessageId) ids.push(thread.lastMessageId);
  if (ids.length <= MAX_REFERENCES) return ids;
  return [ids[0] as string, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
}

/**
 * Renders an outgoing activity as a threaded email reply (pure): `Re:` subject, `In-Reply-To` and
 * `References` (RFC 5322 §3.6.4), a text part and an HTML part, suggested actions as a numbered list
 * (the shared fallback), cards as text. The sender is always our address; its display name is the
 * activity's `from.name`, which is the human agent's name when the agent desk replies during a handoff.
 * Returns `undefined` for activities email cannot carry (typing, events, traces). The adapter gives it
 * its Message-ID as it sends it (a queued turn's reply is named after its reply key).
 */
export function toMailMessage(
  activity: Partial<Activity>,
  thread: EmailThread,
  options: RenderOptions,
): Omit<OutgoingMail, 'messageId'> | undefined {
  if (activity.type !== 'message') return undefined;
  const lines = [choicesAsText(activity)];
  const html = [textToHtml(activity.text ?? '')];
  const actions = activity.suggestedActions?.actions ?? [];
  if (actions.length > 0) html.push(actionsToHtml(actions));
  for (const attachment of activity.attachments ?? []) {
    const rendered = renderAttachment(attachment);
    lines.push(rendered.text);
    html.push(rendered.html);
  }
  const text = lines.filter(Boolean).join('\n\n');
  if (!text) return undefined;
  const references = replyReferences(thread);
  return {
    from: { name: activity.from?.name || options.defaultFromName, address: options.fromAddress },
    to: { name: thread.customer.name, address: thread.customer.address },
    subject: replySubject(thread.subject),
    ...(thread.lastMessageId ? { inReplyTo: thread.lastMessageId } : {}),
    ...(references.length > 0 ? { references } : {}),
    text,
    html: `<!doctype html><html><body>${html.filter(Boolean).join('\n')}</body></html>`,
    // RFC 3834 §5: a responder's reply says so, which keeps other responders from answering it (no loops).
    ...(options.isAutomatic ? { headers: { 'Auto-Submitted': 'auto-replied' } } : {}),
  };
}

function attachmentKind(attachment: Attachment): AttachmentKind {
  if (attachment.contentType === 'application/vnd.microsoft.card.hero') return 'hero-card';
  if (attachment.contentType === 'application/vnd.microsoft.card.adaptive') return 'adaptive-card';
  if (attachment.contentType.startsWith('image/')) return 'image';
  return 'file';
}

function renderAttachment(attachment: Attachment): { text: string; html: string } {
  const kind = attachmentKind(attachment);
  switch (kind) {
    case 'hero-card': {
      const card = (attachment.content ?? {}) as { title?: string; text?: string; buttons?: CardAction[] };
      const text = [card.title, card.text].filter(Boolean).join('\n');
      const buttons = card.buttons ?? [];
      return {
        text: [text, ...buttons.map((button, i) => `${i + 1}. ${actionTitle(button)}`)]
          .filter(Boolean)
          .join('\n'),
        html: `${card.title ? `<h3>${escapeHtml(card.title)}</h3>` : ''}${textToHtml(card.text ?? '')}${
          buttons.length > 0 ? actionsToHtml(buttons) : ''
        }`,
      };
    }
    case 'image':
    case 'file': {
      const name = attachment.name ?? attachment.contentUrl ?? 'attachment';
      const url = attachment.contentUrl;
      return {
        text: url ? `${name}: ${url}` : name,
        html: url
          ? `<p><a href="${escapeHtml(url)}">${escapeHtml(name)}</a></p>`
          : `<p>${escapeHtml(name)}</p>`,
      };
    }
    case 'adaptive-card': {
      // Adaptive Cards have a `fallbackText` for channels that cannot render them.
      const content = (attachment.content ?? {}) as { fallbackText?: string; speak?: string };
      const text = content.fallbackText ?? content.speak ?? attachment.name ?? '';
      return { text, html: textToHtml(text) };
    }
    default: {
      const unreachable: never = kind;
      throw new RelevoError(
        'RELEVO_EMAIL_UNRENDERABLE',
        `No rendering for attachment kind ${String(unreachable)}`,
      );
    }
  }
}

function actionsToHtml(actions: readonly CardAction[]): string {
  return `<ol>${actions.map((action) => `<li>${escapeHtml(actionTitle(action))}</li>`).join('')}</ol>`;
}

function textToHtml(text: string): string {
  if (!text) return '';
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
