import type { Activity, ChannelAccount } from 'botbuilder';
import { identityKey } from '../../core/identity-key.js';
import type { ConversationRecord } from './conversation-store.js';
import { DirectLineError } from './errors.js';

/** The channel id Relevo's Direct Line gives its activities, as Azure does for Web Chat. */
export const WEBCHAT_CHANNEL_ID = 'webchat';

/** Activity types a Direct Line client may post. */
const CLIENT_TYPES = new Set(['message', 'event', 'typing']);

/** Largest text a customer may send in one activity. */
const MAX_TEXT_LENGTH = 10_000;

/**
 * Validates an activity posted by a Direct Line client and returns the two views of it: `echo`, what
 * the conversation log keeps and streams back to the client (Web Chat marks a message as sent when it
 * sees it echoed), and `turn`, what the bot sees — with `from.id` the identity key `webchat:<user>`.
 * The sender is always the conversation's own user: a client cannot post as someone else.
 */
export function inboundActivity(
  body: unknown,
  conversation: ConversationRecord,
  now: Date,
): { echo: Partial<Activity>; turn: (id: string) => Partial<Activity> } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DirectLineError('BadArgument', 'The body must be an activity object');
  }
  const posted = body as Partial<Activity> & Record<string, unknown>;
  if (typeof posted.type !== 'string')
    throw new DirectLineError('MissingProperty', 'The activity needs a "type"');
  if (!CLIENT_TYPES.has(posted.type)) {
    throw new DirectLineError(
      'BadArgument',
      `Activities of type "${posted.type}" cannot be sent by a client`,
    );
  }
  if (posted.text !== undefined && typeof posted.text !== 'string') {
    throw new DirectLineError('BadArgument', '"text" must be a string');
  }
  if ((posted.text?.length ?? 0) > MAX_TEXT_LENGTH) {
    throw new DirectLineError('MessageSizeTooBig', `"text" is longer than ${MAX_TEXT_LENGTH} characters`);
  }
  if (posted.type === 'event' && typeof posted.name !== 'string') {
    throw new DirectLineError('MissingProperty', 'An event activity needs a "name"');
  }

  const user: ChannelAccount = { id: conversation.userId, name: conversation.userName ?? '', role: 'user' };
  const echo: Partial<Activity> = {
    type: posted.type,
    channelId: WEBCHAT_CHANNEL_ID,
    conversation: { id: conversation.id } as Activity['conversation'],
    from: user,
    timestamp: now,
    ...pick(posted, [
      'text',
      'textFormat',
      'locale',
      'name',
      'value',
      'attachments',
      'channelData',
      'entities',
    ]),
  };
  return {
    echo,
    turn: (id) => ({
      ...echo,
      id,
      from: { ...user, id: identityKey('webchat', conversation.userId) },
      recipient: { id: 'relevo', name: 'Relevo', role: 'bot' },
      locale: posted.locale ?? conversation.locale,
      serviceUrl: 'urn:relevo:webchat',
    }),
  };
}

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}
