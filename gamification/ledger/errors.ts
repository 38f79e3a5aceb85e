import { RelevoError } from '../../core/errors.js';

/** Stable codes of ledger failures; routes answer them as `{code, message}` with the status below. */
export const LedgerErrorCode = {
  invalidRequest: 'RELEVO_LEDGER_INVALID_REQUEST',
  idempotencyConflict: 'RELEVO_LEDGER_IDEMPOTENCY_CONFLICT',
  insufficientPoints: 'RELEVO_LEDGER_INSUFFICIENT_POINTS',
  entryNotFound: 'RELEVO_LEDGER_ENTRY_NOT_FOUND',
  notReversible: 'RELEVO_LEDGER_NOT_REVERSIBLE',
} as const;

export function invalidLedgerRequest(message: string): RelevoError {
  return new RelevoError(LedgerErrorCode.invalidRequest, message, { statusCode: 400 });
}

/** A key reused with other parameters: the caller has a bug, and replaying the first result would hide it. */
export function idempotencyConflict(key: string): RelevoError {
  return new RelevoError(
    LedgerErrorCode.idempotencyConflict,
    'This idempotency key was already used with different parameters',
    { statusCode: 409, details: { idempotencyKey: key } },
  );
}

export function insufficientPoints(memberId: string, balance: number, needed: number): RelevoError {
  return new RelevoError(
    LedgerErrorCode.insufficientPoints,
    `The member has ${balance} points; ${needed} needed`,
    {
      statusCode: 409,
      details: { memberId, balance, needed },
    },
  );
}

export function entryNotFound(memberId: string, entryId: string): RelevoError {
  return new RelevoError(LedgerErrorCode.entryNotFound, 'No such ledger entry for this member', {
    statusCode: 404,
    details: { memberId, entryId },
  });
}

export function notReversible(entryId: string, why: string): RelevoError {
  return new RelevoError(LedgerErrorCode.notReversible, `Entry cannot be reversed: ${why}`, {
    statusCode: 409,
    details: { entryId },
  });
}
