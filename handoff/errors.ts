import { RelevoError } from '../core/errors.js';

/** Stable codes of the handoff feature; `bots/http-server.ts` renders them as `{code, message}`. */
export const HandoffErrorCode = {
  notFound: 'RELEVO_HANDOFF_NOT_FOUND',
  invalidState: 'RELEVO_HANDOFF_INVALID_STATE',
  notAssigned: 'RELEVO_HANDOFF_NOT_ASSIGNED',
  capacity: 'RELEVO_HANDOFF_AGENT_AT_CAPACITY',
  alreadyTaken: 'RELEVO_HANDOFF_ALREADY_TAKEN',
  noChannel: 'RELEVO_HANDOFF_NO_CHANNEL',
  badRequest: 'RELEVO_HANDOFF_BAD_REQUEST',
  unauthorized: 'RELEVO_HANDOFF_UNAUTHORIZED',
  forbidden: 'RELEVO_HANDOFF_FORBIDDEN',
  lockedOut: 'RELEVO_HANDOFF_LOCKED_OUT',
  csrf: 'RELEVO_HANDOFF_CSRF',
  accounts: 'RELEVO_HANDOFF_ACCOUNTS',
  hubDelivery: 'RELEVO_HANDOFF_HUB_DELIVERY',
} as const;

export type HandoffErrorCode = (typeof HandoffErrorCode)[keyof typeof HandoffErrorCode];

/** A RelevoError of the handoff feature with its HTTP status. */
export function handoffError(
  code: HandoffErrorCode,
  message: string,
  statusCode: number,
  details?: Record<string, unknown>,
): RelevoError {
  return new RelevoError(code, message, details === undefined ? { statusCode } : { statusCode, details });
}
