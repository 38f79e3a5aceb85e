import { z } from 'zod';
import { RelevoError } from '../../core/errors.js';
import type { XWebhookBody } from './inbound.js';

/** A field the inbound code reads when X sends it. */
const optionalText = z.string().nullish();
const optionalTimestamp = z.union([z.string(), z.number()]).nullish();

/** The fields of a DM event that become a turn (inbound.ts, `dmToActivity`). */
const dmEvent = z.looseObject({
  type: z.string(),
  id: z.string(),
  created_timestamp: optionalTimestamp,
  message_create: z
    .looseObject({
      sender_id: optionalText,
      message_data: z
        .looseObject({
          text: optionalText,
          quick_reply_response: z.looseObject({ metadata: optionalText }).nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

/** The fields of a post that become a turn (inbound.ts, `tweetToActivity`). */
const tweet = z.looseObject({
  id_str: z.string(),
  text: optionalText,
  extended_tweet: z.looseObject({ full_text: optionalText }).nullish(),
  timestamp_ms: optionalTimestamp,
  lang: optionalText,
  user: z.looseObject({ id_str: optionalText, screen_name: optionalText }).nullish(),
});

const webhookBody = z.looseObject({
  for_user_id: optionalText,
  direct_message_events: z.array(dmEvent).nullish(),
  tweet_create_events: z.array(tweet).nullish(),
  users: z.record(z.string(), z.looseObject({ screen_name: optionalText })).nullish(),
});

/**
 * Checks that a verified webhook body has every field the inbound code reads, of the type it reads it
 * as, before any event is queued: otherwise a 400 `RELEVO_X_MALFORMED` naming the field. Only X can
 * sign a body, so this is robustness, not a door; other event kinds X sends are not read and not checked.
 */
export function requireXShape(body: XWebhookBody): void {
  const parsed = webhookBody.safeParse(body);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new RelevoError('RELEVO_X_MALFORMED', `X webhook field ${problems.join('; ')}`, { statusCode: 400 });
}
