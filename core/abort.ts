import { setTimeout as sleep } from 'node:timers/promises';

/** Deadline checks of signals whose owner may know it is over before its timers abort them. */
const guards = new WeakMap<AbortSignal, () => Promise<void>>();

/**
 * Gives `signal` a check that {@link throwIfStopped} runs: it rejects with the signal's reason once its
 * owner is over (a turn lock past its deadline: storage/turn-lease.ts), even if no timer ran to say so.
 */
export function guardSignal(signal: AbortSignal, check: () => Promise<void>): void {
  guards.set(signal, check);
}

/**
 * Call right before a request: rejects with `signal.reason` once it aborted, or once its guard finds
 * its owner over (synchronous work can outrun the timers that would abort it).
 */
export async function throwIfStopped(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  signal.throwIfAborted();
  await guards.get(signal)?.();
}

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
