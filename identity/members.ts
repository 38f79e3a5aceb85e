import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import {
  addIntentContact,
  type ChurnRuleOptions,
  contactOf,
  defaultChurnRule,
  evaluateChurn,
} from './churn.js';
import { IdentityErrorCode, identityError } from './errors.js';
import { IdentityEvents } from './identity-events.js';
import {
  checkIdentityKey,
  checkKeyLimits,
  defaultIdentityRules,
  type IdentityRules,
} from './identity-rules.js';
import {
  MAX_CONVERSATIONS,
  type MemberRecord,
  newMemberRecord,
  type VersionedMember,
} from './member-record.js';
import { MemberHints } from './member-hints.js';
import type { MemberStore } from './member-store.js';
import { cloneData } from '../core/clone.js';

/** One inbound message of a member, as the identity middleware records it. */
export interface MemberContact {
  /** Identity channel of the key (`webchat`, `email`, …). */
  channel: string;
  /** Bot Framework `channelId` and conversation id, to find the transcript again. */
  channelId: string;
  conversationId: string;
  at: number;
  language?: string | undefined;
  displayName?: string | undefined;
  /** The connector flagged the sender as possibly forged. */
  isSuspect?: boolean;
}

export interface MembersOptions {
  store: MemberStore;
  clock?: Clock;
  /** Id of a new member; random UUIDs by default. */
  newId?: () => string;
  rules?: Partial<IdentityRules>;
  logger?: Logger;
  events?: IdentityEvents;
  /** The churn rule (3 contacts in 7 days about one intent); partial values override the defaults. */
  churnRule?: Partial<ChurnRuleOptions>;
}

export interface UpdateOptions {
  /** The record as this process last saw it: written against without reading it first. */
  hint?: VersionedMember | undefined;
}

export interface ResolveOptions {
  /**
   * Awaited before anything is written (a new member created, a dangling key freed): the turn path
   * waits there for the rate limit's verdict, which throws for a dropped message.
   */
  beforeWrite?: () => Promise<void>;
}

/** What a turn learnt of the member besides the contact, recorded with it. */
export interface ContactLearnt {
  /** The language the NLU found in the message. */
  language?: string | undefined;
  /** The message's qualifying intent for the churn rule (identity/churn.ts). */
  intent?: string | undefined;
}

/** How often a conditional write is retried against concurrent writers before giving up. */
const MAX_ATTEMPTS = 20;

/**
 * The members of the agent: who owns which identity key, and what each member did on which channel.
 * A key belongs to at most one member; an unknown key gets an anonymous member lazily, race-safe
 * (two first turns of one key at once create one member). Every change is a compare-and-set on the
 * record, retried on a conflict, so turns of one member on several channels at once lose nothing.
 */
export class Members {
  readonly store: MemberStore;
  readonly clock: Clock;
  readonly rules: IdentityRules;
  readonly events: IdentityEvents;
  readonly logger: Logger;
  readonly churnRule: ChurnRuleOptions;
  private readonly newId: () => string;
  /** Recent keys and records of this process, for the turn path only (validated by every write). */
  private readonly hints: MemberHints;

  constructor(options: MembersOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? randomUUID;
    this.rules = { ...defaultIdentityRules, ...options.rules };
    this.logger = options.logger ?? silentLogger;
    this.events = options.events ?? new IdentityEvents(this.logger);
    this.churnRule = { ...defaultChurnRule, ...options.churnRule };
    this.hints = new MemberHints(() => this.clock.now());
  }

  /** The member owning `key`, created (anonymous) when nobody does. Blocked or malformed keys throw 400. */
  async resolve(key: string): Promise<MemberRecord> {
    return (await this.resolveVersioned(key)).record;
  }

  /**
   * The member this process saw own `key` in the last minutes, with the version it saw, unproven:
   * {@link prove} proves it (or answers the right member) with one read.
   */
  hintOf(key: string): VersionedMember | undefined {
    const owner = this.hints.owner(normalizeKey(key));
    const hinted = owner === undefined ? undefined : this.hints.record(owner);
    return hinted?.record.mergedInto === undefined ? hinted : undefined;
  }

  /**
   * Proves a hint of {@link hintOf} without writing: one read of the record's version. A record still at
   * the hinted version still owns the key and was not merged or erased; one changed since is read, and
   * kept if it still owns the key; otherwise the key is resolved afresh ({@link resolveVersioned}).
   */
  async prove(key: string, hint: VersionedMember, options: ResolveOptions = {}): Promise<VersionedMember> {
    const normalized = normalizeKey(key);
    const version = await this.store.version(hint.record.id);
    if (version === hint.version && hint.record.identityKeys.includes(normalized)) return hint;
    const found = await this.read(hint.record.id);
    if (found && found.record.mergedInto === undefined && found.record.identityKeys.includes(normalized))
      return found;
    this.hints.forget(normalized, hint.record.id);
    return this.resolveVersioned(key, options);
  }

  /**
   * The member owning `key` with its version, created (anonymous) when nobody does; the turn path,
   * which records the contact later against that version ({@link recordContact}). Blocked or
   * malformed keys throw 400.
   */
  async resolveVersioned(key: string, options: ResolveOptions = {}): Promise<VersionedMember> {
    const normalized = normalizeKey(key);
    checkIdentityKey(normalized, this.rules);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const owner = await this.store.ownerOf(normalized);
      if (owner !== undefined) {
        const found = await this.read(owner);
        // Inside a merge, between the tombstone and the key move: answer the survivor already.
        if (found?.record.mergedInto !== undefined)
          return (await this.read(found.record.mergedInto)) ?? found;
        if (found) {
          this.hints.rememberOwner(normalized, owner);
          return found;
        }
        // The index names a member that is gone (an erase racing this turn): free the key and retry.
        await options.beforeWrite?.();
        await this.store.releaseKey(normalized, owner);
        continue;
      }
      // Write the record first, then claim the key: a reader of the index always finds a record,
      // and the loser of a race deletes its unused record.
      await options.beforeWrite?.();
      const record = newMemberRecord(this.newId(), [normalized], this.clock.now());
      await this.store.create(record);
      const winner = await this.store.claimKey(normalized, record.id);
      if (winner === record.id) {
        this.hints.rememberOwner(normalized, record.id);
        return { record, version: 1 };
      }
      await this.store.delete(record.id);
    }
    throw identityError(IdentityErrorCode.conflict, 'Could not resolve the identity key; try again', 503);
  }

  /** The stored record with its version, remembered as a hint for this process's turns. */
  private async read(id: string): Promise<VersionedMember | undefined> {
    const found = await this.store.get(id);
    if (found) this.hints.remember(found);
    return found;
  }

  /** The member with this id (a merged member's record too, with `mergedInto` set). */
  async get(id: string): Promise<MemberRecord | undefined> {
    return (await this.store.get(id))?.record;
  }

  /** Like {@link get}, but a missing member is a 404. */
  async require(id: string): Promise<MemberRecord> {
    const found = await this.get(id);
    if (!found) throw identityError(IdentityErrorCode.memberNotFound, `No member "${id}"`, 404);
    return found;
  }

  /** The member owning `key`, without creating one. */
  async findByKey(key: string): Promise<MemberRecord | undefined> {
    const owner = await this.store.ownerOf(normalizeKey(key));
    return owner === undefined ? undefined : this.get(owner);
  }

  /**
   * Applies `change` to the member's current record and saves it with the version it was read at,
   * retrying on a conflict. `change` must be pure: it may run more than once.
   */
  async update(
    id: string,
    change: (record: MemberRecord) => MemberRecord | undefined,
    options: UpdateOptions = {},
  ): Promise<MemberRecord> {
    let hint = options.hint?.record.id === id ? options.hint : undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // A hint saves the read; if it is stale the compare-and-set fails and the record is read.
      const current: VersionedMember | undefined = hint ?? (await this.read(id));
      const isHint = hint !== undefined;
      hint = undefined;
      if (!current) throw identityError(IdentityErrorCode.memberNotFound, `No member "${id}"`, 404);
      const next = change(cloneData(current.record));
      if (next === undefined) {
        if (isHint) continue;
        return current.record;
      }
      if (await this.store.replace(next, current.version)) {
        this.hints.remember({ record: next, version: current.version + 1 });
        return next;
      }
    }
    throw identityError(IdentityErrorCode.conflict, `Member "${id}" is changing too often; try again`, 503);
  }

  /**
   * Records one inbound message: contact count per channel, last channel and time, language, name,
   * the conversation, and a suspect flag; with `learnt`, the language the NLU found and the message's
   * qualifying intent (re-evaluating the churn rule), in the same compare-and-set. A member merged
   * meanwhile is followed to its survivor.
   */
  async recordContact(
    id: string,
    contact: MemberContact,
    options: UpdateOptions & { learnt?: ContactLearnt } = {},
  ): Promise<MemberRecord> {
    const { language, intent } = options.learnt ?? {};
    const now = this.clock.now();
    let target = id;
    for (let hops = 0; hops < 5; hops++) {
      let mergedInto: string | undefined;
      const saved = await this.update(
        target,
        (record) => {
          mergedInto = record.mergedInto;
          if (mergedInto !== undefined) return undefined;
          const next = applyContact(record, contact);
          if (language !== undefined) next.profile.language = language;
          if (intent === undefined) return next;
          next.intentContacts = addIntentContact(
            next.intentContacts,
            {
              contact: contactOf(contact.channelId, contact.conversationId, contact.at),
              at: contact.at,
              intent,
            },
            now,
            this.churnRule,
          );
          next.churnRisk = evaluateChurn(next.intentContacts, now, next.churnRisk, this.churnRule);
          return next;
        },
        hops === 0 ? options : {},
      );
      if (mergedInto === undefined) return saved;
      target = mergedInto;
    }
    return this.require(target);
  }

  /** Gives `key` to the member; 409 when another member owns it or a key limit would be passed. */
  async addKey(id: string, key: string): Promise<MemberRecord> {
    const normalized = normalizeKey(key);
    checkIdentityKey(normalized, this.rules);
    const member = await this.require(id);
    if (member.identityKeys.includes(normalized)) return member;
    checkKeyLimits([...member.identityKeys, normalized], this.rules);
    const owner = await this.store.claimKey(normalized, id);
    if (owner !== id) {
      throw identityError(
        IdentityErrorCode.mergeNotAllowed,
        'Another member owns that key; merge instead',
        409,
      );
    }
    return this.update(id, (record) =>
      record.identityKeys.includes(normalized)
        ? undefined
        : { ...record, identityKeys: [...record.identityKeys, normalized] },
    );
  }

  /** Creates a member that owns `key` from the start (not anonymous), or answers the current owner. */
  async createForKey(key: string, isAnonymous: boolean): Promise<MemberRecord> {
    const normalized = normalizeKey(key);
    checkIdentityKey(normalized, this.rules);
    const record = newMemberRecord(this.newId(), [normalized], this.clock.now(), isAnonymous);
    await this.store.create(record);
    const winner = await this.store.claimKey(normalized, record.id);
    if (winner === record.id) return record;
    await this.store.delete(record.id);
    return this.require(winner);
  }
}

/** Email keys are compared lower case (RFC 5321 allows case in the local part; no provider uses it). */
export function normalizeKey(key: string): string {
  const trimmed = key.trim();
  return trimmed.toLowerCase().startsWith('email:') ? `email:${trimmed.slice(6).toLowerCase()}` : trimmed;
}

/**
 * The profile fields a contact sets: its language, and the sender's name when none is known. The turn's
 * member snapshot shows them before the contact is recorded (with the state save).
 */
export function applyContactProfile(
  profile: { language?: string | undefined; displayName?: string | undefined },
  contact: MemberContact,
): void {
  if (contact.language) profile.language = contact.language;
  if (contact.displayName && !profile.displayName) profile.displayName = contact.displayName;
}

function applyContact(record: MemberRecord, contact: MemberContact): MemberRecord {
  record.contacts[contact.channel] = (record.contacts[contact.channel] ?? 0) + 1;
  if (record.lastContactAt === undefined || contact.at >= record.lastContactAt) {
    record.lastChannel = contact.channel;
    record.lastContactAt = contact.at;
  }
  applyContactProfile(record.profile, contact);
  if (contact.isSuspect) {
    record.suspectContacts++;
    record.lastSuspectAt = contact.at;
  }
  const seen = record.conversations.find(
    (each) => each.channelId === contact.channelId && each.conversationId === contact.conversationId,
  );
  if (seen) seen.lastAt = Math.max(seen.lastAt, contact.at);
  else {
    record.conversations.push({
      channelId: contact.channelId,
      conversationId: contact.conversationId,
      firstAt: contact.at,
      lastAt: contact.at,
    });
    if (record.conversations.length > MAX_CONVERSATIONS) record.conversations.splice(0, 1);
  }
  return record;
}
