import type { TurnContext } from 'botbuilder';

/** The parts of botbuilder's `TurnContext` (private fields) that hold what a turn made. */
interface TurnContextInternals {
  _onSendActivities?: unknown[];
  _onUpdateActivity?: unknown[];
  _onDeleteActivity?: unknown[];
}

/**
 * Lets go of everything a finished turn's context holds: its turn state (NLU result, loaded state,
 * dialog contexts, stage records) and the send/update/delete handlers the middleware registered.
 * Buffered replies (`expectReplies`) stay: `CloudAdapter` answers the request with that very array.
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
  turnReleaser(context)();
}

/**
 * Takes hold of what a turn's context holds and returns the function that lets go of it (see
 * {@link releaseTurnContext}), for an adapter whose turn context is only seen through the proxy
 * botbuilder revokes when the turn ends (botbuilder's `CloudAdapter`).
 */
export function turnReleaser(context: TurnContext): () => void {
  const state = context.turnState;
  const internals = context as unknown as TurnContextInternals;
  const lists = [internals._onSendActivities, internals._onUpdateActivity, internals._onDeleteActivity];
  return () => {
    state.clear();
    for (const list of lists) if (Array.isArray(list)) list.length = 0;
  };
}
