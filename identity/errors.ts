import { RelevoError } from '../core/errors.js';

/** Stable codes of identity failures; routes answer them as `{code, message}` with the status below. */
export const IdentityErrorCode = {
  memberNotFound: 'RELEVO_IDENTITY_MEMBER_NOT_FOUND',
  invalidKey: 'RELEVO_IDENTITY_INVALID_KEY',
  blockedValue: 'RELEVO_IDENTITY_BLOCKED_VALUE',
  keyLimit: 'RELEVO_IDENTITY_KEY_LIMIT',
  verifiedConflict: 'RELEVO_IDENTITY_VERIFIED_CONFLICT',
  mergeNotAllowed: 'RELEVO_IDENTITY_MERGE_NOT_ALLOWED',
  auditNotFound: 'RELEVO_IDENTITY_AUDIT_NOT_FOUND',
  alreadyUnmerged: 'RELEVO_IDENTITY_ALREADY_UNMERGED',
  invalidEmail: 'RELEVO_IDENTITY_INVALID_EMAIL',
  rateLimited: 'RELEVO_IDENTITY_RATE_LIMITED',
  codeMissing: 'RELEVO_IDENTITY_CODE_MISSING',
  codeExpired: 'RELEVO_IDENTITY_CODE_EXPIRED',
  codeInvalid: 'RELEVO_IDENTITY_CODE_INVALID',
  codeLocked: 'RELEVO_IDENTITY_CODE_LOCKED',
  suspectSender: 'RELEVO_IDENTITY_SUSPECT_SENDER',
  codeNotSent: 'RELEVO_IDENTITY_CODE_NOT_SENT',
  conflict: 'RELEVO_IDENTITY_CONFLICT',
  invalidRequest: 'RELEVO_IDENTITY_INVALID_REQUEST',
} as const;

export type IdentityErrorCode = (typeof IdentityErrorCode)[keyof typeof IdentityErrorCode];

/** A RelevoError of the identity layer with its HTTP status. */
export function identityError(
  code: IdentityErrorCode,
  message: string,
  statusCode: number,
  details?: Record<string, unknown>,
): RelevoError {
  return new RelevoError(code, message, details === undefined ? { statusCode } : { statusCode, details });
}
