import type { Activity, PagedResult } from 'botbuilder';
import { invalidArgument } from './errors.js';

/** Items per page of `getTranscriptActivities` and `listTranscripts`, as in botbuilder's own stores. */
export const TRANSCRIPT_PAGE_SIZE = 20;

/** Continuation tokens are opaque to callers; inside they are the offset of the next page. */
export function decodeToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  const offset = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw invalidArgument('Invalid transcript continuation token');
  return offset;
}

export function nextToken(offset: number, returned: number, hasMore: boolean): string {
  return hasMore ? Buffer.from(String(offset + returned), 'utf8').toString('base64url') : '';
}

/** Slices one page out of `items` (the store fetched one extra item to know whether more follow). */
export function page<T>(items: T[], offset: number): PagedResult<T> {
  const pageItems = items.slice(0, TRANSCRIPT_PAGE_SIZE);
  return {
    items: pageItems,
    continuationToken: nextToken(offset, pageItems.length, items.length > pageItems.length),
  };
}

/** Timestamp of an activity in ms; activities logged without one are stamped by the store. */
export function timestampOf(activity: Partial<Activity>): number {
  const value = activity.timestamp;
  const ms =
    value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? Date.now() : ms;
}

/** Validates what `logActivity` needs to file an activity. */
export function requireLoggable(activity: Partial<Activity> | undefined): {
  channelId: string;
  conversationId: string;
} {
  const channelId = activity?.channelId;
  const conversationId = activity?.conversation?.id;
  if (!channelId || !conversationId) {
    throw invalidArgument('logActivity needs an activity with channelId and conversation.id');
  }
  return { channelId, conversationId };
}

/** Parses a stored activity, restoring its Date fields as botbuilder declares them. */
export function reviveActivity(json: string): Activity {
  const activity = JSON.parse(json) as Activity & { timestamp?: unknown; localTimestamp?: unknown };
  if (typeof activity.timestamp === 'string') activity.timestamp = new Date(activity.timestamp);
  if (typeof activity.localTimestamp === 'string')
    activity.localTimestamp = new Date(activity.localTimestamp);
  return activity;
}

/** What makes an activity unique in its transcript: its type and id ('' when it has no id). */
export function loggedId(activity: Activity): string {
  return typeof activity.id === 'string' && activity.id !== '' ? `${activity.type ?? ''}:${activity.id}` : '';
}
