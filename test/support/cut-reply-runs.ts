import type { TurnLogic } from '../../core/channel.js';
import type { Logger } from '../../core/logger.js';
import type { IdempotencyStore } from '../../storage/types.js';

/**
 * The bot of a queued turn whose first run is cut after it replied: it sends `texts`, and its first
 * run fails after that (having sent only the first `firstRun` of them, all by default), so the queue
 * runs the turn again.
 */
export function cutFirstRun(
  texts: string[],
  firstRun = texts.length,
): { bot: TurnLogic; runs: () => number } {
  let runs = 0;
  return {
    runs: () => runs,
    bot: async (context) => {
      if (context.activity.type !== 'message') return;
      runs += 1;
      for (const text of texts.slice(0, runs === 1 ? firstRun : texts.length)) {
        await context.sendActivity(text);
      }
      if (runs === 1) throw new Error('killed');
    },
  };
}

/** How the store of sent replies fails once, as when the connection to Redis drops mid-write. */
export type ReplyStoreFault =
  /** The first record of a sent reply's id is refused: the reply went out, its record did not. */
  | 'record refused'
  /** The first claim of a public reply is taken but its answer is lost: the run dies before posting. */
  | 'claim answer lost';

/** `store`, failing once as `fault` says; `faults()` counts the failures so far (0 or 1). */
export function faultyReplyStore(
  store: IdempotencyStore,
  fault: ReplyStoreFault = 'record refused',
): { store: IdempotencyStore; faults: () => number } {
  let faults = 0;
  return {
    faults: () => faults,
    store: {
      claim: async (key, ttlMs, value) => {
        // A public reply's claim, made before posting, is `<key>:claim`; a record holds the platform's id.
        const isClaim = key.startsWith('reply:') && key.endsWith(':claim');
        const isRecord = key.startsWith('reply:') && !isClaim && Boolean(value);
        if (faults === 0 && fault === 'record refused' && isRecord) {
          faults += 1;
          throw new Error('connection lost');
        }
        const claimed = await store.claim(key, ttlMs, value);
        if (faults === 0 && fault === 'claim answer lost' && isClaim) {
          faults += 1;
          throw new Error('connection lost');
        }
        return claimed;
      },
      valueOf: (key) => store.valueOf(key),
      release: (key) => store.release(key),
    },
  };
}

/** A logger that keeps the message of each warning in `warnings`. */
export function warningsLogger(warnings: string[]): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn(obj, msg) {
      warnings.push(typeof obj === 'string' ? obj : (msg ?? ''));
    },
    error() {},
    child: () => logger,
  };
  return logger;
}

export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
