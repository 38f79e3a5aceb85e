import type { Activity } from 'botbuilder';
import { RelevoError } from '../../core/errors.js';
import { identityKey } from '../../core/identity-key.js';

/**
 * Checks that a posted body is an activity botbuilder can process: an object with a type, a channel,
 * a conversation and a service URL to answer on. Anything else is a 400 with the reason.
 */
export function requireActivity(body: unknown): Activity {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('The body must be a Bot Framework activity object');
  }
  const activity = body as Partial<Activity>;
  for (const [field, value] of [
    ['type', activity.type],
    ['channelId', activity.channelId],
    ['serviceUrl', activity.serviceUrl],
    ['conversation.id', activity.conversation?.id],
    ['from.id', activity.from?.id],
  ] as const) {
    if (typeof value !== 'string' || value === '') throw invalid(`The activity needs "${field}"`);
  }
  return activity as Activity;
}

/**
 * The identity key of a Bot Framework sender: Teams users by their Entra object id (stable across
 * chats), everyone else by the channel's user id.
 */
export function senderIdentityKey(activity: Pick<Activity, 'channelId' | 'from'>): string {
  const platformId = activity.from.aadObjectId ?? activity.from.id;
  return identityKey(activity.channelId, platformId);
}

function invalid(message: string): RelevoError {
  return new RelevoError('RELEVO_BOTFRAMEWORK_INVALID_ACTIVITY', message, { statusCode: 400 });
}
