import { type Logger as BoltLogger, LogLevel, webApi } from '@slack/bolt';
import { RelevoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { SlackBotIdentity } from './inbound.js';
import type { SlackPostMessage } from './outbound.js';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export interface SlackClientOptions {
  /** The bot token (`xoxb-…`) of the installed app. */
  botToken: string;
  /** The Web API base URL (`SLACK_API_URL`): a test's fake Slack, or an on-premise proxy. */
  apiUrl?: string | undefined;
  logger?: Logger;
  /**
   * Retries of `auth.test`, and of a `chat.postMessage` that Slack rate limited (HTTP 429: it did not
   * take the message), which waits exactly its `Retry-After` first. A post that failed any other way
   * (timeout, dropped connection, 5xx) may have been taken, so it is not retried here: the adapter
   * looks the reply up before posting it again (outage.ts, {@link findReplies}).
   * @see https://api.slack.com/apis/rate-limits
   */
  retryConfig?: webApi.RetryOptions;
  /** Per-call timeout; 0 = none. */
  timeoutMs?: number;
}

/** Where a reply would have been posted: its channel, its thread, and what it cannot be older than. */
export interface SlackReplyPlace {
  channel: string;
  threadTs?: string | undefined;
  /** The `ts` of the message answered: a reply to it is newer. */
  oldest?: string | undefined;
}

/** The metadata event of a queued turn's reply; its payload is the reply's key and nothing else. */
const REPLY_EVENT_TYPE = 'relevo_reply';

/**
 * How much a look for sent replies reads. Apps distributed outside the Slack Marketplace may call
 * `conversations.history` / `.replies` once a minute, 15 messages a page: one page of 15 is all such an
 * app gets (the next page within the minute is a 429), and a turn's replies follow its message closely.
 * Other apps (Tier 3, 50+ calls a minute) read up to 4 pages.
 * @see https://docs.slack.dev/reference/methods/conversations.history
 */
const LOOKUP_PAGES = 4;
const LOOKUP_PAGE_SIZE = 15;

const DEFAULT_RETRIES: webApi.RetryOptions = { retries: 5, factor: 2, minTimeout: 250, maxTimeout: 10_000 };

/** What a look for sent replies found: each reply key's `ts`, and whether it read all there was to read. */
export interface SlackSentReplies {
  sent: Map<string, string>;
  /** False when Slack refused a later page (a 429 for apps limited to a call a minute). */
  complete: boolean;
}

/** Who the bot token belongs to, from `auth.test`. */
export interface SlackAuth extends SlackBotIdentity {
  team: string;
}

/**
 * The only part of the Slack connector that talks to Slack: `auth.test` once at start,
 * `chat.postMessage` for every reply, and `conversations.history` / `.replies` when a turn run again
 * looks for a reply its earlier run may have posted, through Slack's own WebClient pointed at
 * `apiUrl`. Failures reject with a 502 `RELEVO_SLACK_API` carrying Slack's error code.
 */
export class SlackClient {
  readonly apiUrl: string;
  /** Posts replies; waits out and retries a 429 only (see {@link SlackClientOptions.retryConfig}). */
  private readonly web: webApi.WebClient;
  /**
   * Looks for sent replies, on its own request queue: a 429 fails the look at once instead of pausing
   * the queue (the WebClient holds every call of a client during a `Retry-After`), so a rate-limited
   * look never holds another conversation's reply.
   */
  private readonly lookups: webApi.WebClient;

  constructor(private readonly options: SlackClientOptions) {
    this.apiUrl = options.apiUrl ?? DEFAULT_SLACK_API_URL;
    this.web = new webApi.WebClient(options.botToken, this.webClientOptions());
    this.lookups = new webApi.WebClient(options.botToken, {
      ...this.webClientOptions(),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
  }

  /** Options for any WebClient of this connector (Bolt's included), so every call goes to `apiUrl`. */
  webClientOptions(): webApi.WebClientOptions {
    return {
      slackApiUrl: this.apiUrl,
      logger: boltLogger(this.options.logger ?? silentLogger),
      retryConfig: rateLimitRetries(this.options.retryConfig ?? DEFAULT_RETRIES),
      timeout: this.options.timeoutMs ?? 10_000,
      rejectRateLimitedCalls: false,
    };
  }

  /** Who we are: the bot's user id (to ignore our own messages) and its workspace. */
  async authTest(): Promise<SlackAuth> {
    // It only reads, so any failure may be retried: on a client of its own, as the others' retry less.
    const reader = new webApi.WebClient(this.options.botToken, {
      ...this.webClientOptions(),
      retryConfig: this.options.retryConfig ?? DEFAULT_RETRIES,
    });
    const result = await this.call('auth.test', () => reader.auth.test());
    if (!result.user_id || !result.team_id) {
      throw new RelevoError('RELEVO_SLACK_API', 'auth.test did not name the bot user', { statusCode: 502 });
    }
    return {
      userId: result.user_id,
      team: result.team_id,
      ...(result.bot_id ? { botId: result.bot_id } : {}),
    };
  }

  /**
   * Posts one message; resolves with its `ts`, Slack's id of the message. A reply with a key (of a
   * queued turn) carries it in its metadata, for {@link findReplies}.
   * @see https://api.slack.com/metadata/using
   */
  async postMessage(message: SlackPostMessage, replyKey?: string): Promise<string> {
    const metadata = replyKey && { event_type: REPLY_EVENT_TYPE, event_payload: { reply_key: replyKey } };
    const args = metadata ? { ...message, metadata } : message;
    const result = await this.call('chat.postMessage', () => this.web.chat.postMessage(args));
    if (!result.ts)
      throw new RelevoError('RELEVO_SLACK_API', 'chat.postMessage returned no ts', { statusCode: 502 });
    return result.ts;
  }

  /**
   * The replies posted with a key in their metadata in `place` after `place.oldest`: the channel's
   * history or the thread's replies, at most {@link LOOKUP_PAGES} pages of {@link LOOKUP_PAGE_SIZE}.
   * Every page is read whole, so the order Slack returns them in does not matter (its reference does
   * not state one for `oldest` without `latest`). Rejects with `RELEVO_SLACK_API` when the first page
   * fails (at once on a 429); a later page that fails ends the look, with `complete: false`.
   * Needs the `*:history` scope of the conversation's kind.
   * @see https://api.slack.com/methods/conversations.history
   * @see https://api.slack.com/methods/conversations.replies
   */
  async findReplies(place: SlackReplyPlace): Promise<SlackSentReplies> {
    const sent = new Map<string, string>();
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const args = {
        channel: place.channel,
        include_all_metadata: true,
        limit: LOOKUP_PAGE_SIZE,
        ...(place.oldest ? { oldest: place.oldest } : {}),
        ...(cursor ? { cursor } : {}),
      };
      const { threadTs } = place;
      let result: webApi.ConversationsHistoryResponse | webApi.ConversationsRepliesResponse;
      try {
        result = threadTs
          ? await this.call('conversations.replies', () =>
              this.lookups.conversations.replies({ ...args, ts: threadTs }),
            )
          : await this.call('conversations.history', () => this.lookups.conversations.history(args));
      } catch (error) {
        if (page === 0) throw error;
        return { sent, complete: false };
      }
      for (const { metadata, ts } of result.messages ?? []) {
        // The WebClient types the payload as `{}`: it is whatever the app attached.
        const key = (metadata?.event_payload as { reply_key?: unknown } | undefined)?.reply_key;
        if (metadata?.event_type === REPLY_EVENT_TYPE && typeof key === 'string' && ts) sent.set(key, ts);
      }
      cursor = result.response_metadata?.next_cursor;
      if (!result.has_more || !cursor) return { sent, complete: true };
    }
    return { sent, complete: false };
  }

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const data = (error as { data?: { error?: unknown } }).data;
      const code = (error as { code?: unknown }).code;
      const slackError = typeof data?.error === 'string' ? data.error : String(code ?? 'request_failed');
      throw new RelevoError('RELEVO_SLACK_API', `Slack ${method} failed: ${slackError}`, {
        statusCode: 502,
        details: { method, slackError },
        cause: error,
      });
    }
  }
}

/**
 * `retries` for calls after a 429 only, for which the WebClient has already waited out the
 * `Retry-After`: its makeRequest then throws a plain `Error` "A rate limit was exceeded…", which reaches
 * p-retry wrapped in a `WebAPIRequestError` (as its `original`), as a timeout or a dropped connection
 * does. The WebClient hands these options to p-retry, whose `onFailedAttempt` ends the retries by
 * throwing.
 */
function rateLimitRetries(retries: webApi.RetryOptions): webApi.RetryOptions {
  const options: webApi.RetryOptions & { onFailedAttempt: (error: Error) => void } = {
    ...retries,
    onFailedAttempt: (error) => {
      const original = (error as { original?: unknown }).original;
      if (!(original instanceof Error && original.message.startsWith('A rate limit was exceeded')))
        throw error;
    },
  };
  return options;
}

/** Slack's logger interface over ours, so Bolt and the WebClient never write to the console. */
export function boltLogger(logger: Logger): BoltLogger {
  const text = (parts: unknown[]) => parts.map(String).join(' ');
  return {
    debug: (...parts: unknown[]) => logger.debug({ source: 'slack' }, text(parts)),
    info: (...parts: unknown[]) => logger.info({ source: 'slack' }, text(parts)),
    warn: (...parts: unknown[]) => logger.warn({ source: 'slack' }, text(parts)),
    error: (...parts: unknown[]) => logger.error({ source: 'slack' }, text(parts)),
    setLevel: () => {},
    getLevel: () => LogLevel.DEBUG,
    setName: () => {},
  };
}
