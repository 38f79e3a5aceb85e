import type { Activity } from 'botbuilder';
import { choicesAsText } from '../shared/choices-as-text.js';
import { classifyOutbound } from '../shared/outbound-content.js';
import type { XDmEvent } from './client.js';

/** What to do with one outbound activity on X. */
export type XOutbound =
  | { kind: 'dm'; participantId: string; text: string }
  | { kind: 'reply'; tweetId: string; text: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'skip'; reason: string };

// https://docs.x.com/x-api/direct-messages/manage/introduction : a DM holds up to 10,000 characters.
const MAX_DM_TEXT = 10_000;
// A post (tweet) holds 280 characters for standard accounts.
const MAX_TWEET_TEXT = 280;

export interface XRenderTarget {
  /** The customer's X user id (from the conversation id). */
  participantId: string;
  /**
   * The tweet to answer publicly, only for the one invitation the adapter itself sends; every other
   * message goes by DM, so no detail of a customer's case is ever posted in public.
   */
  publicReplyTo?: string;
}

/**
 * Renders one outbound Activity for X (pure). Messages go by DM (`POST /2/dm_conversations/with/:id/
 * messages`); suggested actions become numbered text, because the v2 DM endpoints have no quick
 * replies; attachments are named, not dropped. Typing has no v2 endpoint and is skipped.
 * @see https://docs.x.com/x-api/direct-messages/manage/api-reference/post-dm_conversations-with-participant_id-messages
 */
export function renderXActivity(activity: Partial<Activity>, target: XRenderTarget): XOutbound {
  const content = classifyOutbound(activity);
  switch (content.kind) {
    case 'message': {
      const text = messageText(content.activity);
      if (target.publicReplyTo) {
        return { kind: 'reply', tweetId: target.publicReplyTo, text: truncate(text, MAX_TWEET_TEXT) };
      }
      if (!text) return { kind: 'skip', reason: 'empty message' };
      return { kind: 'dm', participantId: target.participantId, text: truncate(text, MAX_DM_TEXT) };
    }
    case 'typing':
      return { kind: 'skip', reason: 'X v2 has no typing indicator endpoint' };
    case 'delay':
      return { kind: 'delay', ms: content.ms };
    case 'other':
      return { kind: 'skip', reason: `activity type ${content.type} has no X rendering` };
    default:
      return assertNever(content);
  }
}

/**
 * The one short public answer to a public mention: an invitation to continue in private, in the
 * customer's language (X's `lang` of the tweet), with a link that opens a DM to our account.
 * @see https://developer.x.com/en/docs/x-for-websites/direct-message-links
 */
export function publicInvitation(lang: string | undefined, ourUserId: string): string {
  const link = `https://x.com/messages/compose?recipient_id=${ourUserId}`;
  return lang === 'es'
    ? `Gracias por escribirnos. Para ayudarte sin compartir tus datos en público, seguimos por mensaje directo: ${link}`
    : `Thanks for reaching out. So we can help without sharing your details in public, let's continue by DM: ${link}`;
}

/**
 * Whether a DM event as X shows it is the `text` we sent. X replaces each link with a t.co link (and
 * may escape `&`, `<`, `>`): where its `entities.urls` name a t.co link's target (`expanded_url`),
 * links are compared by target; where they do not, as "a link". Entities and runs of blanks are
 * evened out on both sides.
 * @see https://help.x.com/en/using-x/url-shortener
 * @see https://docs.x.com/x-api/direct-messages/lookup/api-reference/get-dm_conversations-with-participant_id-dm_events
 */
export function sameDmText(sent: string, shown: XDmEvent): boolean {
  if (shown.text === undefined) return false;
  let text = shown.text;
  for (const { url, expanded_url: target } of shown.entities?.urls ?? []) {
    if (url && target) text = text.split(url).join(target);
  }
  const byTarget = !/https?:\/\/t\.co\//i.test(text);
  return comparable(sent, byTarget) === comparable(text, byTarget);
}

// A link with a scheme, or one X would make of a bare domain (`example.com`, `www.example.com/x`).
const LINK = /(?:https?:\/\/|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b(?:\/\S*)?/gi;

function comparable(text: string, byTarget: boolean): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(LINK, (link) => (byTarget ? `<${linkTarget(link)}>` : '<link>'))
    .replace(/\s+/g, ' ')
    .trim();
}

/** A link as X may expand it: with or without its scheme, `www.` or a last `/`; host in any case. */
function linkTarget(link: string): string {
  const bare = link
    .replace(/^https?:\/\//i, '')
    .replace(/^www\./i, '')
    .replace(/\/$/, '');
  const slash = bare.indexOf('/');
  return slash < 0 ? bare.toLowerCase() : bare.slice(0, slash).toLowerCase() + bare.slice(slash);
}

function messageText(activity: Partial<Activity>): string {
  const notes = (activity.attachments ?? []).map((attachment) => {
    const content = attachment.content as { title?: unknown; text?: unknown } | undefined;
    const title = typeof content?.title === 'string' ? content.title : attachment.name;
    if (attachment.contentUrl) return `${title ?? 'Attachment'}: ${attachment.contentUrl}`;
    const body = typeof content?.text === 'string' ? content.text : undefined;
    return [title, body].filter(Boolean).join('\n') || `(${attachment.contentType} attachment)`;
  });
  return [choicesAsText(activity), ...notes].filter(Boolean).join('\n\n');
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function assertNever(value: never): never {
  throw new Error(`unhandled outbound content: ${JSON.stringify(value)}`);
}
