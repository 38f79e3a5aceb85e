import { z } from 'zod';
import { RelevoError } from '../../core/errors.js';

/** A field the inbound code reads when X sends it. */
const optionalText = z.string().nullish();
const optionalTimestamp = z.union([z.string(), z.number()]).nullish();
const id = z.string().min(1);

/** The body itself: the lists the inbound code walks are lists, the account it is for a string. */
const webhookBody = z.looseObject({
  for_user_id: optionalText,
  direct_message_events: z.array(z.unknown()).nullish(),
  tweet_create_events: z.array(z.unknown()).nullish(),
});

/** The fields of a DM event that become a turn (inbound.ts, `dmToActivity`). */
const dmEvent = z.looseObject({
  type: z.string(),
  id,
  created_timestamp: optionalTimestamp,
  message_create: z.looseObject({
    sender_id: id,
    message_data: z
      .looseObject({
        text: optionalText,
        quick_reply_response: z.looseObject({ metadata: optionalText }).nullish(),
      })
      .nullish(),
  }),
});

/** The body's `users`, of which a DM's turn reads its sender's screen name. */
const users = z.record(z.string(), z.unknown()).nullish();
const sender = z.looseObject({ screen_name: optionalText }).nullish();

/** The fields of a post that become a turn (inbound.ts, `tweetToActivity`). */
const tweet = z.looseObject({
  id_str: id,
  text: optionalText,
  extended_tweet: z.looseObject({ full_text: optionalText }).nullish(),
  timestamp_ms: optionalTimestamp,
  lang: optionalText,
  user: z.looseObject({ id_str: id, screen_name: optionalText }),
});

/**
 * Checks that a verified webhook body is the documented object, its event lists lists: otherwise a
 * 400 `RELEVO_X_MALFORMED` naming the field, and none of its events runs. Each event is checked on
 * its own ({@link dmEventProblems}, {@link tweetProblems}). Only X can sign a body, so this is
 * robustness, not a door; other event kinds X sends are not read and not checked.
 */
export function requireXBody(body: object): void {
  const problems = issues(webhookBody, body);
  if (problems.length === 0) return;
  throw new RelevoError('RELEVO_X_MALFORMED', `X webhook field ${problems.join('; ')}`, { statusCode: 400 });
}

/** What a DM event that runs a turn lacks of what its turn reads, as `field: reason` (none: it can run). */
export function dmEventProblems(event: unknown, bodyUsers: unknown): string[] {
  const problems = [...issues(dmEvent, event), ...issues(users, bodyUsers, 'users.')];
  const senderId = (event as { message_create?: { sender_id?: unknown } }).message_create?.sender_id;
  if (problems.length > 0 || typeof senderId !== 'string') return problems;
  // Only the sender's entry is read; its key, a user id, is not repeated in the reason.
  return issues(
    sender,
    (bodyUsers as Record<string, unknown> | null | undefined)?.[senderId],
    'users[sender].',
  );
}

/** What a post that runs a turn lacks of what its turn reads, as `field: reason` (none: it can run). */
export function tweetProblems(post: unknown): string[] {
  return issues(tweet, post);
}

function issues(schema: z.ZodType, value: unknown, prefix = ''): string[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `${prefix}${issue.path.join('.')}: ${issue.message}`);
}
