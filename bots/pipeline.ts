import type { Activity, Middleware } from 'botbuilder';
import type { Pipeline } from '../core/channel.js';
import type { Logger } from '../core/logger.js';
import { ConversationLockMiddleware } from '../storage/conversation-lock-middleware.js';
import { DedupeMiddleware } from '../storage/dedupe-middleware.js';
import type { StateMiddleware } from '../storage/state-middleware.js';
import type { Stores } from '../storage/stores.js';
import { TranscriptMiddleware } from '../storage/transcript-middleware.js';

export interface PipelineStages {
  stores: Stores;
  logger: Logger;
  /** Loads and saves the turn's state; absent for bots that keep none. */
  state?: StateMiddleware;
  /** The NLU stage (bots/nlu-stage.ts); absent for bots without NLU. */
  nlu?: Middleware;
  /** Identity keys → member (identity/); absent: no members. */
  identity?: Middleware;
  /** Loyalty profile on the turn, points for outcomes after it (gamification/). */
  loyalty?: Middleware;
  /** Keeps each conversation's reference for proactive messages (bots/conversation-references.ts). */
  references?: Middleware;
  /** Human in control? and the handoff policy after the turn (handoff/). */
  handoff?: Middleware;
  /** Outcome events and turn metrics (analytics/); wraps the rest of the turn to time it. */
  analytics?: Middleware;
  /** Rewrites what the transcript keeps (PII redaction); the customer still sees the original. */
  redact?: (activity: Activity) => Activity;
  /** Messages per identity key and minute (storage/rate-limit-middleware.ts); absent: no limit. */
  rateLimit?: Middleware;
}

/**
 * The turn pipeline, in the order of DESIGN.md §1. Every channel's adapter runs this same list.
 * Later stages (identity, human-in-control, handoff policy, loyalty, outcome events) join in their place.
 */
export function createPipeline({
  stores,
  logger,
  state,
  nlu,
  identity,
  loyalty,
  handoff,
  analytics,
  references,
  redact,
  rateLimit,
}: PipelineStages): Pipeline {
  const transcript = new TranscriptMiddleware(stores.transcripts, { logger, ...(redact ? { redact } : {}) });
  return [
    // 1. Dedupe: a platform retry must never cause a second reply or point credit.
    new DedupeMiddleware(stores.activities, { logger }),
    // 1b. A customer over the rate limit is told once and dropped, before any lock, NLU or points.
    ...(rateLimit ? [rateLimit] : []),
    // 2. One turn of a conversation at a time, in order.
    new ConversationLockMiddleware(stores.locks, { logger }),
    // 3. Outcome events and metrics: it times the rest of the turn and reads what the later stages left.
    ...(analytics ? [analytics] : []),
    // 4. Identity key → member, on the turn for every later stage.
    ...(identity ? [identity] : []),
    // 5. The way back to this conversation, for proactive messages (journey waypoints).
    ...(references ? [references] : []),
    // 6. Loyalty: the member's points and tier for this turn; points for what the turn achieved, after it.
    ...(loyalty ? [loyalty] : []),
    // 7a. The customer's message goes to the transcript as the state is read (one round trip).
    transcript.inbound(),
    // 7. State loaded once, saved once under its eTags; replies wait for the save.
    ...(state ? [state] : []),
    // 8. Transcript (PII-redacted) of what the customer sent and of what was really sent back.
    transcript,
    // 9. A human in control keeps the bot silent; after the turn, the policy may call one in.
    ...(handoff ? [handoff] : []),
    // 10. Language, intent, entities and sentiment of the message.
    ...(nlu ? [nlu] : []),
  ];
}
