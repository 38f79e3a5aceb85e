import type { TurnContext } from 'botbuilder';

/** The parts of botbuilder's `TurnContext` (private fields) that hold what a turn made. */
interface TurnContextInternals {
  _onSendActivities?: unknown[];
  _onUpdateActivity?: unknown[];
  _onDeleteActivity?: unknown[];
  bufferedReplyActivities?: unknown[];
}

/**
 * Lets go of everything a finished turn's context holds: its turn state (NLU result, loaded state,
 * dialog contexts, stage records), the send/update/delete handlers the middleware registered, and
 * buffered replies.
 *
 * Why: botbuilder's async methods are compiled to generators (`__awaiter(this, …, function* () {…})`),
 * a new generator function per call. V8 gives each one a new initial map in the old generation, and
 * that map keeps the function — and with it the call's `this` and arguments, among them the raw
 * `TurnContext` — alive through every young-generation collection until the next full GC. So
 * everything the turn reached was copied by scavenges and promoted: ~40 KB per message of garbage
 * that drove the mark-compacts behind the latency tail (docs/benchmarks.md, "What a message
 * promotes"). Emptying the context cuts those paths; the context object itself stays small.
 * botbuilder revokes the context proxy it handed the turn, so nothing may use the context afterwards.
 */
export function releaseTurnContext(context: TurnContext): void {
  context.turnState.clear();
  const internals = context as unknown as TurnContextInternals;
  for (const list of [
    internals._onSendActivities,
    internals._onUpdateActivity,
    internals._onDeleteActivity,
    internals.bufferedReplyActivities,
  ]) {
    if (Array.isArray(list)) list.length = 0;
  }
}
