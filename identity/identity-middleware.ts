import type { Middleware, TurnContext } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  checkWithStateRead,
  claimedActivity,
  inboundDelivery,
  type MemberSnapshot,
  saveWithState,
  TurnDroppedError,
  TurnStateKey,
  turnCommit,
  turnReplayed,
  untilAllowed,
  isProactive,
} from '../core/turn-state.js';
import { RelevoError } from '../core/errors.js';
import { addIntentContact, type ChurnRisk, contactOf, evaluateChurn, qualifyingIntent } from './churn.js';
import { isBlockedValue } from './identity-rules.js';
import type { MemberRecord, VersionedMember } from './member-record.js';
import { toSnapshot } from './member-record.js';
import {
  applyContactProfile,
  type ContactLearnt,
  type MemberContact,
  type Members,
  normalizeKey,
} from './members.js';
import { type ConversationRef, isPendingErase, type PendingErase } from './privacy.js';
import { parseIdentityKey } from '../core/identity-key.js';

const AFTER_TURN = Symbol.for('relevo.identity.afterTurn');

/**
 * Leaves the end of an erase asked for inside the turn ("forget me") to the identity stage, which
 * finishes it once the rest of the turn is over (state saved, transcript logged), or before the turn's
 * error goes on when it fails, and keeps it in a queued turn's outbox, so a replay of the turn (its
 * run died after the save) finishes it too. Answers false when no identity stage on the turn can
 * finish it: the caller runs it now.
 */
export function eraseAfterTurn(context: TurnContext, pending: PendingErase): boolean {
  const queued = context.turnState.get(AFTER_TURN) as PendingErase[] | undefined;
  queued?.push(pending);
  return queued !== undefined;
}

/** Finishes one erase a turn asked for (see {@link IdentityMiddlewareOptions.finishErase}). */
type FinishErase = (
  pending: PendingErase,
  keep: KeptRun,
  turnConversation?: ConversationRef,
) => Promise<void>;

/** The turn whose outbox an erase keeps: a queued turn's inbound id, or a claimed turn's activity id. */
export interface KeptRun {
  outboxOf?: string | undefined;
  activityOutboxOf?: string | undefined;
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
  /**
   * Finishes an erase asked for inside a turn (identity/privacy.ts `finishErase` on the agent's storage
   * and transcripts); `keep` names the turn whose outbox is kept (a queued turn's inbound id, or the
   * activity id of one run in its request under the dedupe stage's claim), and the
   * channel data of `turnConversation`, the turn's own, is left to its commit.
   * Without it the stage takes no erase over ({@link eraseAfterTurn} answers false).
   */
  finishErase?: FinishErase;
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
  private readonly finishErase: FinishErase | undefined;

  constructor(
    private readonly members: Members,
    options: IdentityMiddlewareOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.proveWithStateRead = options.proveWithStateRead ?? false;
    this.finishErase = options.finishErase;
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
      activity.type === 'message' && !isProactive(activity) && activity.conversation?.id
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
    // Erases asked for during the turn, finished once it is over (or has failed).
    const erases: PendingErase[] = [];
    if (this.finishErase) {
      context.turnState.set(AFTER_TURN, erases);
      saveWithState(context, 'identity.erase', {
        items: async () => ({}),
        // The conversation's state keeps it past the erase: whether the sender's key went, not the keys.
        outbox: () =>
          erases.length > 0
            ? erases.map(({ identityKeys, ...pending }) => ({
                ...pending,
                forgetsSender:
                  pending.forgetsSender === true || identityKeys?.includes(normalizeKey(key)) === true,
              }))
            : undefined,
        // A replay of a turn whose run died after its save finishes the erase that run asked for.
        replay: (saved) => {
          if (Array.isArray(saved)) erases.push(...saved.filter(isPendingErase));
        },
      });
    }
    // The contact, language and intent are recorded as the turn's state is saved, in the same round
    // trip (a turn without a state stage records them after it).
    let recording: Promise<void> | undefined;
    // What the first run learnt, on a replay (the NLU does not run again).
    let replayed: ContactLearnt | undefined;
    const record = (recorded: MemberContact): Promise<void> => {
      // Once per turn: a save that meets a conflict runs the turn, and this, again.
      recording ??= this.recordTurn(basis, recorded, replayed ?? this.learntOf(context));
      return recording;
    };
    if (contact) {
      saveWithState(context, 'identity.record', {
        items: async () => ({}),
        saving: () => {
          // A member erased during the turn is not recorded again.
          if (erases.length === 0) void record(contact);
        },
        // A replay records the contact after the turn, with the language and intent its first run found.
        outbox: () => {
          // The conversation's state keeps an erasing turn's outbox past the erase, and nothing is recorded.
          if (erases.length > 0) return undefined;
          const learnt = this.learntOf(context);
          return learnt.language === undefined && learnt.intent === undefined ? undefined : learnt;
        },
        replay: (saved) => {
          const { language, intent } = (saved ?? {}) as { language?: unknown; intent?: unknown };
          replayed = {
            language: typeof language === 'string' ? language : undefined,
            intent: typeof intent === 'string' ? intent : undefined,
          };
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
      if (contact && erases.length === 0 && !(error instanceof TurnDroppedError)) {
        await options.beforeWrite().then(
          () => record(contact),
          () => {}, // dropped after all, or the count failed: nothing is recorded
        );
      }
      // A member erased by a turn that failed afterwards (its reply refused, say) is erased all the
      // same: the customer was told so, and a re-run of the turn may never ask again.
      await this.finishErases(context, erases, basis);
      await recording;
      throw error;
    } finally {
      context.turnState.delete(AFTER_TURN);
    }
    if (erases.length > 0) {
      // The member was erased during the turn: finish the erase, and record nothing more of them.
      await this.finishErases(context, erases, basis);
      await recording;
      return;
    }
    if (contact) await record(contact);
  }

  /**
   * Finishes the erases a turn asked for (idempotent deletes); a failure is logged. A queued turn's
   * outbox is kept (see `finishErase`), and so is a claimed turn's (an invoke, `expectReplies`): its
   * re-delivery or retry (the queue's commit failed, the turn failed or died after its save) replays the
   * turn and finishes the erase again rather than running "yes" afresh.
   */
  private async finishErases(
    context: TurnContext,
    erases: readonly PendingErase[],
    basis: VersionedMember,
  ): Promise<void> {
    if (erases.length === 0) return;
    const memberId = basis.record.id;
    const commit = turnCommit(context);
    const { channelId, conversation } = context.activity;
    // A queued turn's transcript is written by its commit, after the turn: not for an erased conversation.
    // Its commit deletes the channel's data of it too (web chat's log), once the goodbye is shown.
    const own = erases.some((pending) =>
      pending.conversations.some((c) => c.channelId === channelId && c.conversationId === conversation?.id),
    );
    if (own) commit?.dropTranscript();
    const turnConversation =
      own && commit && conversation ? { channelId, conversationId: conversation.id } : undefined;
    const outboxOf = inboundDelivery(context)?.id;
    const keep: KeptRun = { outboxOf, activityOutboxOf: outboxOf ? undefined : claimedActivity(context)?.id };
    for (const pending of erases) {
      try {
        await this.finishErase?.(pending, keep, turnConversation);
      } catch (error) {
        this.logger.warn({ err: error, memberId }, 'could not finish erasing a member after the turn');
      }
    }
    try {
      await this.dropRecreated(context, erases, basis);
    } catch (error) {
      this.logger.warn({ err: error, memberId }, 'could not remove the member a replay re-created');
    }
  }

  /**
   * On a replay of a turn that erased the customer, this stage resolved their key before the state
   * read showed the replay, creating a fresh member for the key the erase released: removed again, so
   * the key stays forgotten. Only a member with nothing of theirs on it (version 1, this one key, no
   * conversation) is removed.
   */
  private async dropRecreated(
    context: TurnContext,
    erases: readonly PendingErase[],
    { record, version }: VersionedMember,
  ): Promise<void> {
    if (!turnReplayed(context)) return;
    const key = normalizeKey(context.activity.from?.id ?? '');
    if (!erases.some((pending) => pending.forgetsSender === true || pending.identityKeys?.includes(key)))
      return;
    if (version !== 1 || record.conversations.length > 0 || record.identityKeys.length !== 1) return;
    await this.members.store.releaseKey(key, record.id);
    await this.members.store.delete(record.id);
  }

  /** The language the NLU found and the intent the churn rule counts, of this turn's message. */
  private learntOf(context: TurnContext): ContactLearnt {
    const nlu = context.turnState.get(TurnStateKey.nlu) as
      | { language?: unknown; topIntent?: unknown; isOutOfScope?: unknown }
      | undefined;
    return {
      language: typeof nlu?.language === 'string' ? nlu.language : undefined,
      intent: qualifyingIntent(nlu, this.members.churnRule),
    };
  }

  /**
   * Records the message's contact on the member with what the turn learnt of them (the language the
   * NLU found, the intent for churn): one compare-and-set on the version the turn saw. Never throws.
   */
  private async recordTurn(
    basis: VersionedMember,
    contact: MemberContact,
    learnt: ContactLearnt,
  ): Promise<void> {
    try {
      await this.members.recordContact(basis.record.id, contact, { hint: basis, learnt });
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
