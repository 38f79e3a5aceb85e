import { z } from 'zod';
import { RelevoError } from '../../core/errors.js';
import type { SlackBody } from './inbound.js';

/** A field the inbound code reads when Slack sends it; Slack sends some as `null`. */
const optionalText = z.string().nullish();
const id = z.string().min(1);

/** The envelope of every Events API callback. */
const eventCallback = z.looseObject({
  team_id: id,
  event_id: id,
  event: z.looseObject({ type: id }),
});

/** The fields of a `message` or `app_mention` event that become a turn (inbound.ts, `slackEventToActivity`). */
const messageEvent = z.looseObject({
  channel: id,
  ts: id,
  subtype: optionalText,
  channel_type: optionalText,
  user: optionalText,
  bot_id: optionalText,
  team: optionalText,
  text: optionalText,
  thread_ts: optionalText,
});

/** The fields of a button click that becomes a turn (inbound.ts, `slackActionToActivity`). */
const blockActions = z.looseObject({
  trigger_id: id,
  user: z.looseObject({ id, team_id: optionalText }),
  team: z.looseObject({ id }).nullish(),
  channel: z.looseObject({ id }).nullish(),
  message: z.looseObject({ ts: id, thread_ts: optionalText }).nullish(),
  actions: z.array(
    z.looseObject({
      action_id: id,
      value: optionalText,
      text: z.looseObject({ text: optionalText }).nullish(),
    }),
  ),
});

/**
 * Checks that a verified body has every field the inbound code reads, of the type it reads it as,
 * before anything is queued: otherwise a 400 `RELEVO_SLACK_MALFORMED` naming the field. Only Slack can
 * sign a body, so a malformed one is a fault on either side, not an attack; it stays malformed on each
 * of Slack's retries, so it is refused rather than acknowledged and failed in a turn later. Bodies of
 * other types (and events other than messages and mentions) run no turn: only their envelope is read.
 */
export function requireSlackShape(body: SlackBody): void {
  if (body.type === 'event_callback') {
    const { event } = parse(eventCallback, body);
    if (event.type === 'message' || event.type === 'app_mention') parse(messageEvent, event, 'event.');
  } else if (body.type === 'block_actions') {
    parse(blockActions, body);
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${prefix}${issue.path.join('.')}: ${issue.message}`);
  throw new RelevoError('RELEVO_SLACK_MALFORMED', `Slack payload field ${problems.join('; ')}`, {
    statusCode: 400,
  });
}
