import { parseIdentityKey } from '../core/identity-key.js';
import { IdentityErrorCode, identityError } from './errors.js';
import type { MemberRecord } from './member-record.js';

/**
 * Rules against bad merges, after Segment's identity resolution settings: values that never identify
 * anybody are blocked, each key type has a limit per member, and two members that proved different
 * emails are never merged. https://www.twilio.com/docs/segment/unify/identity-resolution
 */
export interface IdentityRules {
  /** Platform ids that never identify a person (compared lower case, trimmed). */
  blockedValues: readonly string[];
  /** Most keys of one type (channel) a member may hold, e.g. `{email: 5}`. */
  keyLimits: Readonly<Record<string, number>>;
  /** Limit for types not in `keyLimits`. */
  defaultKeyLimit: number;
}

export const defaultIdentityRules: IdentityRules = {
  blockedValues: ['', 'anonymous', 'null', 'undefined', 'unknown', 'none', 'n/a'],
  keyLimits: { email: 5 },
  defaultKeyLimit: 25,
};

/** Parses an identity key, rejecting malformed keys and blocked values with a 400. */
export function checkIdentityKey(key: string, rules: IdentityRules): { channel: string; id: string } {
  const parsed = parseIdentityKey(key.trim());
  if (!parsed) {
    throw identityError(
      IdentityErrorCode.invalidKey,
      'An identity key looks like "<channel>:<platform id>"',
      400,
    );
  }
  if (isBlockedValue(parsed.id, rules)) {
    throw identityError(IdentityErrorCode.blockedValue, `"${parsed.id}" does not identify anybody`, 400);
  }
  return parsed;
}

/** True when a platform id is one of the blocked values. */
export function isBlockedValue(value: string, rules: IdentityRules): boolean {
  return rules.blockedValues.includes(value.trim().toLowerCase());
}

/** Throws when `keys` hold more keys of one type than the rules allow. */
export function checkKeyLimits(keys: readonly string[], rules: IdentityRules): void {
  const counts = new Map<string, number>();
  for (const key of keys) {
    const channel = parseIdentityKey(key)?.channel ?? '';
    counts.set(channel, (counts.get(channel) ?? 0) + 1);
  }
  for (const [channel, count] of counts) {
    const limit = rules.keyLimits[channel] ?? rules.defaultKeyLimit;
    if (count > limit) {
      throw identityError(
        IdentityErrorCode.keyLimit,
        `A member may hold at most ${limit} ${channel} keys`,
        409,
        { channel, limit },
      );
    }
  }
}

/** Throws when merging `from` into `to` would join two different verified emails. */
export function checkVerifiedEmails(from: MemberRecord, to: MemberRecord): void {
  if (from.verifiedEmails.length === 0 || to.verifiedEmails.length === 0) return;
  if (from.verifiedEmails.every((email) => to.verifiedEmails.includes(email))) return;
  throw identityError(
    IdentityErrorCode.verifiedConflict,
    'Both members proved different email addresses; they are two people until an agent decides otherwise',
    409,
  );
}
