import { createHash } from 'node:crypto';
import { remembered } from '../core/bounded-memo.js';

/*
 * Hash tags: Redis Cluster places a key by the text between its first `{` and the next `}`, so keys
 * with the same tag share a slot, and only such keys may meet in one Lua script, MULTI or multi-key
 * command. Every module names its keys with these tags, so everything of one conversation, or of one
 * member, can be touched atomically on a cluster as on a single Redis (where tags are plain text).
 */

/**
 * The tag of one conversation: a digest of channel and conversation id, so braces inside ids can
 * neither end the tag early nor make two conversations collide, and its length is fixed.
 */
export function conversationTag(channelId: string, conversationId: string): string {
  // A turn names its conversation's keys several times: recent tags are remembered (a digest costs
  // about 2.4 µs, a lookup 0.3 µs).
  return remembered(recentTags, RECENT_TAGS, JSON.stringify([channelId, conversationId]), digestTag);
}

function digestTag(id: string): string {
  return `{${createHash('sha1').update(id).digest('hex').slice(0, 16)}}`;
}

/**
 * The tag of a queue partition or turn lock named `<channel>:<conversation id>`: its conversation's
 * tag, so the conversation's queue, lock, state and transcript share one slot.
 */
export function partitionTag(partition: string): string {
  const split = partition.indexOf(':');
  return conversationTag(partition.slice(0, split), partition.slice(split + 1));
}

const RECENT_TAGS = 10_000;
const recentTags = new Map<string, string>();

/** The tag of one member: `{m:<memberId>}` (ids are Relevo's own, without braces). */
export function memberTag(memberId: string): string {
  return `{m:${memberId}}`;
}

/**
 * The tag of a shared structure that scripts update as a whole (the handoff queue, a timer wheel, a
 * leaderboard, a day of outcome events): `{<name>}`. Each one lives on a single slot.
 */
export function sharedTag(name: string): string {
  return `{${name}}`;
}

/**
 * The hash tag of a key as Redis Cluster reads it, or the whole key when it has none: two keys with
 * the same answer always share a slot.
 */
export function slotGroupOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * The tag a botbuilder storage key belongs to, by Relevo's state layout (storage/state-middleware.ts
 * `defaultStateKeys`): a conversation's state shares its conversation's tag, a member's turn state its
 * member's tag; any other key has none (it is placed by its whole name).
 */
export function storageKeyTag(key: string): string {
  const member = /^members\/([^/{}]+)\/state$/.exec(key);
  if (member) return memberTag(member[1] as string);
  const conversation = /^([^/]+)\/conversations\/(.+)$/.exec(key);
  if (conversation) return conversationTag(conversation[1] as string, conversation[2] as string);
  return '';
}
