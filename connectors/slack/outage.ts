import { sleepUnlessAborted, throwIfStopped } from '../../core/abort.js';
import type { Logger } from '../../core/logger.js';
import type { SlackClient, SlackReplyPlace } from './client.js';
import type { SlackPostMessage } from './outbound.js';

/** How a run rides out a Slack outage (see {@link postThroughOutage}); tests pass short ones. */
export interface SlackOutageOptions {
  /**
   * The first wait after a post that may have been taken, before looking for it; doubles up to
   * `maxDelayMs`. Default 15 s: longer than the posting client's 10 s timeout, so a post still in
   * flight inside Slack when its call timed out has landed before the look (else it would be posted
   * again and then land too).
   */
  firstDelayMs?: number;
  /** The longest wait between two looks. Default 30 s. */
  maxDelayMs?: number;
  /**
   * How long one run of a turn waits through an outage before it fails (the queue runs it again 10 s
   * later, and that run rides out the next stretch). Default 2 min: the queue gives a turn up after 5
   * failed runs, so an outage has to last about 11 min before a reply is lost.
   */
  budgetMs?: number;
}

const DEFAULTS: Required<SlackOutageOptions> = {
  firstDelayMs: 15_000,
  maxDelayMs: 30_000,
  budgetMs: 120_000,
};

/**
 * What a failed Slack call tells: `unknown` when Slack may have done it all the same (a timeout, a
 * dropped or refused connection, an HTTP 5xx: Slack or the way to it is down), `rate-limited` (HTTP 429:
 * not done, try after `retryAfterMs`), `refused` (Slack answered `ok: false`, or anything else).
 */
export type SlackFailure =
  | { kind: 'unknown' }
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'refused' };

/** Reads the @slack/web-api error under a `RELEVO_SLACK_API` (its `cause`). */
export function slackFailure(error: unknown): SlackFailure {
  const slack = (error instanceof Error && error.cause !== undefined ? error.cause : error) as {
    code?: unknown;
    statusCode?: unknown;
    retryAfter?: unknown;
  };
  switch (slack?.code) {
    case 'slack_webapi_request_error':
      return { kind: 'unknown' };
    case 'slack_webapi_http_error':
      return typeof slack.statusCode === 'number' && slack.statusCode >= 500
        ? { kind: 'unknown' }
        : { kind: 'refused' };
    case 'slack_webapi_rate_limited_error':
      return { kind: 'rate-limited', retryAfterMs: Number(slack.retryAfter) * 1000 || 1_000 };
    default:
      return { kind: 'refused' };
  }
}

/**
 * Posts a keyed reply and rides out a Slack outage inside the run. A post that failed in a way that
 * may hide a posted message (timeout, lost connection, 5xx) is never posted again blindly: the run
 * waits (backoff from `firstDelayMs`, so a late post lands first), then looks for the key in `place`
 * (the lookup client: a 429 fails it at once and holds no other conversation's reply). Found: its `ts`
 * is the answer. Not found: posted again. Still down: it waits and looks again. Rate limited (apps
 * outside the Marketplace get a lookup a minute): it waits the `Retry-After` if that fits the budget.
 * A lookup that cannot tell (refused, e.g. `missing_scope`; a `Retry-After` beyond the budget; a read
 * cut short) posts again with a warning: at least once beats lost, as on a rerun. Once `budgetMs` is
 * spent the post's error fails the turn; its rerun looks the reply up before posting (sent-replies.ts).
 * A post Slack refused (`ok: false`) fails the turn as before. (A post still rate limited after the
 * posting client's retries fails as a request error does, and is looked for like one: harmless.)
 * `signal` (a queued turn's) ends a wait and prevents every post once it aborts: the turn fails with
 * its reason, and its rerun, by the holder of the conversation's lock, looks before posting.
 */
export async function postThroughOutage(
  client: SlackClient,
  message: SlackPostMessage,
  place: SlackReplyPlace,
  replyKey: string,
  logger: Logger,
  options: SlackOutageOptions = {},
  signal?: AbortSignal,
): Promise<string> {
  const { firstDelayMs, maxDelayMs, budgetMs } = { ...DEFAULTS, ...options };
  const deadline = Date.now() + budgetMs;
  let backoffMs = firstDelayMs;
  const nextBackoff = () => {
    const ms = backoffMs;
    backoffMs = Math.min(2 * backoffMs, maxDelayMs);
    return ms;
  };
  for (;;) {
    let postError: unknown;
    // The run's lock is lost (another process may be running the turn) or its queue stops: no post.
    await throwIfStopped(signal);
    try {
      return await client.postMessage(message, replyKey);
    } catch (error) {
      if (slackFailure(error).kind !== 'unknown') throw error;
      postError = error;
    }
    logger.warn(
      { err: postError, replyKey },
      'a post failed but Slack may have taken it: looking for it before posting again',
    );
    let waitMs = nextBackoff();
    for (;;) {
      // Budget spent: the turn fails and runs again from the queue, which looks before posting.
      if (Date.now() + waitMs > deadline) throw postError;
      await sleepUnlessAborted(waitMs, signal);
      let found: Awaited<ReturnType<SlackClient['findReplies']>>;
      try {
        found = await client.findReplies(place);
      } catch (error) {
        const failure = slackFailure(error);
        if (failure.kind === 'unknown') {
          waitMs = nextBackoff();
          continue;
        }
        if (failure.kind === 'rate-limited' && Date.now() + failure.retryAfterMs <= deadline) {
          waitMs = failure.retryAfterMs;
          continue;
        }
        logger.warn(
          { err: error, replyKey },
          'could not look for a reply whose post failed: posting it, perhaps again',
        );
        break;
      }
      const ts = found.sent.get(replyKey);
      if (ts !== undefined) return ts;
      if (!found.complete) {
        logger.warn({ replyKey }, 'could not look for a reply whose post failed: posting it, perhaps again');
      }
      break;
    }
  }
}
