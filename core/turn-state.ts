import type { TurnContext } from 'botbuilder';
import { RelevoError } from './errors.js';
import type { TurnCommit } from './turn-commit.js';

/**
 * Keys of what pipeline stages leave on `context.turnState` for later stages. One place, so a stage
 * reads what another wrote without importing it (no folder depends on another for a key).
 */
export const TurnStateKey = {
  /** `MemberSnapshot` of the customer, set by the identity stage. */
  member: Symbol.for('relevo.member'),
  /** `NluResult` of the inbound message, set by the NLU stage. */
  nlu: Symbol.for('relevo.nlu'),
  /** `true` while a human agent is in control of the conversation, set by the handoff stage. */
  humanInControl: Symbol.for('relevo.humanInControl'),
  /** `true` when a dialog failed on this turn (gave up re-prompting, or threw), set by the dialogs stage. */
  dialogFailed: Symbol.for('relevo.dialogFailed'),
  /**
   * `true` when the dialogs understood the turn whatever the intent scores say (an answer their own
   * question accepted), so the handoff policy does not count it as a misunderstanding.
   */
  understood: Symbol.for('relevo.understood'),
  /** `Map<string, SaveWithState>`: items other stages ask the state stage to write in its one save. */
  saveWithState: Symbol.for('relevo.saveWithState'),
  /**
   * `InboundDelivery` of a turn run from the durable inbound queue (storage/inbound-queue.ts): the queue
   * already deduplicated the activity and holds the conversation's turn lock, and the turn may be a
   * re-run of one whose effects were partly stored, so its writes must be idempotent.
   */
  inbound: Symbol.for('relevo.inbound'),
  /**
   * `ClaimedActivity` of a turn run in its HTTP request (a Bot Framework invoke, `expectReplies`) under
   * the dedupe stage's claim: the state stage keeps its answer with its save, so that a retry after the
   * save replays it (storage/activity-outbox.ts).
   */
  claimed: Symbol.for('relevo.claimedActivity'),
  /**
   * Set by side work that failed (a transcript write, a points award): the queue runs the turn again,
   * and a turn run in its request is not recorded done, so the platform's retry does it again.
   */
  incomplete: Symbol.for('relevo.incomplete'),
  /**
   * `true` on a queued turn whose state an earlier run of the same entry saved (storage/turn-outbox.ts),
   * or a claimed turn run in its request whose earlier delivery saved it (storage/activity-outbox.ts):
   * the state stage sends that run's replies again and runs no stage after it.
   */
  replayed: Symbol.for('relevo.replayed'),
  /** `Promise<boolean>[]`: checks the state stage's read waits for (see {@link checkWithStateRead}). */
  readChecks: Symbol.for('relevo.readChecks'),
  /** `Promise<boolean>[]`: gates the state stage's read waits for (see {@link gateWithStateRead}). */
  readGates: Symbol.for('relevo.readGates'),
  /** `number`: when the turn happened, kept across its runs (see {@link turnTime}). */
  time: Symbol.for('relevo.turnTime'),
} as const;

/**
 * When the turn happened, for what is filed by day (outcome events, loyalty's once-a-day rules and
 * caps): the start of its first run, kept with the turn's state (the analytics session), so a turn run
 * again after midnight keeps its day. Set as the state stage builds its save; `undefined` before that
 * and on turns without one (use the clock then).
 */
export function turnTime(context: TurnContext): number | undefined {
  return context.turnState.get(TurnStateKey.time) as number | undefined;
}

export function setTurnTime(context: TurnContext, at: number): void {
  context.turnState.set(TurnStateKey.time, at);
}

/**
 * Has the state stage wait for `check`, started by an earlier stage, together with its read, so both
 * travel in one round trip: the identity stage puts a member it saw moments ago on the turn at once
 * and proves it meanwhile. `check` answers false when what the read was keyed on was wrong (the
 * member was another): the stage has set the right one on the turn by then, and the state is read again.
 */
export function checkWithStateRead(context: TurnContext, check: Promise<boolean>): void {
  addToList(context, TurnStateKey.readChecks, check);
}

/** The checks asked for so far, handed to the state stage once. */
export function takeReadChecks(context: TurnContext): Promise<boolean>[] {
  return takeList(context, TurnStateKey.readChecks);
}

/**
 * Has the state stage wait for `gate`, started by an earlier stage, together with its read (one round
 * trip): when it answers false the turn goes no further — the state stage throws a `TurnDroppedError`
 * before anything of the turn ran or was saved, which the stage that set the gate catches (the rate
 * limit). Stages in between see the error pass and record nothing of the turn.
 */
export function gateWithStateRead(context: TurnContext, gate: Promise<boolean>): void {
  addToList(context, TurnStateKey.readGates, gate);
}

/** The gates asked for so far, handed to the state stage once. */
export function takeReadGates(context: TurnContext): Promise<boolean>[] {
  return takeList(context, TurnStateKey.readGates);
}

/** Appends `value` to the turn-state list under `key`. */
function addToList<T>(context: TurnContext, key: symbol, value: T): void {
  const list = (context.turnState.get(key) as T[] | undefined) ?? [];
  list.push(value);
  context.turnState.set(key, list);
}

/** The turn-state list under `key`, removed from the turn. */
function takeList<T>(context: TurnContext, key: symbol): T[] {
  const list = (context.turnState.get(key) as T[] | undefined) ?? [];
  context.turnState.delete(key);
  return list;
}

/**
 * For a stage between a gate and the state stage that must write before the read (identity creating
 * the member of a new key): the returned function resolves once the gates set so far let the turn
 * through, and throws a `TurnDroppedError` when one did not, so nothing is written for a dropped turn.
 */
export function untilAllowed(context: TurnContext): () => Promise<void> {
  const gates = [
    ...((context.turnState.get(TurnStateKey.readGates) as Promise<boolean>[] | undefined) ?? []),
  ];
  return async () => {
    if ((await Promise.all(gates)).includes(false)) throw new TurnDroppedError();
  };
}

/**
 * Storage items a stage has the state stage write in the turn's one all-or-nothing save (each under
 * the eTag it was read with). `items` runs when the save is made, again if the turn is run again;
 * `saving` is called as the save is sent (in the same tick, so writes it starts travel with the save:
 * idempotent ones only, as a save that meets a conflict runs the turn, and `saving`, again); `saved`
 * once the save succeeded. Without a state stage on the turn nothing calls them.
 */
export interface SaveWithState {
  items(): Promise<Record<string, unknown>>;
  saving?(): void;
  saved?(): void;
  /**
   * For a turn from the durable inbound queue, or one run in its request under the dedupe stage's claim:
   * what the stage needs to do its side work of the turn again (small JSON), saved with the state in
   * the turn's outbox (storage/turn-outbox.ts, activity-outbox.ts). When the
   * turn is replayed from that outbox (`TurnStateKey.replayed`: a run died after its save), the
   * stage's request on the replay gets it back in `replay` (`undefined` if it kept nothing). Called
   * after every request's `items`.
   */
  outbox?(): unknown;
  replay?(saved: unknown): void;
  /**
   * The save met a conflict and the turn runs again: the stage drops what this run left on the turn
   * for after it (events a dialog recorded), since the run again records it anew.
   */
  retrying?(): void;
}

/**
 * Asks the state stage to write `request`'s items with its save of this turn; a later request under
 * the same `name` (the same stage in a turn run again) replaces the earlier one, `undefined` drops it.
 */
export function saveWithState(context: TurnContext, name: string, request: SaveWithState | undefined): void {
  const requests =
    (context.turnState.get(TurnStateKey.saveWithState) as Map<string, SaveWithState> | undefined) ??
    new Map<string, SaveWithState>();
  if (request) requests.set(name, request);
  else requests.delete(name);
  context.turnState.set(TurnStateKey.saveWithState, requests);
}

/** How a queued turn was delivered: its inbound id and which run this is (1 = first). */
export interface InboundDelivery {
  id: string;
  attempt: number;
  /**
   * When the turn's first run started (ms since the epoch): whatever the conversation got before
   * then came from earlier turns. Absent where a connector does not need it.
   */
  firstRunAt?: number;
  /** What the turn leaves for the queue to write as its entry is removed (transcript, web chat replies). */
  commit?: TurnCommit;
  /**
   * Aborts (its reason a `RelevoError`) when the run must send nothing more: the queue's lock on the
   * conversation is lost (another process may be running the turn again) or the queue is stopping.
   * Sends and waits of the turn honour it (storage/turn-lease.ts).
   */
  signal?: AbortSignal;
}

/**
 * A turn run in its HTTP request under the dedupe stage's claim of its activity id (a Bot Framework
 * invoke, an `expectReplies` message): its answer is the HTTP response, kept with its state save for a
 * retry (storage/activity-outbox.ts).
 */
export interface ClaimedActivity {
  /** The activity's id (unique within its conversation). */
  id: string;
  /** How long after the turn its answer may be given to a retry. */
  answerTtlMs: number;
  /**
   * Set by the state stage on a replay: when the saved answer expires (at or before now: expired, and
   * the replay sent nothing; the dedupe stage refuses the retry).
   */
  replayedUntil?: number;
}

/** The claim of a turn run in its HTTP request, set by the dedupe stage; `undefined` for other turns. */
export function claimedActivity(context: TurnContext): ClaimedActivity | undefined {
  return context.turnState.get(TurnStateKey.claimed) as ClaimedActivity | undefined;
}

/** The commit of a turn run from the durable inbound queue, if any. */
export function turnCommit(context: TurnContext): TurnCommit | undefined {
  return inboundDelivery(context)?.commit;
}

/** The delivery of a turn run from the durable inbound queue, or `undefined` for any other turn. */
export function inboundDelivery(context: TurnContext): InboundDelivery | undefined {
  return context.turnState.get(TurnStateKey.inbound) as InboundDelivery | undefined;
}

/**
 * Whether the turn is the replay of a turn whose state was saved before (see
 * `TurnStateKey.replayed`): the state stage runs no stage after it, and one before it may record the
 * replay (the transcript's `inbound()` stage logs its message and replies).
 */
export function turnReplayed(context: TurnContext): boolean {
  return context.turnState.get(TurnStateKey.replayed) === true;
}

/**
 * Side work that must not be lost (a points award, a transcript write) calls this when it fails,
 * instead of failing the turn itself: a turn from the durable inbound queue then stays queued and runs
 * again (idempotently, with the queue's bounded retries); a turn run in its request under a claim
 * (`claimedActivity`) fails its request (500), unrecorded, so the platform's retry replays it from its
 * save and does the side work again. A lasting failure fails each retry until the saved answer expires
 * (2 minutes; a later retry gets 409 and runs nothing).
 */
export function markTurnIncomplete(context: TurnContext, reason: string): void {
  context.turnState.set(TurnStateKey.incomplete, reason);
}

/** Why the turn is incomplete, if a stage said so. */
export function turnIncompleteReason(context: TurnContext): string | undefined {
  return context.turnState.get(TurnStateKey.incomplete) as string | undefined;
}

/** What every stage may know of the member on this turn (identity owns the full record). */
export interface MemberSnapshot {
  id: string;
  /** Identity keys of the member: `webchat:…`, `email:…`, … */
  identityKeys: string[];
  isAnonymous: boolean;
  /** A forged or unverified sender (e.g. email failing DMARC): no points, flagged for agents. */
  isSuspect?: boolean;
  displayName?: string | undefined;
  language?: string | undefined;
  /** Loyalty tier (`bronze`, `silver`, `gold`, `vip`…): the handoff queue serves higher tiers first. */
  tier?: string | undefined;
  /** Points balance, shown to agents and weighed in the handoff queue's priority. */
  points?: number | undefined;
  /**
   * Set when the member contacted us about one intent 3 times in 7 days (identity's churn rule): the
   * handoff queue serves them sooner and agents see why.
   */
  churnRisk?: { intent: string; since: number } | undefined;
}

export function turnMember(context: TurnContext): MemberSnapshot | undefined {
  return context.turnState.get(TurnStateKey.member) as MemberSnapshot | undefined;
}

/** A turn a gate of the state read closed (see {@link gateWithStateRead}): nothing of it ran. */
export class TurnDroppedError extends RelevoError {
  constructor() {
    super('RELEVO_TURN_DROPPED', 'The turn was dropped before its state was read');
  }
}

/**
 * Whether an activity starts a proactive turn (an agent's reply, a timer's message) rather than
 * carrying something the customer sent. Relevo's adapters name that event `continueConversation`;
 * botbuilder's `CloudAdapter` (the Bot Framework channel) names it `ContinueConversation`.
 */
export function isProactive(activity: { name?: string }): boolean {
  return activity.name === 'continueConversation' || activity.name === 'ContinueConversation';
}
