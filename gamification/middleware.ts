import { ActivityTypes, type Middleware, type TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  markTurnIncomplete,
  type MemberSnapshot,
  saveWithState,
  turnMember,
  turnTime,
} from '../core/turn-state.js';
import type { AwardResult, Gamification, LoyaltyProfile } from './gamification.js';

/** Keys this stage uses on `context.turnState` (Symbol.for, so other folders read them without importing). */
export const LoyaltyTurnKey = {
  /** Outcome events a dialog recorded this turn (`recordLoyaltyEvent`), awarded after the turn. */
  events: Symbol.for('relevo.loyalty.events'),
  /** The member's `LoyaltyProfile` as it was when the turn began: for the handoff packet. */
  profile: Symbol.for('relevo.loyalty.profile'),
  /** `AwardResult[]` of this turn, once awarded: a dialog may congratulate on the next turn. */
  awarded: Symbol.for('relevo.loyalty.awarded'),
} as const;

/** An outcome a dialog wants paid (`csat.answered`, `game.won`); `id` defaults to `<activity id>:<type>`. */
export interface RecordedLoyaltyEvent {
  type: string;
  id?: string;
}

/** Records an outcome of this turn for the loyalty stage to award after the turn. */
export function recordLoyaltyEvent(context: TurnContext, event: RecordedLoyaltyEvent): void {
  const events = (context.turnState.get(LoyaltyTurnKey.events) as RecordedLoyaltyEvent[] | undefined) ?? [];
  events.push(event);
  context.turnState.set(LoyaltyTurnKey.events, events);
}

/** The loyalty profile the stage loaded at the start of the turn, if any. */
export function turnLoyaltyProfile(context: TurnContext): LoyaltyProfile | undefined {
  return context.turnState.get(LoyaltyTurnKey.profile) as LoyaltyProfile | undefined;
}

export interface GamificationMiddlewareOptions {
  logger?: Logger;
  /**
   * Load the profile before the turn for later stages (one balance read per turn). Default true;
   * false when the composition calls {@link GamificationMiddleware.preload} itself.
   */
  loadProfile?: boolean;
}

/**
 * The loyalty stage: runs after the identity stage (it needs `TurnStateKey.member`). Before the turn
 * it loads the member's profile; after the turn it awards `message.received` for an inbound message
 * and every outcome recorded with `recordLoyaltyEvent`, each once per event id. Loyalty is side work:
 * a failure is logged and marks the turn incomplete (`markTurnIncomplete`) rather than failing it, so
 * that a queued turn runs again and a claimed one (an invoke) fails its request once for the
 * platform's retry to replay it and pay. Suspect members earn nothing.
 */
export class GamificationMiddleware implements Middleware {
  private readonly logger: Logger;
  private readonly loadProfile: boolean;

  constructor(
    private readonly gamification: Gamification,
    options: GamificationMiddlewareOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.loadProfile = options.loadProfile ?? true;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const member = turnMember(context);
    if (this.loadProfile) await this.preload(context);
    // Awarding starts as the turn's state is saved, in the same round trip (awards are idempotent by
    // event id, so a save that meets a conflict and runs the turn again pays nothing twice); a turn
    // without a state stage awards after it.
    let awarding: Promise<AwardResult[]> | undefined;
    saveWithState(context, 'loyalty.award', {
      items: async () => ({}),
      saving: () => {
        awarding = this.awardTurn(context, member);
      },
      // A queued turn replayed after a run died past its save (its dialogs do not run again) awards
      // what they recorded, after the replay as a turn without a save does; awards pay once per id.
      outbox: () => context.turnState.get(LoyaltyTurnKey.events),
      replay: (events) => {
        context.turnState.set(LoyaltyTurnKey.events, Array.isArray(events) ? events : []);
      },
      // The dialogs of the run again record their events anew. This run's awards were already started
      // with its save (`saving`), so an event only this conflicting run recorded is still paid.
      retrying: () => {
        context.turnState.delete(LoyaltyTurnKey.events);
      },
    });
    try {
      await next();
    } catch (error) {
      await awarding;
      throw error;
    }
    context.turnState.set(LoyaltyTurnKey.awarded, await (awarding ?? this.awardTurn(context, member)));
  }

  /** Awards the turn's events (its message and what dialogs recorded); failures are logged. */
  private async awardTurn(context: TurnContext, member: MemberSnapshot | undefined): Promise<AwardResult[]> {
    const activity = context.activity;
    // The turn may have changed who the customer is (linking merged them into another member).
    const current = turnMember(context) ?? member;
    if (current === undefined || !activity.id) return [];
    const events: RecordedLoyaltyEvent[] = [
      ...(activity.type === ActivityTypes.Message ? [{ type: 'message.received', id: activity.id }] : []),
      ...((context.turnState.get(LoyaltyTurnKey.events) as RecordedLoyaltyEvent[] | undefined) ?? []),
    ];
    const awarded: AwardResult[] = [];
    const at = turnTime(context);
    for (const event of events) {
      try {
        awarded.push(
          await this.gamification.award({
            id: event.id ?? `${activity.id}:${event.type}`,
            type: event.type,
            memberId: current.id,
            // The turn's own time: a run of it again after midnight is still the same day's contact.
            ...(at === undefined ? {} : { at }),
            timeZone: activity.localTimezone,
            isSuspect: current.isSuspect,
          }),
        );
      } catch (error) {
        this.logger.warn({ err: error, memberId: current.id, type: event.type }, 'loyalty award failed');
        // Awards are idempotent by event id: a queued turn runs again rather than lose the points.
        markTurnIncomplete(context, 'loyalty');
      }
    }
    return awarded;
  }

  /**
   * Loads the turn member's profile onto the turn (`turnLoyaltyProfile`); a failure is logged. With
   * `loadProfile: false` the composition calls this itself, e.g. alongside the state read.
   */
  async preload(context: TurnContext): Promise<void> {
    const member = turnMember(context);
    if (member === undefined) return;
    try {
      const profile = await this.gamification.profile(member.id, context.activity.localTimezone);
      context.turnState.set(LoyaltyTurnKey.profile, profile);
    } catch (error) {
      this.logger.warn({ err: error, memberId: member.id }, 'loyalty profile unavailable');
    }
  }
}
