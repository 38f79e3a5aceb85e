import { z } from 'zod';
import { IdentityErrorCode, identityError } from '../errors.js';

/** Journey event types a storefront may send (issue 9). */
export const JOURNEY_EVENT_TYPES = [
  'page_view',
  'cart_add',
  'cart_remove',
  'checkout',
  'purchase',
  'custom',
] as const;
export type JourneyEventType = (typeof JOURNEY_EVENT_TYPES)[number];

const ruleSchema = z
  .object({
    /** Stable name, part of each timer's id. */
    name: z.string().regex(/^[a-z0-9_-]{1,64}$/),
    /** The event that starts the timer. */
    after: z.enum(JOURNEY_EVENT_TYPES),
    /** The event that cancels it, when it comes in time. */
    unless: z.enum(JOURNEY_EVENT_TYPES),
    withinMs: z
      .number()
      .int()
      .min(1_000)
      .max(30 * 24 * 60 * 60 * 1000),
    /** The proactive message sent on the member's last active channel, per language; `en` is the fallback. */
    message: z
      .record(z.string(), z.string().min(1))
      .refine((t) => typeof t.en === 'string', 'needs an "en" text'),
  })
  .strict();

const rulesSchema = z.object({ rules: z.array(ruleSchema).max(100) }).strict();

/** One waypoint rule: `after` an event, if no `unless` event follows within `withinMs`, send `message`. */
export type WaypointRule = z.infer<typeof ruleSchema>;

/**
 * Validates a waypoint rules file (JSON) and answers its rules; one clear 400 error naming the first
 * bad field otherwise, so a typo fails at start-up and not at the first abandoned cart.
 */
export function parseWaypointRules(json: unknown): WaypointRule[] {
  const parsed = rulesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw identityError(
      IdentityErrorCode.invalidRequest,
      `Waypoint rules: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      400,
    );
  }
  const names = new Set<string>();
  for (const rule of parsed.data.rules) {
    if (names.has(rule.name)) {
      throw identityError(
        IdentityErrorCode.invalidRequest,
        `Waypoint rules: "${rule.name}" appears twice`,
        400,
      );
    }
    names.add(rule.name);
  }
  return parsed.data.rules;
}
