import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits `ms`, or rejects with `signal.reason` as soon as `signal` aborts (Node's timer would reject
 * with a generic `AbortError` instead; the reason is the typed error the caller reports).
 */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

/**
 * `promise`, or a rejection with `signal.reason` once `signal` aborts, whichever comes first. Use it only
 * for a wait: the work behind `promise` goes on (its outcome is then nobody's, so it must not reject
 * unhandled: callers pass promises that are handled elsewhere, or never reject).
 */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
