import { createHmac, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { RelevoError } from '../core/errors.js';

/**
 * Outcome events (DESIGN.md §1, "outcome events → KPIs"): what happened in a conversation, never what
 * was said. Every string field is an identifier drawn from a closed alphabet (ids, channel, language,
 * tier, reasons, intents), so free text — and with it names, emails, order numbers — cannot be stored:
 * the schema rejects unknown fields and anything that does not look like a token. Member ids are kept
 * only as keyed hashes ({@link hashMemberId}), so a leaked event log names nobody.
 */

/** A token: letters, digits and `._:@/-`, at most 128 characters (no spaces, so no sentences). */
const token = z
  .string()
  .regex(/^[A-Za-z0-9._:@/-]{1,128}$/, 'an identifier (no spaces, at most 128 characters)');
const score = z.number().finite();
const ms = z.number().finite().min(0);

/** Fields every event carries. `conversation` is an opaque session id, not the platform's id. */
const base = {
  /** Idempotency key: recording the same id twice stores it once. */
  id: token,
  /** When it happened, in ms since the epoch. */
  at: z.number().int().min(0),
  /** The analytics session (one conversation from its first turn to an idle gap), opaque. */
  conversation: token.optional(),
  channel: token.optional(),
  language: token.optional(),
  /** Keyed hash of the member id ({@link hashMemberId}). */
  member: token.optional(),
  tier: token.optional(),
};

const handoffSignals = z.strictObject({
  confidence: score.nullable(),
  sentiment: score.nullable(),
  trend: score.nullable(),
  fallbackStreak: z.number().int().min(0),
});

export const outcomeEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('conversation.started') }),
  z.strictObject({ ...base, type: z.literal('conversation.ended'), durationMs: ms.optional() }),
  z.strictObject({
    ...base,
    type: z.literal('intent.recognized'),
    intent: token,
    confidence: score,
    sentiment: score.optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('intent.not_understood'),
    confidence: score,
    sentiment: score.optional(),
  }),
  z.strictObject({
    ...base,
    type: z.literal('handoff.requested'),
    handoffId: token,
    reason: token,
    signals: handoffSignals.optional(),
  }),
  z.strictObject({ ...base, type: z.literal('agent.accepted'), handoffId: token, waitMs: ms }),
  z.strictObject({ ...base, type: z.literal('agent.resolved'), handoffId: token, handleMs: ms }),
  z.strictObject({ ...base, type: z.literal('handoff.abandoned'), handoffId: token, waitMs: ms }),
  z.strictObject({ ...base, type: z.literal('bot.resolved'), intent: token.optional() }),
  z.strictObject({ ...base, type: z.literal('csat.answered'), score: z.number().int().min(1).max(5) }),
  z.strictObject({ ...base, type: z.literal('nps.answered'), score: z.number().int().min(0).max(10) }),
  z.strictObject({ ...base, type: z.literal('points.credited'), points: ms, reason: token.optional() }),
  z.strictObject({ ...base, type: z.literal('points.debited'), points: ms, reason: token.optional() }),
  z.strictObject({ ...base, type: z.literal('points.redeemed'), points: ms, reward: token.optional() }),
  z.strictObject({ ...base, type: z.literal('points.expired'), points: ms }),
  z.strictObject({
    ...base,
    type: z.literal('waypoint.fired'),
    waypoint: token,
    handoffId: token.optional(),
  }),
]);

/**
 * The intent recorded for a turn only a dialog understood: an answer its own question accepted ("5" to
 * the CSAT question, an order number) that the NLU alone would call out of scope.
 */
export const DIALOG_ANSWER_INTENT = 'dialog.answer';

/** One stored outcome. Past-tense names (STYLE.md rule 6). */
export type OutcomeEvent = z.infer<typeof outcomeEventSchema>;
export type OutcomeEventType = OutcomeEvent['type'];

/** An outcome as a caller records it: the recorder fills `id`, `at` and the turn's context when absent. */
export type OutcomeInput = OutcomeEvent extends infer E
  ? E extends OutcomeEvent
    ? Omit<E, 'id' | 'at'> & { id?: string; at?: number }
    : never
  : never;

export const AnalyticsErrorCode = {
  invalidEvent: 'RELEVO_ANALYTICS_INVALID_EVENT',
  invalidQuery: 'RELEVO_ANALYTICS_INVALID_QUERY',
  forbidden: 'RELEVO_ANALYTICS_FORBIDDEN',
} as const;

/**
 * Validates an event against the PII-free schema; throws `RELEVO_ANALYTICS_INVALID_EVENT` naming the
 * first bad field (never echoing its value, which might be the very text we refuse to keep).
 */
export function parseOutcomeEvent(value: unknown): OutcomeEvent {
  const parsed = outcomeEventSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new RelevoError(
    AnalyticsErrorCode.invalidEvent,
    `Outcome event rejected: ${issue?.path.join('.') || 'event'}: ${issue?.code ?? 'invalid'}`,
    { statusCode: 400 },
  );
}

/**
 * A member id as events keep it: HMAC-SHA-256 under the deployment's analytics key, 24 hex digits.
 * Stable (first-contact resolution follows a member across channels) but not reversible without the key.
 */
export function hashMemberId(memberId: string, key: string | KeyObject): string {
  return `m_${createHmac('sha256', key).update(memberId).digest('hex').slice(0, 24)}`;
}

/** A deterministic, opaque event id from its parts (platform ids may carry mailbox names). */
export function eventId(key: string | KeyObject, ...parts: string[]): string {
  return createHmac('sha256', key).update(parts.join('\u0000')).digest('base64url').slice(0, 27);
}
