import type { Activity } from 'botbuilder';
import { RelevoError } from '../../core/errors.js';
import { identityKey } from '../../core/identity-key.js';
import { dmEventProblems, tweetProblems } from './payload-shape.js';

/**
 * The Account Activity webhook payload, as documented (only the fields Relevo reads).
 * @see https://docs.x.com/x-api/enterprise-gnip-2.0/fundamentals/account-activity#account-activity-data-objects-structure
 */
export interface XWebhookBody {
  for_user_id?: string;
  direct_message_events?: XDirectMessageEvent[];
  tweet_create_events?: XTweet[];
  users?: Record<string, { id: string; name?: string; screen_name?: string }>;
}

export interface XDirectMessageEvent {
  type: string;
  id: string;
  created_timestamp?: string;
  message_create?: {
    target?: { recipient_id?: string };
    sender_id?: string;
    message_data?: { text?: string; quick_reply_response?: { type: string; metadata?: string } };
  };
}

export interface XTweet {
  id_str: string;
  text?: string;
  extended_tweet?: { full_text?: string };
  timestamp_ms?: string;
  lang?: string;
  user?: { id_str?: string; screen_name?: string; name?: string };
  retweeted_status?: unknown;
}

/** One event of a webhook body that should run a turn. */
export interface XInbound {
  /** X's id of the event (DM event id or tweet id): the delivery and activity id. */
  eventId: string;
  source: 'dm' | 'tweet';
  activity: Partial<Activity>;
}

/** An event that would run a turn but lacks a field its turn reads: skipped, not run. */
export interface MalformedXEvent {
  source: 'dm' | 'tweet';
  /** X's id of the event, when it has a usable one. */
  eventId?: string;
  /** Each `field: reason`, naming no content. */
  problems: string[];
}

/** Channel data of an inbound X activity, under `channelData.x`. */
export interface XChannelData {
  source: 'dm' | 'tweet';
  userId: string;
  screenName?: string;
  tweetId?: string;
  lang?: string;
  sentiment?: unknown;
}

/**
 * Parses a webhook body. Throws a 400 `RELEVO_X_MALFORMED` for anything that is not a JSON object.
 */
export function parseXBody(rawBody: string): XWebhookBody {
  try {
    const body: unknown = JSON.parse(rawBody);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body as XWebhookBody;
  } catch (error) {
    throw new RelevoError('RELEVO_X_MALFORMED', 'X webhook body is not a JSON object', {
      statusCode: 400,
      cause: error,
    });
  }
}

/** `dm:<user id>`: the one conversation with a customer, whether it began in a DM or a public mention. */
export function xConversationId(userId: string): string {
  return `dm:${userId}`;
}

/** The customer's X user id of a conversation id; throws a 400 `RELEVO_X_CONVERSATION` for a foreign id. */
export function parseXConversationId(id: string | undefined): string {
  const match = /^dm:(\d+)$/.exec(id ?? '');
  if (!match?.[1]) {
    throw new RelevoError('RELEVO_X_CONVERSATION', `not an X conversation id: ${id}`, { statusCode: 400 });
  }
  return match[1];
}

/**
 * Maps a webhook body to the events that should run a turn: DMs sent to us, and public tweets that
 * mention or reply to us. Ignored: everything we sent ourselves (X echoes our own DMs and tweets back
 * through the same webhook), retweets, other event kinds, and bodies for another account. An event
 * that would run a turn but lacks a field its turn reads is skipped and passed to `onMalformed`; the
 * others in the body still run. A tweet joins the author's DM conversation (`dm:<user id>`), so the
 * transcript holds the public complaint and the private conversation that follows it.
 */
export function xEventsToInbound(
  body: XWebhookBody,
  ourUserId: string,
  onMalformed: (event: MalformedXEvent) => void = () => {},
): XInbound[] {
  if (body.for_user_id !== undefined && body.for_user_id !== ourUserId) return [];
  const inbound: XInbound[] = [];
  for (const event of body.direct_message_events ?? []) {
    if (!isCustomerDm(event, ourUserId)) continue;
    const problems = dmEventProblems(event, body.users);
    if (problems.length > 0) onMalformed({ source: 'dm', ...usableId(event.id), problems });
    else inbound.push({ eventId: event.id, source: 'dm', activity: dmToActivity(event, body, ourUserId) });
  }
  for (const tweet of body.tweet_create_events ?? []) {
    if (!isCustomerTweet(tweet, ourUserId)) continue;
    const problems = tweetProblems(tweet);
    if (problems.length > 0) onMalformed({ source: 'tweet', ...usableId(tweet.id_str), problems });
    else
      inbound.push({ eventId: tweet.id_str, source: 'tweet', activity: tweetToActivity(tweet, ourUserId) });
  }
  return inbound;
}

/*
 * Whether an event runs a turn, read before the rest of it is checked (payload-shape.ts): X's lists
 * may hold anything, so these read only the fields that decide, and warily.
 */

function isCustomerDm(event: XDirectMessageEvent | null | undefined, ourUserId: string): boolean {
  const senderId = event?.message_create?.sender_id;
  return event?.type === 'message_create' && Boolean(senderId) && senderId !== ourUserId;
}

function isCustomerTweet(tweet: XTweet | null | undefined, ourUserId: string): boolean {
  const authorId = tweet?.user?.id_str;
  return Boolean(authorId) && authorId !== ourUserId && tweet?.retweeted_status === undefined;
}

function usableId(id: unknown): { eventId?: string } {
  return typeof id === 'string' && id !== '' ? { eventId: id } : {};
}

function dmToActivity(event: XDirectMessageEvent, body: XWebhookBody, ourUserId: string): Partial<Activity> {
  const create = event.message_create;
  // Present: the event was chosen by its sender and checked (dmEventProblems).
  const senderId = create?.sender_id ?? '';
  const quickReply = create?.message_data?.quick_reply_response?.metadata;
  const screenName = body.users?.[senderId]?.screen_name;
  const channelData: XChannelData = { source: 'dm', userId: senderId, ...(screenName ? { screenName } : {}) };
  return base({
    id: event.id,
    userId: senderId,
    ourUserId,
    ...(screenName ? { screenName } : {}),
    timestampMs: Number(event.created_timestamp),
    text: quickReply ?? create?.message_data?.text ?? '',
    channelData,
  });
}

function tweetToActivity(tweet: XTweet, ourUserId: string): Partial<Activity> {
  // Present: the post was chosen by its author and checked (tweetProblems).
  const authorId = tweet.user?.id_str ?? '';
  const screenName = tweet.user?.screen_name;
  const channelData: XChannelData = {
    source: 'tweet',
    userId: authorId,
    tweetId: tweet.id_str,
    ...(screenName ? { screenName } : {}),
    ...(tweet.lang ? { lang: tweet.lang } : {}),
  };
  const activity = base({
    id: tweet.id_str,
    userId: authorId,
    ourUserId,
    ...(screenName ? { screenName } : {}),
    timestampMs: Number(tweet.timestamp_ms),
    text: tweet.extended_tweet?.full_text ?? tweet.text ?? '',
    channelData,
  });
  return { ...activity, replyToId: tweet.id_str, ...(tweet.lang === 'es' ? { locale: 'es' } : {}) };
}

function base(fields: {
  id: string;
  userId: string;
  ourUserId: string;
  screenName?: string;
  timestampMs: number;
  text: string;
  channelData: XChannelData;
}): Partial<Activity> {
  return {
    type: 'message',
    id: fields.id,
    channelId: 'x',
    ...(Number.isFinite(fields.timestampMs) ? { timestamp: new Date(fields.timestampMs) } : {}),
    from: { id: identityKey('x', fields.userId), name: fields.screenName ?? fields.userId, role: 'user' },
    recipient: { id: fields.ourUserId, name: 'Relevo', role: 'bot' },
    conversation: {
      id: xConversationId(fields.userId),
      isGroup: false,
      conversationType: 'personal',
      name: fields.screenName ?? fields.userId,
    },
    text: fields.text,
    textFormat: 'plain',
    channelData: { x: fields.channelData },
  };
}
