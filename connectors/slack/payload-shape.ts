import { z } from 'zod';
import { RelevoError } from '../../core/errors.js';
import { choiceAction, isCustomerEvent, type SlackBlockActions, type SlackBody } from './inbound.js';

/** A field the inbound code reads when Slack sends it; Slack sends some as `null`. */
const optionalText = z.string().nullish();
const id = z.string().min(1);

/** What tells whether an Events API callback runs a turn: its event's type (then inbound.ts reads a few fields). */
const eventEnvelope = z.looseObject({ event: z.looseObject({ type: id }) });

/** A callback with a `message` or `app_mention` event that becomes a turn (inbound.ts, `slackEventToActivity`). */
const messageCallback = z.looseObject({
  team_id: id,
  event_id: id,
  event: z.looseObject({
    channel: id,
    ts: id,
    subtype: optionalText,
    channel_type: optionalText,
    user: optionalText,
    bot_id: optionalText,
    team: optionalText,
    text: optionalText,
    thread_ts: optionalText,
    files: z
      .array(z.looseObject({ name: optionalText, mimetype: optionalText, url_private: optionalText }))
      .nullish(),
  }),
});

/** What tells whether a click runs a turn: its actions (inbound.ts, `choiceAction`). */
const clickEnvelope = z.looseObject({ actions: z.array(z.unknown()) });

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
 * Checks a verified body before anything is queued: otherwise a 400 `RELEVO_SLACK_MALFORMED` naming
 * the field. Only Slack can sign a body, so a malformed one is a fault on either side, not an attack.
 * A callback needs an `event` object with a `type`, a click an `actions` list: without them there is
 * no telling whether it runs a turn. Then only what runs a turn (a customer's DM or mention, a click
 * on one of our buttons) must have every field its turn reads, of the type it reads it as; anything
 * else runs no turn and is acknowledged whatever its other fields hold, as Slack asks of every event.
 */
export function requireSlackShape(body: SlackBody): void {
  if (body.type === 'event_callback') {
    const { event } = parse(eventEnvelope, body);
    if (isCustomerEvent(event)) parse(messageCallback, body);
  } else if (body.type === 'block_actions') {
    const { actions } = parse(clickEnvelope, body);
    if (choiceAction({ actions: actions as SlackBlockActions['actions'] })) parse(blockActions, body);
  }
}

/** What a log line may say of a refused body: its type and ids, none of its content. */
export function slackBodyLabel(body: SlackBody | undefined): Record<string, string> {
  const { type, event_id, trigger_id, event } = (body ?? {}) as Record<string, unknown>;
  const eventType = (event as { type?: unknown } | null | undefined)?.type;
  const label = { type, eventId: event_id, triggerId: trigger_id, eventType };
  return Object.fromEntries(
    Object.entries(label).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new RelevoError('RELEVO_SLACK_MALFORMED', `Slack payload field ${problems.join('; ')}`, {
    statusCode: 400,
  });
}
