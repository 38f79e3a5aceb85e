import type { Middleware, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { checkWithStateRead, type MemberSnapshot, saveWithState, TurnStateKey } from '../core/turn-state.js';
import { addIntentContact, type ChurnRisk, contactOf, evaluateChurn, qualifyingIntent } from './churn.js';
import { isBlockedValue } from './identity-rules.js';
import type { MemberRecord } from './member-record.js';
import { toSnapshot } from './member-record.js';
import type { Members } from './members.js';
import { parseIdentityKey } from '../core/identity-key.js';

const AFTER_TURN = Symbol.for('relevo.identity.afterTurn');

/**
 * Queues work for the identity stage to run once the rest of the turn is over (state saved, transcript
 * logged): an erase asked for inside the turn. Without the identity stage on the turn, it runs now.
 */
export async function runAfterTurn(context: TurnContext, work: () => Promise<void>): Promise<void> {
  const queued = context.turnState.get(AFTER_TURN) as (() => Promise<void>)[] | undefined;
  if (queued) queued.push(work);
  else await work();
}

export interface IdentityMiddlewareOptions {
  logger?: Logger;
  /**
   * A state stage reads the turn's state after this one (storage/state-middleware.ts): a member this
   * process saw moments ago goes on the turn at once, and the compare-and-set recording the contact,
   * which proves it, travels with the state read ({@link checkWithStateRead}); a member that proves
   * to be another has the state read again. Without it, the turn waits for the proof here.
   */
  proveWithStateRead?: boolean;
}

/**
 * Pipeline stage "identity keys → member" (DESIGN.md §1), after dedupe and before the transcript: it
 * resolves `activity.from.id` (the identity key a connector put there) to the member, creating an
 * anonymous one the first time, and leaves a `MemberSnapshot` on `context.turnState` under
 * `TurnStateKey.member`. For each message it records the contact (channel, time, conversation,
 * locale, display name, and a suspect flag when the connector doubted the sender); once the turn ran,
 * a language the NLU found is recorded too, and the top intent for the churn rule (identity/churn.ts). Recording is side work: a failure is logged, not fatal.
 */
export class IdentityMiddleware implements Middleware {
  private readonly logger: Logger;
  private readonly proveWithStateRead: boolean;

  constructor(
    private readonly members: Members,
    options: IdentityMiddlewareOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.proveWithStateRead = options.proveWithStateRead ?? false;
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const activity = context.activity;
    const key = activity.from?.id ?? '';
    const parsed = parseIdentityKey(key);
    if (!parsed || isBlockedValue(parsed.id, this.members.rules) || activity.from?.role === 'bot') {
      this.logger.debug({ channelId: activity.channelId }, 'turn without a usable identity key; no member');
      await next();
      return;
    }
    const isSuspect = isFlaggedSender(activity.channelData);
    const isContact = activity.type === 'message' && activity.name !== 'continueConversation';
    let member: MemberRecord;
    let contact: { channelId: string; conversationId: string; at: number } | undefined;
    // Set once the member on the turn is proven, when it went on the turn before (a hint).
    let proven: Promise<boolean> | undefined;
    if (isContact && activity.conversation?.id) {
      const hinted = this.proveWithStateRead ? this.members.hinted(key) : undefined;
      // Started before anything awaits: with a hint, the contact's compare-and-set goes out with the state read.
      const resolving = this.members
        .resolveWithContact(key, {
          channel: parsed.channel,
          channelId: activity.channelId,
          conversationId: activity.conversation.id,
          at: this.members.clock.now(),
          language: primaryLanguage(activity.locale),
          displayName: activity.from.name && activity.from.name !== key ? activity.from.name : undefined,
          isSuspect,
        })
        .then((recorded) => {
          if (recorded.error !== undefined)
            this.logger.warn(
              { err: recorded.error, memberId: recorded.member.id },
              'could not record the contact of a member',
            );
          return recorded.member;
        });
      contact = {
        channelId: activity.channelId,
        conversationId: activity.conversation.id,
        at: this.members.clock.now(),
      };
      if (hinted) {
        member = hinted;
        proven = resolving.then((recorded) => {
          member = recorded;
          context.turnState.set(TurnStateKey.member, this.snapshot(context, recorded, isSuspect, contact));
          return recorded.id === hinted.id;
        });
        proven.catch(() => {}); // the state stage awaits it; so does this stage after the turn
        checkWithStateRead(context, proven);
      } else {
        member = await resolving;
      }
    } else {
      member = await this.members.resolve(key);
    }
    context.turnState.set(TurnStateKey.member, this.snapshot(context, member, isSuspect, contact));
    const afterTurn: (() => Promise<void>)[] = [];
    context.turnState.set(AFTER_TURN, afterTurn);
    // The language and intent are recorded as the turn's state is saved, in the same round trip (a
    // turn without a state stage records them after it).
    let recording: Promise<void> | undefined;
    if (isContact) {
      saveWithState(context, 'identity.record', {
        items: async () => ({}),
        saving: () => {
          // Once per turn: a save that meets a conflict runs the turn, and this, again.
          if (afterTurn.length > 0 || recording) return;
          recording = this.recordTurn(context, member, contact);
          recording.catch(() => {}); // awaited after the turn; it may fail while the turn still runs
        },
      });
    }
    try {
      await next();
      // Normally the state stage awaited it with its read; a turn that never read state waits here.
      await proven;
    } catch (error) {
      await proven?.catch(() => {});
      await recording;
      throw error;
    } finally {
      context.turnState.delete(AFTER_TURN);
    }
    if (afterTurn.length > 0) {
      // The member was erased during the turn: finish the erase, and record nothing more of them.
      for (const work of afterTurn) {
        try {
          await work();
        } catch (error) {
          this.logger.warn(
            { err: error, memberId: member.id },
            'could not finish erasing a member after the turn',
          );
        }
      }
      await recording;
      return;
    }
    await (recording ?? (isContact ? this.recordTurn(context, member, contact) : undefined));
  }

  /** Records what the turn learnt of the member: the language the NLU found, the intent for churn. */
  private async recordTurn(
    context: TurnContext,
    member: MemberRecord,
    contact: { channelId: string; conversationId: string; at: number } | undefined,
  ): Promise<void> {
    const nlu = context.turnState.get(TurnStateKey.nlu) as
      | { language?: unknown; topIntent?: unknown; isOutOfScope?: unknown }
      | undefined;
    const detected = nlu?.language;
    if (typeof detected === 'string' && detected !== member.profile.language) {
      await this.saveLanguage(member.id, detected);
    }
    const intent = contact && qualifyingIntent(nlu, this.members.churnRule);
    if (contact && intent) await this.saveIntent(member.id, { ...contact, intent });
  }

  /**
   * The member snapshot of this turn. Its `churnRisk` is read when a later stage asks: the NLU runs
   * after this stage and the handoff policy reads the member after the NLU, so the turn that makes
   * the third contact about an intent already counts (an angry third contact is handed off with the
   * churn bonus), while the record itself is updated after the turn.
   */
  private snapshot(
    context: TurnContext,
    member: MemberRecord,
    isSuspect: boolean,
    contact: { channelId: string; conversationId: string; at: number } | undefined,
  ): MemberSnapshot {
    const snapshot = toSnapshot(member, isSuspect);
    const rule = this.members.churnRule;
    const churnNow = (): ChurnRisk | undefined => {
      const now = this.members.clock.now();
      const intent = contact && qualifyingIntent(context.turnState.get(TurnStateKey.nlu), rule);
      const contacts =
        contact && intent
          ? addIntentContact(
              member.intentContacts,
              {
                contact: contactOf(contact.channelId, contact.conversationId, contact.at),
                at: contact.at,
                intent,
              },
              now,
              rule,
            )
          : member.intentContacts;
      return evaluateChurn(contacts, now, member.churnRisk, rule);
    };
    let assigned: { value: ChurnRisk | undefined } | undefined;
    Object.defineProperty(snapshot, 'churnRisk', {
      enumerable: true,
      configurable: true,
      get: () => (assigned ? assigned.value : churnNow()),
      set: (value: ChurnRisk | undefined) => {
        assigned = { value };
      },
    });
    return snapshot;
  }

  private async saveIntent(memberId: string, entry: Parameters<Members['recordIntent']>[1]): Promise<void> {
    try {
      await this.members.recordIntent(memberId, entry);
    } catch (error) {
      this.logger.warn({ err: error, memberId }, 'could not record the intent of a contact');
    }
  }

  private async saveLanguage(memberId: string, language: string): Promise<void> {
    try {
      await this.members.update(memberId, (record) =>
        record.profile.language === language
          ? undefined
          : { ...record, profile: { ...record.profile, language } },
      );
    } catch (error) {
      this.logger.warn({ err: error, memberId }, 'could not record the language of a member');
    }
  }
}

/**
 * True when the connector doubted the sender: the email connector sets `hasFailedAuthentication` when
 * the receiving server's Authentication-Results failed (connectors/email/inbound.ts).
 */
export function isFlaggedSender(channelData: unknown): boolean {
  return (
    typeof channelData === 'object' &&
    channelData !== null &&
    (channelData as { hasFailedAuthentication?: unknown }).hasFailedAuthentication === true
  );
}

/** `es-ES` → `es`: the profile keeps the language, not the region. */
function primaryLanguage(locale: string | undefined): string | undefined {
  const language = locale?.split(/[-_]/)[0]?.toLowerCase();
  return language && /^[a-z]{2,3}$/.test(language) ? language : undefined;
}
