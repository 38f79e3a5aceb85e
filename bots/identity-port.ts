import type { TurnContext } from 'botbuilder';
import { hasCode } from '../core/errors.js';
import { type MemberSnapshot, TurnStateKey, turnMember } from '../core/turn-state.js';
import { recordLoyaltyEvent } from '../gamification/index.js';
import type { IdentityService, LinkFailure } from '../dialogs/index.js';
import { type Identity, IdentityErrorCode } from '../identity/index.js';

const FAILURES: [string, LinkFailure][] = [
  [IdentityErrorCode.invalidEmail, 'invalid_email'],
  [IdentityErrorCode.blockedValue, 'invalid_email'],
  [IdentityErrorCode.rateLimited, 'rate_limited'],
  [IdentityErrorCode.suspectSender, 'suspect'],
  [IdentityErrorCode.codeExpired, 'expired'],
  [IdentityErrorCode.codeMissing, 'expired'],
  [IdentityErrorCode.codeLocked, 'locked'],
  [IdentityErrorCode.codeNotSent, 'not_sent'],
  [IdentityErrorCode.verifiedConflict, 'conflict'],
  [IdentityErrorCode.mergeNotAllowed, 'conflict'],
  [IdentityErrorCode.keyLimit, 'conflict'],
  [IdentityErrorCode.codeInvalid, 'wrong_code'],
];

/** The dialogs' view of identity/: linking with a code by email, and "forget me". */
export function identityPort(identity: Identity): IdentityService {
  const failure = (error: unknown): LinkFailure => {
    const found = FAILURES.find(([code]) => hasCode(error, code));
    if (!found) throw error;
    return found[1];
  };
  const memberOf = (context: TurnContext) => turnMember(context);
  return {
    async sendLinkCode(context, email) {
      const member = memberOf(context);
      if (!identity.linkService || !member) return { ok: false, reason: 'unavailable' };
      try {
        await identity.linkService.requestCode({
          memberId: member.id,
          email,
          isSuspect: member.isSuspect ?? false,
        });
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: failure(error) };
      }
    },
    async confirmLinkCode(context, code) {
      const member = memberOf(context);
      if (!identity.linkService || !member) return { ok: false, reason: 'unavailable' };
      try {
        const { member: survivor } = await identity.linkService.verifyCode({
          memberId: member.id,
          code,
          isSuspect: member.isSuspect ?? false,
        });
        // From here on this turn is the surviving member's: the linking bonus must land on them.
        context.turnState.set(TurnStateKey.member, {
          ...member,
          id: survivor.id,
          identityKeys: survivor.identityKeys,
          isAnonymous: survivor.isAnonymous,
        } satisfies MemberSnapshot);
        recordLoyaltyEvent(context, { type: 'account.linked' });
        return { ok: true };
      } catch (error) {
        const triesLeft = (error as { details?: { triesLeft?: number } }).details?.triesLeft;
        return { ok: false, reason: failure(error), ...(triesLeft === undefined ? {} : { triesLeft }) };
      }
    },
    async forget(context) {
      const member = memberOf(context);
      if (member)
        // identity.erase: transcripts, state documents and references too, on the agent's stores.
        await identity.erase(member.id, { actor: 'customer', reason: 'forget me' }, context);
    },
  };
}
