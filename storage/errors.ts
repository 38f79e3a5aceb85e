import { RelevoError } from '../core/errors.js';

/** Stable error codes of the storage layer. */
export const StorageErrorCode = {
  /** A write carried an eTag that is no longer current: someone else wrote first. */
  conflict: 'RELEVO_STORAGE_CONFLICT',
  /** `read`, `write` or `delete` was called without keys or changes, or with a bad `ttlMs`. */
  invalidArgument: 'RELEVO_STORAGE_INVALID_ARGUMENT',
  /** A value could not be stored as JSON (a cycle, a BigInt…). */
  unserializable: 'RELEVO_STORAGE_UNSERIALIZABLE',
  /** A lock could not be acquired within the time the caller allowed. */
  lockTimeout: 'RELEVO_LOCK_TIMEOUT',
  /** A lock was released or extended by someone who no longer holds it. */
  lockLost: 'RELEVO_LOCK_LOST',
  /** The store or bus was closed (the process is shutting down). */
  closed: 'RELEVO_STORAGE_CLOSED',
  /** A retry of an activity run outside the queue outwaited the delivery still running it (409). */
  activityInProgress: 'RELEVO_ACTIVITY_IN_PROGRESS',
  /** A retry of an activity finished with an answer came after that answer expired (409). */
  activityAnswerExpired: 'RELEVO_ACTIVITY_ANSWER_EXPIRED',
} as const;

/** Thrown by a `Storage.write` whose batch holds a stale eTag; nothing of the batch was written. */
export class StorageConflictError extends RelevoError {
  readonly key: string;

  constructor(key: string) {
    super(
      StorageErrorCode.conflict,
      `The eTag written for "${truncate(key)}" is stale: the item changed since it was read`,
      {
        statusCode: 409,
        details: { key },
      },
    );
    this.name = 'StorageConflictError';
    this.key = key;
  }
}

export function closedError(what: string): RelevoError {
  return new RelevoError(StorageErrorCode.closed, `The ${what} is closed`, { statusCode: 503 });
}

export function invalidArgument(message: string): RelevoError {
  return new RelevoError(StorageErrorCode.invalidArgument, message, { statusCode: 400 });
}

/** JSON text of `value`, or a typed error naming the key whose value cannot be stored. */
export function toJson(key: string, value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (cause) {
    throw new RelevoError(
      StorageErrorCode.unserializable,
      `The value of "${truncate(key)}" cannot be stored as JSON`,
      {
        details: { key },
        cause,
      },
    );
  }
}

function truncate(key: string): string {
  return key.length > 80 ? `${key.slice(0, 77)}...` : key;
}
