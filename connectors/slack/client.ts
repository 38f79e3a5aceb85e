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
   * Retries of failed calls. A 429 waits exactly its `Retry-After` before the retry (the WebClient does
   * this, and holds back other calls meanwhile); network errors back off from 250 ms.
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

/** How much history a look for a reply reads: a turn's replies follow its message closely. */
const LOOKUP_PAGES = 2;
const LOOKUP_PAGE_SIZE = 100;

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
  private readonly web: webApi.WebClient;

  constructor(private readonly options: SlackClientOptions) {
    this.apiUrl = options.apiUrl ?? DEFAULT_SLACK_API_URL;
    this.web = new webApi.WebClient(options.botToken, this.webClientOptions());
  }

  /** Options for any WebClient of this connector (Bolt's included), so every call goes to `apiUrl`. */
  webClientOptions(): webApi.WebClientOptions {
    return {
      slackApiUrl: this.apiUrl,
      logger: boltLogger(this.options.logger ?? silentLogger),
      retryConfig: this.options.retryConfig ?? { retries: 5, factor: 2, minTimeout: 250, maxTimeout: 10_000 },
      timeout: this.options.timeoutMs ?? 10_000,
      rejectRateLimitedCalls: false,
    };
  }

  /** Who we are: the bot's user id (to ignore our own messages) and its workspace. */
  async authTest(): Promise<SlackAuth> {
    const result = await this.call('auth.test', () => this.web.auth.test());
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
   * queued turn) carries it in its metadata, for {@link findReply}.
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
   * The `ts` of the message posted with `replyKey` in its metadata in `place`, or `undefined` if the
   * newest {@link LOOKUP_PAGES} pages since `place.oldest` hold none: the channel's history (newest
   * first), or the thread's replies. Needs the `*:history` scope of the conversation's kind.
   * @see https://api.slack.com/methods/conversations.history
   * @see https://api.slack.com/methods/conversations.replies
   */
  async findReply(place: SlackReplyPlace, replyKey: string): Promise<string | undefined> {
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
      const result = threadTs
        ? await this.call('conversations.replies', () =>
            this.web.conversations.replies({ ...args, ts: threadTs }),
          )
        : await this.call('conversations.history', () => this.web.conversations.history(args));
      const found = result.messages?.find(({ metadata }) => {
        // The WebClient types the payload as `{}`: it is whatever the app attached.
        const payload = metadata?.event_payload as { reply_key?: unknown } | undefined;
        return metadata?.event_type === REPLY_EVENT_TYPE && payload?.reply_key === replyKey;
      });
      if (found?.ts) return found.ts;
      cursor = result.response_metadata?.next_cursor;
      if (!result.has_more || !cursor) return undefined;
    }
    return undefined;
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
