import type { Agent } from 'node:https';
import { ApiResponseError, type ITwitterApiClientPlugin, type TweetV2, TwitterApi } from 'twitter-api-v2';
import { sleepUnlessAborted, throwIfStopped, unlessAborted } from '../../core/abort.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';

export const DEFAULT_X_API_URL = 'https://api.x.com/';

/** One DM event as a look for a sent DM reads it (twitter-api-v2 does not export its own type). */
export interface XDmEvent {
  id: string;
  event_type: string;
  text?: string;
  sender_id?: string;
  /** Each t.co link of `text` with the link it stands for (`expanded_url`). */
  entities?: { urls?: { url?: string; expanded_url?: string }[] };
}

/** What a look for sent DMs read: the events after the message, and whether that is all X holds. */
export interface XDmEvents {
  events: XDmEvent[];
  complete: boolean;
}

/** How much a look for a sent reply reads: a turn's replies follow the message they answer closely. */
const LOOKUP_PAGES = 2;
const LOOKUP_PAGE_SIZE = 100;

export interface XClientOptions {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessSecret: string;
  /** `X_API_URL`: where requests go instead of `https://api.x.com/` (HTTPS only, as the library is). */
  apiUrl?: string | undefined;
  /** An HTTPS agent, e.g. one trusting a test CA; in a server process use `NODE_EXTRA_CA_CERTS` instead. */
  httpsAgent?: Agent;
  logger?: Logger;
  clock?: Clock;
  /** How the client waits for a rate-limit window to reset; injected so tests need not. */
  sleep?: (ms: number) => Promise<void>;
  /** Longest wait for a rate-limit reset before giving up with `RELEVO_X_RATE_LIMITED` (default 15 min). */
  maxRateLimitWaitMs?: number;
  /** Attempts per request, rate-limited ones included (default 4). */
  maxAttempts?: number;
}

/**
 * The only part of the X connector that talks to X, through twitter-api-v2 (OAuth 1.0a user context):
 * it sends DMs and public replies, and reads our DM conversation or timeline when a turn run again
 * looks for a reply its earlier run may have sent. Sends leave one at a time from a queue: when X
 * answers 429, the queue waits until the window's `x-rate-limit-reset` and retries, so later DMs stay
 * behind it in order. Reads go out at once, beside the queue, and a 429 fails them at once. Failures
 * reject with a 502 `RELEVO_X_API` (X's status and error in `details`) or a 503
 * `RELEVO_X_RATE_LIMITED`.
 * @see https://docs.x.com/x-api/fundamentals/rate-limits
 */
export class XClient {
  private readonly api: TwitterApi;
  private readonly clock: Clock;
  /** Waits for a rate limit's reset, or rejects with the signal's reason once it aborts. */
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  private readonly logger: Logger;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: XClientOptions) {
    this.clock = options.clock ?? systemClock;
    const { sleep } = options;
    this.sleep = sleep ? (ms, signal) => unlessAborted(sleep(ms), signal) : sleepUnlessAborted;
    this.logger = options.logger ?? silentLogger;
    const plugins = options.apiUrl ? [rewriteBaseUrl(options.apiUrl)] : [];
    this.api = new TwitterApi(
      {
        appKey: options.consumerKey,
        appSecret: options.consumerSecret,
        accessToken: options.accessToken,
        accessSecret: options.accessSecret,
      },
      { plugins, ...(options.httpsAgent ? { httpAgent: options.httpsAgent } : {}) },
    );
  }

  /**
   * Sends a DM to one user; resolves with X's DM event id. Once `signal` aborts (a queued turn's),
   * the DM is not sent if it has not left yet: waiting in the queue or for a rate limit's reset.
   */
  sendDm(participantId: string, text: string, signal?: AbortSignal): Promise<string> {
    return this.enqueue('send DM', signal, async () => {
      // X answers `{data: {dm_conversation_id, dm_event_id}}`; twitter-api-v2 1.29.1 types the result
      // without the `data` wrapper (and returns the body as is), so read both shapes.
      const result = (await this.api.v2.sendDmToParticipant(participantId, { text })) as unknown as {
        data?: { dm_event_id?: string };
        dm_event_id?: string;
      };
      const id = result.data?.dm_event_id ?? result.dm_event_id;
      if (!id)
        throw new RelevoError('RELEVO_X_API', 'X accepted a DM but returned no dm_event_id', {
          statusCode: 502,
        });
      return id;
    });
  }

  /** Posts a public reply to a tweet; resolves with the new tweet's id. `signal` as for {@link sendDm}. */
  reply(tweetId: string, text: string, signal?: AbortSignal): Promise<string> {
    return this.enqueue(
      'reply to post',
      signal,
      async () => (await this.api.v2.reply(text, tweetId)).data.id,
    );
  }

  /**
   * The DM events of our conversation with `participantId` newer than `sinceId` (X's ids are
   * time-ordered), at most {@link LOOKUP_PAGES} pages, newest first, with each link's target where X
   * gives it. Every page is read whole, so the order X returns them in only decides when to stop.
   * `complete` is false when X holds more that was not read (pages ran out, or a later page failed).
   * Rejects when the first page fails, at once on a 429 (see {@link read}).
   * @see https://docs.x.com/x-api/direct-messages/lookup/api-reference/get-dm_conversations-with-participant_id-dm_events
   */
  async findDmEvents(participantId: string, sinceId: string | undefined): Promise<XDmEvents> {
    const events: XDmEvent[] = [];
    let token: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      let result: Awaited<ReturnType<TwitterApi['v2']['listDmEventsWithParticipant']>>;
      try {
        result = await this.read('look up DMs', () =>
          this.api.v2.listDmEventsWithParticipant(participantId, {
            'dm_event.fields': ['id', 'text', 'sender_id', 'created_at', 'event_type', 'entities'],
            event_types: 'MessageCreate',
            max_results: LOOKUP_PAGE_SIZE,
            ...(token ? { pagination_token: token } : {}),
          }),
        );
      } catch (error) {
        if (page === 0) throw error;
        return { events, complete: false };
      }
      let reachedSince = false;
      for (const event of result.events as XDmEvent[]) {
        if (sinceId === undefined || isNewer(event.id, sinceId)) events.push(event);
        else reachedSince = true;
      }
      token = result.meta.next_token;
      if (reachedSince || !token) return { events, complete: true };
    }
    return { events, complete: false };
  }

  /**
   * The id of the post of `userId` newer than `sinceId` that `matches` (with its `referenced_tweets` and `in_reply_to_user_id`), or
   * `undefined` when X holds none. Rejects with `RELEVO_X_LOOKUP_INCOMPLETE` when {@link LOOKUP_PAGES}
   * pages did not reach `sinceId`: "not found" then would not mean "not posted".
   * @see https://docs.x.com/x-api/posts/timelines/api-reference/get-users-id-tweets
   */
  async findPost(
    userId: string,
    sinceId: string,
    matches: (post: TweetV2) => boolean,
  ): Promise<string | undefined> {
    let token: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const result = await this.read('look up posts', () =>
        this.api.v2.userTimeline(userId, {
          since_id: sinceId,
          exclude: ['retweets'],
          'tweet.fields': ['referenced_tweets', 'in_reply_to_user_id'],
          max_results: LOOKUP_PAGE_SIZE,
          ...(token ? { pagination_token: token } : {}),
        }),
      );
      const found = result.tweets.find(matches);
      if (found) return found.id;
      token = result.meta.next_token;
      if (!token) return undefined;
    }
    throw new RelevoError(
      'RELEVO_X_LOOKUP_INCOMPLETE',
      `X holds more than ${LOOKUP_PAGES * LOOKUP_PAGE_SIZE} of our posts to look through`,
      { statusCode: 502 },
    );
  }

  /**
   * One read for a look-up, outside the send queue: a 429 fails it at once (the caller falls back)
   * instead of waiting for the window's reset, which would hold every DM of the process behind it.
   */
  private async read<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toRelevoError(what, error);
    }
  }

  /**
   * Runs `request` once every send queued before it settled. A `signal` that aborts while it waits
   * (for those, or for a rate limit's reset) rejects it with the signal's reason, sending nothing; a
   * request already sent is left to finish (X may take it).
   */
  private enqueue<T>(what: string, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T> {
    const before = this.queue;
    const run = unlessAborted(before, signal).then(() => this.withRateLimit(what, request, signal));
    // The next request waits for this one to settle, whether it succeeded or not, and for the ones
    // before it (this one may have given up waiting for them).
    this.queue = Promise.all([before, run.catch(() => {})]);
    return run;
  }

  private async withRateLimit<T>(
    what: string,
    request: () => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      await throwIfStopped(signal);
      try {
        return await request();
      } catch (error) {
        if (!(error instanceof ApiResponseError) || error.code !== 429 || attempt >= maxAttempts) {
          throw toRelevoError(what, error);
        }
        const resetSeconds = error.rateLimit?.reset ?? Number(error.headers['x-rate-limit-reset']);
        const waitMs = Number.isFinite(resetSeconds)
          ? Math.max(0, resetSeconds * 1000 - this.clock.now())
          : 60_000;
        if (waitMs > (this.options.maxRateLimitWaitMs ?? 15 * 60 * 1000)) throw toRelevoError(what, error);
        this.logger.warn({ what, waitMs, attempt }, 'X rate limit reached; waiting for x-rate-limit-reset');
        await this.sleep(waitMs, signal);
      }
    }
  }
}

/**
 * Points every request at `apiUrl`: twitter-api-v2 has no base-URL setting (and its `cloneWithPrefix`
 * does not work in 1.29.1), so a plugin rewrites the URL before the request (and its OAuth signature)
 * is built.
 */
function rewriteBaseUrl(apiUrl: string): ITwitterApiClientPlugin {
  const base = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
  return {
    onBeforeRequestConfig: ({ params }) => {
      params.url = params.url.replace(/^https:\/\/(?:api|upload)\.(?:x|twitter)\.com\//, base);
    },
  };
}

/** Whether X id `id` is newer than `than`: ids are snowflakes, whose high bits are their time. */
function isNewer(id: string, than: string): boolean {
  return /^\d+$/.test(id) && /^\d+$/.test(than) ? BigInt(id) > BigInt(than) : true;
}

function toRelevoError(what: string, error: unknown): RelevoError {
  if (error instanceof ApiResponseError) {
    const isRateLimited = error.code === 429;
    const detail = (error.data as { detail?: unknown; title?: unknown }).detail ?? error.data.title;
    return new RelevoError(
      isRateLimited ? 'RELEVO_X_RATE_LIMITED' : 'RELEVO_X_API',
      `X ${what} failed with ${error.code}${detail ? `: ${String(detail)}` : ''}`,
      { statusCode: isRateLimited ? 503 : 502, details: { status: error.code }, cause: error },
    );
  }
  return new RelevoError('RELEVO_X_API', `X ${what} failed: ${(error as Error)?.message ?? String(error)}`, {
    statusCode: 502,
    cause: error,
  });
}
