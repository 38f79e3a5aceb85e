import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  type MemberSnapshot,
  saveWithState,
  setTurnTime,
  TurnDroppedError,
  TurnStateKey,
  turnTime,
} from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import type { AnalyticsService } from './analytics.js';
import { DIALOG_ANSWER_INTENT, type OutcomeInput } from './events.js';
import type { TurnOutcome } from './metrics.js';
import type { SessionTouch } from './sessions.js';

/** Keys this stage uses on `context.turnState` (Symbol.for: other folders use them without importing). */
export const AnalyticsTurnKey = {
  /** Outcomes recorded this turn with {@link recordOutcome}, stored after the turn. */
  outcomes: Symbol.for('relevo.analytics.outcomes'),
} as const;

/** Where gamification leaves `AwardResult[]` of the turn (gamification/middleware.ts). */
const LOYALTY_AWARDED = Symbol.for('relevo.loyalty.awarded');

/** The fields of gamification's `AwardResult` this stage reads (structural: no import of gamification). */
interface AwardSeen {
  eventId: string;
  credits: { ruleId: string; points: number }[];
}

/**
 * What this stage reads of a turn once the rest of it ran: the NLU's verdict, who answered, what the
 * dialogs recorded. Small JSON: a queued turn's outbox keeps it, so a replay (the NLU and dialogs do
 * not run again) records the same events.
 */
interface TurnSeen {
  nlu?: { intent: string; confidence: number; language: string; isOutOfScope?: true; sentiment?: number };
  isHuman?: true;
  dialogFailed?: true;
  understood?: true;
  outcomes?: OutcomeInput[];
}

/** What the other stages left on the turn, as {@link TurnSeen}. */
function seenOn(context: TurnContext): TurnSeen {
  const nlu = context.turnState.get(TurnStateKey.nlu) as NluResult | undefined;
  const outcomes = context.turnState.get(AnalyticsTurnKey.outcomes) as OutcomeInput[] | undefined;
  const sentiment = nlu?.sentiment?.score;
  return {
    ...(nlu
      ? {
          nlu: {
            intent: nlu.topIntent,
            confidence: nlu.intents[nlu.topIntent]?.score ?? 0,
            language: nlu.language,
            ...(nlu.isOutOfScope ? { isOutOfScope: true as const } : {}),
            ...(sentiment !== undefined && Number.isFinite(sentiment) ? { sentiment } : {}),
          },
        }
      : {}),
    ...(context.turnState.get(TurnStateKey.humanInControl) === true ? { isHuman: true as const } : {}),
    ...(context.turnState.get(TurnStateKey.dialogFailed) === true ? { dialogFailed: true as const } : {}),
    ...(context.turnState.get(TurnStateKey.understood) === true ? { understood: true as const } : {}),
    ...(outcomes && outcomes.length > 0 ? { outcomes } : {}),
  };
}

/** An outcome a dialog or stage records on the turn; the stage adds id, time, session, channel, member. */
export type TurnOutcomeInput = OutcomeInput;

/**
 * Records an outcome of this turn (a CSAT answer, a task the bot resolved, a redemption) for the
 * analytics stage to store after the turn, with the turn's session, channel, language and hashed
 * member. Dialogs call this instead of importing the store. Without the stage in the pipeline it does
 * nothing.
 */
export function recordOutcome(context: TurnContext, outcome: TurnOutcomeInput): void {
  const outcomes = (context.turnState.get(AnalyticsTurnKey.outcomes) as TurnOutcomeInput[] | undefined) ?? [];
  outcomes.push(outcome);
  context.turnState.set(AnalyticsTurnKey.outcomes, outcomes);
}

export interface AnalyticsMiddlewareOptions {
  logger?: Logger;
  /** A top intent scoring below this counts as not understood, as the dialogs treat it. Default 0.3. */
  notUnderstoodBelow?: number;
}

/**
 * The analytics stage: wraps the rest of the turn (place it right after dedupe and the conversation
 * lock) to measure its latency, and after the turn records what it saw: the conversation's session
 * (`conversation.started`, and `conversation.ended` for a session that went idle), the NLU result
 * (`intent.recognized` / `intent.not_understood` with confidence and sentiment), points the loyalty
 * stage awarded, and every outcome recorded with {@link recordOutcome}. Failures are logged; they
 * never fail the turn, and an error of the turn itself passes through untouched.
 */
export class AnalyticsMiddleware implements Middleware {
  private readonly logger: Logger;
  private readonly notUnderstoodBelow: number;

  constructor(
    private readonly analytics: AnalyticsService,
    options: AnalyticsMiddlewareOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.notUnderstoodBelow = options.notUnderstoodBelow ?? 0.3;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const clock = this.analytics.clock;
    const startedAt = clock.now();
    // The session is written with the turn's state (one save); a turn that saved none touches it after.
    const session: { touch?: SessionTouch; saved?: boolean } = {};
    // What the first run saw, on a replay.
    let replayed: TurnSeen | undefined;
    const { activity } = context;
    if (activity.type === ActivityTypes.Message && activity.conversation?.id) {
      const channel = activity.channelId || 'unknown';
      saveWithState(context, 'analytics.session', {
        items: async () => {
          const prepared = await this.analytics.sessions.prepare(
            channel,
            activity.conversation.id,
            startedAt,
            clock.now(),
            activity.id,
          );
          session.touch = prepared.touch;
          // Later stages date by it too (loyalty's award starts as the save is sent).
          setTurnTime(context, prepared.touch.at);
          return prepared.changes;
        },
        // Earlier turns' queued outcomes travel with this save instead of in a burst of their own.
        saving: () => void this.analytics.flush(),
        saved: () => {
          session.saved = true;
        },
        // A replay of the turn (a run died or failed after this save) builds no save and runs no NLU or
        // dialog: the turn's time (for the loyalty stage's award after the replay too) and what the
        // stage saw of the turn come back from the outbox.
        outbox: () => ({ at: turnTime(context), seen: seenOn(context) }),
        replay: (saved) => {
          const kept = (saved ?? {}) as { at?: unknown; seen?: unknown };
          if (typeof kept.at === 'number') setTurnTime(context, kept.at);
          if (typeof kept.seen === 'object' && kept.seen !== null) replayed = kept.seen as TurnSeen;
        },
        // The dialogs of the run again record their outcomes anew: kept, this run's would count twice
        // (their ids number them in the order recorded).
        retrying: () => {
          context.turnState.delete(AnalyticsTurnKey.outcomes);
        },
      });
    }
    let failed = false;
    // A turn dropped before it ran (over the rate limit) is no turn of the conversation's.
    let dropped = false;
    try {
      await next();
    } catch (error) {
      dropped = error instanceof TurnDroppedError;
      failed = !dropped;
      throw error;
    } finally {
      const endedAt = clock.now();
      try {
        if (!dropped) {
          await this.afterTurn(
            context,
            replayed ?? seenOn(context),
            { startedAt, endedAt, failed },
            session.saved ? session.touch : undefined,
          );
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'analytics of the turn failed');
      }
    }
  }

  private async afterTurn(
    context: TurnContext,
    seen: TurnSeen,
    { startedAt, endedAt, failed }: { startedAt: number; endedAt: number; failed: boolean },
    saved: SessionTouch | undefined,
  ) {
    const activity = context.activity;
    if (activity.type !== ActivityTypes.Message || !activity.conversation?.id) return;
    const channel = activity.channelId || 'unknown';
    const { nlu } = seen;
    const member = context.turnState.get(TurnStateKey.member) as MemberSnapshot | undefined;
    const isHuman = seen.isHuman === true;
    const dialogFailed = seen.dialogFailed === true;
    const confidence = nlu?.confidence;
    const nluMissed =
      nlu !== undefined &&
      (nlu.isOutOfScope === true || nlu.intent === 'None' || (confidence ?? 0) < this.notUnderstoodBelow);
    // A prompt's answer is understood whatever the intent scores say (as the handoff policy counts it).
    const answered = seen.understood === true;
    const notUnderstood = nluMissed && !answered;
    const outcome: TurnOutcome = failed
      ? 'failed'
      : isHuman
        ? 'human'
        : nlu === undefined
          ? 'no_nlu'
          : notUnderstood
            ? 'not_understood'
            : 'recognized';
    const metrics = this.analytics.metrics;
    metrics.observeTurn(channel, outcome, (endedAt - startedAt) / 1000);
    const language = nlu?.language ?? member?.language ?? activity.locale?.split('-')[0]?.toLowerCase();
    if (nlu && confidence !== undefined) metrics.observeConfidence(nlu.language, confidence);

    const touch =
      saved ??
      (await this.analytics.sessions.touch(
        channel,
        activity.conversation.id,
        startedAt,
        endedAt,
        activity.id,
      ));
    // Dated when the turn began — its first run, for a turn run again — so a re-run past midnight files
    // its events under the same UTC day, where their ids make them count once. A replay's time comes
    // from the outbox: it builds no save, and its own session touch is taken at the replay's clock.
    const at = turnTime(context) ?? touch.at;
    const common = {
      conversation: touch.session.id,
      channel,
      ...(language && /^[a-z]{2,3}$/.test(language) ? { language } : {}),
      ...(member ? { member: this.analytics.hashMember(member.id) } : {}),
      ...(member?.tier ? { tier: member.tier } : {}),
    };
    const turnKey = activity.id ?? `${startedAt}`;
    const idOf = (...parts: string[]) =>
      this.analytics.eventId(channel, activity.conversation.id, turnKey, ...parts);
    const inputs: OutcomeInput[] = [];
    if (touch.ended) {
      inputs.push({
        id: this.analytics.eventId('ended', touch.ended.id),
        at: touch.ended.lastAt,
        type: 'conversation.ended',
        conversation: touch.ended.id,
        channel,
        durationMs: touch.ended.lastAt - touch.ended.startedAt,
      });
    }
    if (touch.isNew) {
      inputs.push({
        ...common,
        id: this.analytics.eventId('started', touch.session.id),
        at,
        type: 'conversation.started',
      });
    }
    if (nlu && !isHuman) {
      const sentiment = nlu.sentiment === undefined ? {} : { sentiment: nlu.sentiment };
      inputs.push(
        notUnderstood
          ? {
              ...common,
              id: idOf('nlu'),
              at,
              type: 'intent.not_understood',
              confidence: confidence ?? 0,
              ...sentiment,
            }
          : {
              ...common,
              id: idOf('nlu'),
              at,
              type: 'intent.recognized',
              intent: nluMissed ? DIALOG_ANSWER_INTENT : nlu.intent,
              confidence: confidence ?? 0,
              ...sentiment,
            },
      );
    }
    if (dialogFailed && nlu === undefined && !isHuman) {
      // A dialog gave up without an NLU result to blame: still a turn the bot did not understand.
      inputs.push({
        ...common,
        id: idOf('nlu'),
        at,
        type: 'intent.not_understood',
        confidence: 0,
      });
    }
    const awarded = (context.turnState.get(LOYALTY_AWARDED) as AwardSeen[] | undefined) ?? [];
    for (const award of awarded) {
      award.credits.forEach((credit, i) => {
        if (credit.points <= 0) return;
        inputs.push({
          ...common,
          id: this.analytics.eventId('award', award.eventId, credit.ruleId, String(i)),
          at,
          type: 'points.credited',
          points: credit.points,
          reason: credit.ruleId,
        });
      });
    }
    (seen.outcomes ?? []).forEach((input, i) => {
      inputs.push({
        ...common,
        ...input,
        id: input.id ?? idOf('outcome', input.type, String(i)),
        at: input.at ?? at,
      } as OutcomeInput);
    });
    // Written off the turn's path, batched with other turns' outcomes.
    for (const input of inputs) this.analytics.recordLater(input);
  }
}
