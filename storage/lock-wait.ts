import { setTimeout as sleep } from 'node:timers/promises';
import { RelevoError } from '../core/errors.js';
import { StorageErrorCode } from './errors.js';

/**
 * Retries `tryOnce` until it yields a lock or `waitMs` runs out. The pause grows from 2 ms to 50 ms
 * with jitter, so a short turn hands over quickly and many waiters do not poll in step.
 */
export async function waitForLock<T>(
  resource: string,
  waitMs: number,
  tryOnce: () => Promise<T | null>,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  let pauseMs = 2;
  for (;;) {
    const lock = await tryOnce();
    if (lock) return lock;
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new RelevoError(
        StorageErrorCode.lockTimeout,
        `Timed out after ${waitMs} ms waiting for lock "${resource}"`,
        {
          statusCode: 503,
          details: { resource, waitMs },
        },
      );
    }
    await sleep(Math.min(left, pauseMs * (0.5 + Math.random())));
    pauseMs = Math.min(pauseMs * 2, 50);
  }
}

export function lockLost(resource: string): RelevoError {
  return new RelevoError(StorageErrorCode.lockLost, `Lock "${resource}" is no longer held by this holder`, {
    statusCode: 409,
    details: { resource },
  });
}
