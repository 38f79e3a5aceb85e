import type { Middleware, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  checkWithStateRead,
  type MemberSnapshot,
  saveWithState,
  TurnDroppedError,
  TurnStateKey,
  untilAllowed,
} from '../core/turn-state.js';
import { RelevoError } from '../core/errors.js';
import { addIntentContact, type ChurnRisk, contactOf, evaluateChurn, qualifyingIntent } from './churn.js';
import { isBlockedValue } from './identity-rules.js';
import type { MemberRecord, VersionedMember } from './member-record.js';
import { toSnapshot } from './member-record.js';
import { applyContactProfile, type MemberContact, type Members } from './members.js';
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
   * process saw moments ago goes on the turn at once, and the read of its version that proves it
   * travels with the state read ({@link checkWithStateRead}); a member that proves to be another has
   * the state read again. Without it, the member is looked up before the turn goes on.
   */
  proveWithStateRead?: boolean;
}

/**
 * Pipeline stage "identity keys → member" (DESIGN.md §1), after dedupe and before the transcript: it
 * resolves `activity.from.id` (the identity key a connector put there) to the member, creating an
 * anonymous one the first time, and leaves a `MemberSnapshot` on `context.turnState` under
 * `TurnStateKey.member`. For each message it records the contact (channel, time, conversation,
 * locale, display name, and a suspect flag when the connector doubted the sender), the language the
 * NLU found and the top intent for the churn rule (identity/churn.ts), in one compare-and-set sent
 * with the turn's state save (after the turn without a state stage, or once a turn failed, so the member
 * lists every conversation whose transcript keeps a message of theirs). Before the state read it writes
 * nothing but a new key's member, and that only once the rate limit let the message through
 * (`untilAllowed`), so a dropped message leaves no trace. Proving and recording are side work: a failure
 * is logged, not fatal.
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
    const contact: MemberContact | undefined =
      activity.type === 'message' && activity.name !== 'continueConversation' && activity.conversation?.id
        ? {
            channel: parsed.channel,
            channelId: activity.channelId,
            conversationId: activity.conversation.id,
            at: this.members.clock.now(),
            language: primaryLanguage(activity.locale),
            displayName: activity.from.name && activity.from.name !== key ? activity.from.name : undefined,
            isSuspect,
          }
        : undefined;
    const putOnTurn = (found: VersionedMember) =>
      context.turnState.set(TurnStateKey.member, this.snapshot(context, found.record, isSuspect, contact));
    // Nothing is written before the rate limit's verdict, which may travel with the state read.
    const options = { beforeWrite: untilAllowed(context) };
    const hint = contact && this.proveWithStateRead ? this.members.hintOf(key) : undefined;
    // The version the contact is recorded against: the hint until it is proven, then what proved.
    let basis: VersionedMember;
    // Set once the member on the turn is proven, when it went on the turn before (a hint).
    let proven: Promise<boolean> | undefined;
    if (hint) {
      basis = hint;
      // Started before anything awaits: the read of the member's version goes out with the state read.
      proven = this.members.prove(key, hint, options).then(
        (found) => {
          basis = found;
          if (found !== hint) putOnTurn(found);
          return found.record.id === hint.record.id;
        },
        (error: unknown) => {
          // A drop, or a key refused, ends the turn; a failed read (the member's master failing over
          // on a cluster) is side work, as recording is: the turn goes on with the member this process
          // saw, and the contact's compare-and-set finds out whether it still owns the key.
          if (error instanceof RelevoError && error.statusCode < 500) throw error;
          this.logger.warn({ err: error, memberId: hint.record.id }, 'could not prove the member of a key');
          return true;
        },
      );
      proven.catch(() => {}); // the state stage awaits it; so does this stage after the turn
      checkWithStateRead(context, proven);
    } else {
      basis = await this.members.resolveVersioned(key, options);
    }
    putOnTurn(basis);
    const afterTurn: (() => Promise<void>)[] = [];
    context.turnState.set(AFTER_TURN, afterTurn);
    // The contact, language and intent are recorded as the turn's state is saved, in the same round
    // trip (a turn without a state stage records them after it).
    let recording: Promise<void> | undefined;
    const record = (recorded: MemberContact): Promise<void> => {
      // Once per turn: a save that meets a conflict runs the turn, and this, again.
      recording ??= this.recordTurn(context, basis, recorded);
      return recording;
    };
    if (contact) {
      saveWithState(context, 'identity.record', {
        items: async () => ({}),
        saving: () => {
          // A member erased during the turn is not recorded again.
          if (afterTurn.length === 0) void record(contact);
        },
      });
    }
    try {
      await next();
      // Normally the state stage awaited it with its read; a turn that never read state waits here.
      await proven;
    } catch (error) {
      await proven?.catch(() => {});
      // A turn that failed once the rate limit let it through (its bot, its save) still records the
      // contact, as when contacts were written before the turn: the member must list the conversation
      // whose transcript keeps the message, or erasing or exporting the member would miss it.
      if (contact && afterTurn.length === 0 && !(error instanceof TurnDroppedError)) {
        await options.beforeWrite().then(
          () => record(contact),
          () => {}, // dropped after all, or the count failed: nothing is recorded
        );
      }
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
            { err: error, memberId: basis.record.id },
            'could not finish erasing a member after the turn',
          );
        }
      }
      await recording;
      return;
    }
    if (contact) await record(contact);
  }

  /**
   * Records the message's contact on the member with what the turn learnt of them (the language the
   * NLU found, the intent for churn): one compare-and-set on the version the turn saw. Never throws.
   */
  private async recordTurn(
    context: TurnContext,
    basis: VersionedMember,
    contact: MemberContact,
  ): Promise<void> {
    const nlu = context.turnState.get(TurnStateKey.nlu) as
      | { language?: unknown; topIntent?: unknown; isOutOfScope?: unknown }
      | undefined;
    const language = typeof nlu?.language === 'string' ? nlu.language : undefined;
    const intent = qualifyingIntent(nlu, this.members.churnRule);
    try {
      await this.members.recordContact(basis.record.id, contact, {
        hint: basis,
        learnt: { language, intent },
      });
    } catch (error) {
      this.logger.warn({ err: error, memberId: basis.record.id }, 'could not record the contact of a member');
    }
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
    contact: MemberContact | undefined,
  ): MemberSnapshot {
    const snapshot = toSnapshot(member, isSuspect);
    // As the contact, recorded with the state save, leaves the member.
    if (contact) applyContactProfile(snapshot, contact);
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
