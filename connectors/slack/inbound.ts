import type { Activity } from 'botbuilder';
import { RelevoError } from '../../core/errors.js';
import { identityKey } from '../../core/identity-key.js';

/**
 * The Slack payloads Relevo reads, as documented (only the fields it uses).
 * @see https://api.slack.com/apis/events-api#callback-field
 * @see https://api.slack.com/reference/interaction-payloads/block-actions
 */
export interface SlackMessageEvent {
  type: 'message';
  subtype?: string;
  channel: string;
  channel_type?: 'im' | 'mpim' | 'channel' | 'group' | 'app_home';
  user?: string;
  bot_id?: string;
  team?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  /** Files the message shares (`file_share`): each becomes an attachment of the activity. */
  files?: SlackFile[] | null;
}

/** A shared file as a message event carries it; `url_private` needs the bot token to download. */
export interface SlackFile {
  name?: string | null;
  mimetype?: string | null;
  url_private?: string | null;
}

export interface SlackAppMentionEvent {
  type: 'app_mention';
  channel: string;
  user?: string;
  bot_id?: string;
  team?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

export interface SlackEventCallback {
  type: 'event_callback';
  team_id: string;
  event_id: string;
  event_time?: number;
  event: SlackMessageEvent | SlackAppMentionEvent | { type: string };
}

export interface SlackUrlVerification {
  type: 'url_verification';
  challenge: string;
}

export interface SlackBlockAction {
  action_id: string;
  block_id?: string;
  value?: string;
  text?: { text?: string };
  action_ts?: string;
}

export interface SlackBlockActions {
  type: 'block_actions';
  trigger_id: string;
  user: { id: string; team_id?: string };
  team: { id: string } | null;
  channel?: { id: string };
  message?: { ts: string; thread_ts?: string };
  actions: SlackBlockAction[];
}

/** Every body `POST /slack/events` may carry; unknown types are acknowledged and ignored. */
export type SlackBody = SlackEventCallback | SlackUrlVerification | SlackBlockActions | { type: string };

/** What the adapter knows about itself, to recognise and drop its own messages. */
export interface SlackBotIdentity {
  userId: string;
  botId?: string;
}

/** Where a Slack conversation lives: a workspace, a channel (or DM), and a thread when there is one. */
export interface SlackConversation {
  team: string;
  channel: string;
  threadTs?: string;
}

/** Prefix of the `action_id` of the buttons Relevo renders for suggested actions (see outbound.ts). */
export const CHOICE_ACTION_PREFIX = 'relevo_choice_';

/**
 * Parses a request body as Slack sends it: JSON for the Events API, a form with one `payload` JSON
 * field for interactivity. Throws a 400 `RELEVO_SLACK_MALFORMED` for anything else.
 * @see https://api.slack.com/interactivity/handling#payloads
 */
export function parseSlackBody(rawBody: string, contentType: string | undefined): SlackBody {
  try {
    const isForm = (contentType ?? '').startsWith('application/x-www-form-urlencoded');
    const json = isForm ? new URLSearchParams(rawBody).get('payload') : rawBody;
    if (json === null) throw new Error('form without a payload field');
    const body: unknown = JSON.parse(json);
    if (typeof body !== 'object' || body === null || typeof (body as { type?: unknown }).type !== 'string') {
      throw new Error('no type');
    }
    return body as SlackBody;
  } catch (error) {
    throw new RelevoError('RELEVO_SLACK_MALFORMED', 'Slack request body is not a Slack payload', {
      statusCode: 400,
      cause: error,
    });
  }
}

/**
 * The id of one delivery, the same on every retry: `event_id` for Events API callbacks, `trigger_id`
 * for interactions. `undefined` for bodies that are never retried into a turn.
 * @see https://api.slack.com/apis/events-api#retries
 */
export function slackDeliveryId(body: SlackBody): string | undefined {
  if (isEventCallback(body)) return body.event_id;
  if (isBlockActions(body)) return body.trigger_id;
  return undefined;
}

export function isEventCallback(body: SlackBody): body is SlackEventCallback {
  return body.type === 'event_callback' && typeof (body as SlackEventCallback).event_id === 'string';
}

export function isBlockActions(body: SlackBody): body is SlackBlockActions {
  return body.type === 'block_actions' && Array.isArray((body as SlackBlockActions).actions);
}

/** `T1:D2` or `T1:C3:1700000000.000100`: everything a reply (or a human agent's) needs to land in place. */
export function slackConversationId({ team, channel, threadTs }: SlackConversation): string {
  return threadTs ? `${team}:${channel}:${threadTs}` : `${team}:${channel}`;
}

/** The inverse of {@link slackConversationId}; throws a 400 `RELEVO_SLACK_CONVERSATION` for a foreign id. */
export function parseSlackConversationId(id: string | undefined): SlackConversation {
  const [team, channel, threadTs, ...rest] = (id ?? '').split(':');
  if (!team || !channel || rest.length > 0) {
    throw new RelevoError('RELEVO_SLACK_CONVERSATION', `not a Slack conversation id: ${id}`, {
      statusCode: 400,
    });
  }
  return threadTs ? { team, channel, threadTs } : { team, channel };
}

/**
 * Whether an event runs a turn (unless it is our own message): a DM or a mention a person wrote. Not:
 * other bots (`bot_id`), edits, deletions and the like (any `subtype` but a shared file or a thread
 * broadcast, which a person writes), and channel messages that do
 * not mention us (those reach us as `app_mention`, so answering `message` too would reply twice).
 * Read before the event's other fields are checked (payload-shape.ts), so it reads only these.
 */
export function isCustomerEvent(
  event: SlackEventCallback['event'],
): event is (SlackMessageEvent | SlackAppMentionEvent) & { user: string } {
  if (event.type !== 'message' && event.type !== 'app_mention') return false;
  const message = event as SlackMessageEvent | SlackAppMentionEvent;
  if (!message.user || message.bot_id) return false;
  return (
    message.type === 'app_mention' ||
    ((message.subtype == null || PERSON_SUBTYPES.has(message.subtype)) && message.channel_type === 'im')
  );
}

/** Message subtypes a person writes: a file shared with a caption (a photo of a damaged box), a thread reply also sent to the conversation. */
const PERSON_SUBTYPES: ReadonlySet<string> = new Set(['file_share', 'thread_broadcast']);

/**
 * The action of a click on one of our suggested-action buttons, the one kind of click that runs a turn.
 * Read before the click's other fields are checked (payload-shape.ts): an action may lack its id.
 */
export function choiceAction(body: Pick<SlackBlockActions, 'actions'>): SlackBlockAction | undefined {
  return body.actions.find((candidate) => {
    const actionId: unknown = candidate?.action_id;
    return typeof actionId === 'string' && actionId.startsWith(CHOICE_ACTION_PREFIX);
  });
}

/**
 * Maps an Events API callback to a message Activity, or `null` to ignore it: events that are not a
 * customer's ({@link isCustomerEvent}) and our own messages. A mention is answered in its thread; a DM
 * where it was written.
 * @see https://api.slack.com/events/message/message_changed
 * @see https://api.slack.com/events/app_mention
 */
export function slackEventToActivity(
  body: SlackEventCallback,
  bot: SlackBotIdentity,
): Partial<Activity> | null {
  const message = body.event;
  if (!isCustomerEvent(message)) return null;
  if (message.user === bot.userId) return null;
  const threadTs = message.type === 'message' ? message.thread_ts : (message.thread_ts ?? message.ts);
  const team = body.team_id;
  const conversation: SlackConversation = {
    team,
    channel: message.channel,
    ...(threadTs ? { threadTs } : {}),
  };
  const isDirect = message.type === 'message';
  return {
    type: 'message',
    id: body.event_id,
    channelId: 'slack',
    timestamp: new Date(Number(message.ts) * 1000),
    from: {
      id: identityKey('slack', `${message.team ?? team}/${message.user}`),
      name: message.user,
      role: 'user',
    },
    recipient: { id: bot.userId, name: 'Relevo', role: 'bot' },
    conversation: {
      id: slackConversationId(conversation),
      isGroup: !isDirect,
      conversationType: isDirect ? 'personal' : 'channel',
      tenantId: team,
      name: message.channel,
    },
    text: withoutMention(message.text ?? '', bot.userId),
    textFormat: 'plain',
    ...fileAttachments(message),
    channelData: {
      slack: {
        team,
        user: message.user,
        channel: message.channel,
        ts: message.ts,
        threadTs,
        event: message.type,
      },
    },
  };
}

/**
 * Maps a click on one of our suggested-action buttons to the message Activity the customer would have
 * typed (the button's value), in the conversation of the message that carried the buttons. Other
 * interactions are ignored (`null`).
 */
export function slackActionToActivity(
  body: SlackBlockActions,
  bot: SlackBotIdentity,
): Partial<Activity> | null {
  const action = choiceAction(body);
  const channel = body.channel?.id;
  const team = body.team?.id ?? body.user.team_id;
  if (!action || !channel || !team) return null;
  const threadTs = body.message?.thread_ts;
  const conversation: SlackConversation = { team, channel, ...(threadTs ? { threadTs } : {}) };
  const isDirect = channel.startsWith('D');
  return {
    type: 'message',
    id: body.trigger_id,
    channelId: 'slack',
    ...(body.message ? { replyToId: body.message.ts } : {}),
    from: {
      id: identityKey('slack', `${body.user.team_id ?? team}/${body.user.id}`),
      name: body.user.id,
      role: 'user',
    },
    recipient: { id: bot.userId, name: 'Relevo', role: 'bot' },
    conversation: {
      id: slackConversationId(conversation),
      isGroup: !isDirect,
      conversationType: isDirect ? 'personal' : 'channel',
      tenantId: team,
      name: channel,
    },
    text: action.value ?? action.text?.text ?? '',
    textFormat: 'plain',
    channelData: {
      slack: {
        team,
        user: body.user.id,
        channel,
        threadTs,
        event: 'block_actions',
        actionId: action.action_id,
      },
    },
  };
}

/** Drops the leading `<@U123>` of an app mention, so the agent reads what the customer asked. */
function withoutMention(text: string, botUserId: string): string {
  return text.replaceAll(`<@${botUserId}>`, '').replace(/ {2,}/g, ' ').trim();
}

/** A DM's shared files as attachments, so the transcript and an agent taking over see them. */
function fileAttachments(
  message: SlackMessageEvent | SlackAppMentionEvent,
): Partial<Pick<Activity, 'attachments'>> {
  const files = message.type === 'message' ? (message.files ?? []) : [];
  if (files.length === 0) return {};
  return {
    attachments: files.map((file) => ({
      contentType: file.mimetype ?? 'application/octet-stream',
      ...(file.url_private ? { contentUrl: file.url_private } : {}),
      ...(file.name ? { name: file.name } : {}),
    })),
  };
}
