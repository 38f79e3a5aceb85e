import type { Activity, CardAction } from 'botbuilder';
import { actionTitle } from '../shared/choices-as-text.js';
import { classifyOutbound } from '../shared/outbound-content.js';
import { CHOICE_ACTION_PREFIX, type SlackConversation } from './inbound.js';

/** The `chat.postMessage` arguments Relevo sends (a subset of Slack's). */
export interface SlackPostMessage {
  channel: string;
  text: string;
  thread_ts?: string;
  blocks?: SlackBlock[];
}

export type SlackBlock =
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'actions'; block_id: string; elements: SlackButton[] };

export interface SlackButton {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string; emoji: true };
  value: string;
}

/** What to do with one outbound activity on Slack. */
export type SlackOutbound =
  | { kind: 'post'; message: SlackPostMessage }
  | { kind: 'delay'; ms: number }
  | { kind: 'skip'; reason: string };

// Block Kit limits: https://api.slack.com/reference/block-kit/block-elements#button
const MAX_BUTTONS = 25;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
// https://api.slack.com/reference/block-kit/blocks#section
const MAX_SECTION_TEXT = 3000;

/**
 * Renders one outbound Activity for Slack (pure): a message becomes `chat.postMessage` arguments in the
 * conversation's channel and thread, with its suggested actions as Block Kit buttons (their values
 * come back as `block_actions` and are read as what the customer typed). Typing has no Web API
 * equivalent for bots and is skipped; `delay` is honoured by the adapter.
 * @see https://api.slack.com/methods/chat.postMessage
 */
export function renderSlackActivity(activity: Partial<Activity>, target: SlackConversation): SlackOutbound {
  const content = classifyOutbound(activity);
  switch (content.kind) {
    case 'message':
      return { kind: 'post', message: renderMessage(content.activity, target) };
    case 'typing':
      return { kind: 'skip', reason: 'Slack has no typing indicator for bot messages' };
    case 'delay':
      return { kind: 'delay', ms: content.ms };
    case 'other':
      return { kind: 'skip', reason: `activity type ${content.type} has no Slack rendering` };
    default:
      return assertNever(content);
  }
}

function renderMessage(activity: Partial<Activity>, target: SlackConversation): SlackPostMessage {
  const text = toMrkdwn([activity.text ?? '', ...attachmentNotes(activity)].filter(Boolean).join('\n\n'));
  const actions = activity.suggestedActions?.actions ?? [];
  const message: SlackPostMessage = {
    channel: target.channel,
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
    // `text` is always sent: it is what notifications and screen readers show.
    text: text || actions.map(actionTitle).join(' · '),
  };
  if (actions.length === 0) return message;
  const sections: SlackBlock[] = chunks(text, MAX_SECTION_TEXT).map((part) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: part },
  }));
  return {
    ...message,
    blocks: [...sections, { type: 'actions', block_id: 'relevo_choices', elements: buttons(actions) }],
  };
}

function buttons(actions: CardAction[]): SlackButton[] {
  return actions.slice(0, MAX_BUTTONS).map((action, i) => ({
    type: 'button',
    action_id: `${CHOICE_ACTION_PREFIX}${i}`,
    text: { type: 'plain_text', text: actionTitle(action).slice(0, MAX_BUTTON_TEXT), emoji: true },
    value: (typeof action.value === 'string' ? action.value : actionTitle(action)).slice(0, MAX_BUTTON_VALUE),
  }));
}

/** Attachments (cards, files) Slack cannot show as sent: named in the text instead of dropped silently. */
function attachmentNotes(activity: Partial<Activity>): string[] {
  return (activity.attachments ?? []).map((attachment) => {
    const content = attachment.content as { title?: unknown; text?: unknown } | undefined;
    const title = typeof content?.title === 'string' ? content.title : attachment.name;
    const body = typeof content?.text === 'string' ? content.text : undefined;
    if (attachment.contentUrl) return `${title ?? 'Attachment'}: ${attachment.contentUrl}`;
    return [title, body].filter(Boolean).join('\n') || `(${attachment.contentType} attachment)`;
  });
}

/**
 * Markdown → Slack mrkdwn for what bots commonly write: `**bold**` → `*bold*`, `[text](url)` →
 * `<url|text>`. @see https://api.slack.com/reference/surfaces/formatting
 */
export function toMrkdwn(markdown: string): string {
  return markdown
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<$2|$1>');
}

function chunks(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function assertNever(value: never): never {
  throw new Error(`unhandled outbound content: ${JSON.stringify(value)}`);
}
