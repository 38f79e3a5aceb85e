import type { Pipeline } from '../core/channel.js';
import type { Logger } from '../core/logger.js';
import { DedupeMiddleware } from '../storage/dedupe-middleware.js';
import type { Stores } from '../storage/stores.js';
import { TranscriptMiddleware } from '../storage/transcript-middleware.js';

/**
 * The turn pipeline, in the order of DESIGN.md §1. Every channel's adapter runs this same list.
 * Later stages (identity, human-in-control, NLU, dialogs, handoff policy, loyalty, outcome events)
 * join here in their place.
 */
export function createPipeline(stores: Stores, logger: Logger): Pipeline {
  return [
    // 1. Dedupe: a platform retry must never cause a second reply or point credit.
    new DedupeMiddleware(stores.idempotency, logger),
    // 2. Transcript of what the customer sent and what was really sent back.
    new TranscriptMiddleware(stores.transcripts, { logger }),
  ];
}
