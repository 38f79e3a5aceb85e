import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackSignature } from '../../connectors/slack/verify.js';

/** One Web API call as the fake Slack received it. */
export interface SlackApiCall {
  method: string;
  /** The bearer token the call carried. */
  token: string | undefined;
  /** The call's arguments, decoded the way Slack decodes them (`blocks` is JSON inside a form field). */
  params: Record<string, unknown>;
  /**
   * The HTTP status the fake answered (429 while rate limiting); 200 also for a call whose answer it
   * dropped after doing the work (see {@link FakeSlack.dropAnswer}).
   */
  status: number;
  at: number;
}

/** A fake Slack Web API on loopback that speaks the documented wire format of the methods Relevo uses. */
export interface FakeSlack {
  /** Base URL for `SLACK_API_URL` / `slackApiUrl`, ending in `/api/`. */
  readonly url: string;
  readonly calls: SlackApiCall[];
  /** Every `chat.postMessage` call's arguments, in order. */
  posts(): Record<string, unknown>[];
  /** Every `conversations.history` and `conversations.replies` call's arguments, in order. */
  lookups(): Record<string, unknown>[];
  /** Resolves once at least `count` messages were posted; rejects after `timeoutMs`. */
  waitForPosts(count: number, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  /**
   * Answers the next `times` calls of `method` with 429 and `Retry-After: retryAfterSeconds`, after
   * answering the first `after` of them as usual (a limit of one call a minute: `after` = 1).
   */
  rateLimit(method: string, times: number, retryAfterSeconds: number, after?: number): void;
  /**
   * Answers the next `times` calls of `method` with HTTP `status` (503 by default) and a plain-text
   * body, doing nothing, as Slack (or a proxy before it) does while it is down.
   */
  unavailable(method: string, times: number, status?: number): void;
  /** Answers the `nth` (1 = next) call of `method` from now on with `{ok: false, error}`, as Slack does when it fails. */
  failCall(method: string, nth: number, error?: string): void;
  /**
   * Does the `nth` (1 = next) call of `method` from now on (a post is posted) and then destroys the
   * connection instead of answering, as when the answer is lost on the way back.
   */
  dropAnswer(method: string, nth: number): void;
  /**
   * While on, calls of `method` are recorded (status 0) and never answered, as when Slack hangs: the
   * caller waits mid-turn. Turning it off answers none of them; later calls are answered again.
   */
  hold(method: string, on: boolean): void;
  close(): Promise<void>;
}

export const FAKE_SLACK_BOT = { userId: 'UBOT', botId: 'BBOT', team: 'T0RELEVO' } as const;

/** A message the fake keeps as Slack returns it (only what the bot posted: customers' are not known). */
interface StoredMessage {
  type: 'message';
  user: string;
  bot_id: string;
  text: unknown;
  ts: string;
  thread_ts?: string;
  metadata?: unknown;
}

/**
 * Starts the fake Slack. `auth.test` names {@link FAKE_SLACK_BOT}; `chat.postMessage` answers
 * `{ok, channel, ts, message}` with increasing `ts` (now, in seconds, and a sequence number) and keeps
 * the message; `conversations.history` and `conversations.replies` read them back (see {@link
 * readMessages}); anything else is `unknown_method`.
 * @see https://api.slack.com/web#responses
 */
export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackApiCall[] = [];
  const messages = new Map<string, StoredMessage[]>();
  const limits = new Map<string, { after: number; times: number; retryAfterSeconds: number }>();
  const failures = new Map<string, { countdown: number; error: string }>();
  const drops = new Map<string, number>();
  const outages = new Map<string, { times: number; status: number }>();
  const held = new Set<string>();
  let seq = 0;
  const server: Server = createServer(async (req, res) => {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const params = decode(await read(req), req.headers['content-type']);
    const auth = req.headers.authorization;
    const call: SlackApiCall = {
      method,
      token: auth?.replace(/^Bearer /, ''),
      params,
      status: 200,
      at: Date.now(),
    };
    calls.push(call);
    if (held.has(method)) {
      call.status = 0;
      return;
    }
    const outage = outages.get(method);
    if (outage && outage.times > 0) {
      outage.times--;
      call.status = outage.status;
      res.writeHead(outage.status, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
      return;
    }
    const limit = limits.get(method);
    if (limit && limit.after > 0) limit.after--;
    else if (limit && limit.times > 0) {
      limit.times--;
      call.status = 429;
      res.writeHead(429, {
        'retry-after': String(limit.retryAfterSeconds),
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const drop = drops.get(method);
    if (drop !== undefined) {
      if (drop === 1) drops.delete(method);
      else drops.set(method, drop - 1);
    }
    // The work is done either way; a dropped answer never reaches the caller.
    const answer = (body: unknown) => {
      if (drop === 1) req.socket.destroy();
      else res.end(JSON.stringify(body));
    };
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    const failure = failures.get(method);
    if (failure && --failure.countdown === 0) {
      failures.delete(method);
      call.status = 500;
      res.end(JSON.stringify({ ok: false, error: failure.error }));
      return;
    }
    if (!auth?.startsWith('Bearer xoxb-')) {
      answer({ ok: false, error: 'not_authed' });
    } else if (method === 'auth.test') {
      answer({
        ok: true,
        url: 'https://relevo-test.slack.com/',
        team: 'Relevo Test',
        user: 'relevo',
        team_id: FAKE_SLACK_BOT.team,
        user_id: FAKE_SLACK_BOT.userId,
        bot_id: FAKE_SLACK_BOT.botId,
      });
    } else if (method === 'chat.postMessage') {
      seq++;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(seq).padStart(6, '0')}`;
      const message: StoredMessage = {
        type: 'message',
        user: FAKE_SLACK_BOT.userId,
        bot_id: FAKE_SLACK_BOT.botId,
        text: params.text,
        ts,
        ...(typeof params.thread_ts === 'string' ? { thread_ts: params.thread_ts } : {}),
        ...(params.metadata ? { metadata: params.metadata } : {}),
      };
      const channel = String(params.channel);
      messages.set(channel, [...(messages.get(channel) ?? []), message]);
      answer({ ok: true, channel, ts, message });
    } else if (method === 'conversations.history' || method === 'conversations.replies') {
      answer(readMessages(method, params, messages.get(String(params.channel))));
    } else {
      answer({ ok: false, error: 'unknown_method' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const posts = () =>
    calls
      .filter((call) => call.method === 'chat.postMessage' && call.status === 200)
      .map((call) => call.params);
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    posts,
    lookups: () =>
      calls.filter((call) => call.method.startsWith('conversations.')).map((call) => call.params),
    waitForPosts: async (count, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (posts().length < count) {
        if (Date.now() > deadline) throw new Error(`fake Slack got ${posts().length} of ${count} messages`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return posts();
    },
    rateLimit: (method, times, retryAfterSeconds, after = 0) =>
      limits.set(method, { after, times, retryAfterSeconds }),
    unavailable: (method, times, status = 503) => outages.set(method, { times, status }),
    failCall: (method, nth, error = 'internal_error') => failures.set(method, { countdown: nth, error }),
    dropAnswer: (method, nth) => drops.set(method, nth),
    hold: (method, on) => {
      if (on) held.add(method);
      else held.delete(method);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `conversations.history` (the channel's messages outside threads) or `conversations.replies` (the
 * thread `ts`'s messages, oldest first), after `oldest` and up to `latest` (both exclusive unless
 * `inclusive`), `limit` (default 100) a page, paged by an opaque `cursor`. `metadata` is shown only with
 * `include_all_metadata`. Unknown channels read as empty. Slack's reference states no order for the
 * history; the fake follows what users report (slackhq/slack-api-docs#4): with `oldest` and no `latest`
 * the first page holds the messages closest to `oldest`, otherwise those closest to `latest`; each page
 * newest first. Relevo reads whole pages and does not depend on either.
 * @see https://docs.slack.dev/reference/methods/conversations.history
 * @see https://docs.slack.dev/reference/methods/conversations.replies
 */
function readMessages(
  method: string,
  params: Record<string, unknown>,
  stored: StoredMessage[] = [],
): Record<string, unknown> {
  if (typeof params.channel !== 'string') return { ok: false, error: 'channel_not_found' };
  const thread = method === 'conversations.replies' ? params.ts : undefined;
  if (method === 'conversations.replies' && typeof thread !== 'string') {
    return { ok: false, error: 'invalid_arguments' };
  }
  for (const bound of ['oldest', 'latest'] as const) {
    const value = params[bound];
    if (value !== undefined && !/^\d+(\.\d+)?$/.test(String(value))) {
      return { ok: false, error: `invalid_ts_${bound}` };
    }
  }
  const offset =
    typeof params.cursor === 'string'
      ? Number(/^offset:(\d+)$/.exec(Buffer.from(params.cursor, 'base64').toString())?.[1])
      : 0;
  if (!Number.isInteger(offset)) return { ok: false, error: 'invalid_cursor' };
  const inclusive = params.inclusive === 'true' || params.inclusive === true;
  const after = (ts: string, bound: unknown) =>
    typeof bound !== 'string' || (inclusive ? compareTs(ts, bound) >= 0 : compareTs(ts, bound) > 0);
  const before = (ts: string, bound: unknown) =>
    typeof bound !== 'string' || (inclusive ? compareTs(ts, bound) <= 0 : compareTs(ts, bound) < 0);
  const all = stored
    .filter((message) =>
      thread === undefined
        ? message.thread_ts === undefined || message.thread_ts === message.ts
        : message.thread_ts === thread || message.ts === thread,
    )
    .filter((message) => after(message.ts, params.oldest) && before(message.ts, params.latest))
    .sort((a, b) => compareTs(a.ts, b.ts));
  const fromOldest = thread !== undefined || (params.oldest !== undefined && params.latest === undefined);
  if (!fromOldest) all.reverse();
  const withMetadata = params.include_all_metadata === 'true' || params.include_all_metadata === true;
  const limit = Number(params.limit ?? 100) || 100;
  const slice = all.slice(offset, offset + limit);
  if (thread === undefined && fromOldest) slice.reverse();
  const page = slice.map(({ metadata, ...message }) =>
    withMetadata && metadata ? { ...message, metadata } : message,
  );
  const hasMore = offset + limit < all.length;
  return {
    ok: true,
    messages: page,
    has_more: hasMore,
    ...(thread === undefined ? { pin_count: 0 } : {}),
    ...(hasMore
      ? { response_metadata: { next_cursor: Buffer.from(`offset:${offset + limit}`).toString('base64') } }
      : {}),
  };
}

/** Orders two `ts` values (`<seconds>.<microseconds>`) without the rounding of floating point. */
function compareTs(a: string, b: string): number {
  const value = (ts: string) => {
    const [seconds = '0', fraction = ''] = ts.split('.');
    return BigInt(seconds) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0');
  };
  const difference = value(a) - value(b);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form or JSON arguments, as Slack accepts both; JSON-valued form fields (`blocks`, `metadata`) parsed. */
function decode(raw: string, contentType: string | undefined): Record<string, unknown> {
  if ((contentType ?? '').startsWith('application/json')) return JSON.parse(raw || '{}');
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    params[key] = ['blocks', 'attachments', 'metadata'].includes(key) ? JSON.parse(value) : value;
  }
  delete params.token;
  return params;
}

/** Headers and body of a request signed as Slack signs them, for `fetch`. */
export function signedSlackRequest(
  signingSecret: string,
  body: string,
  options: { timestampSeconds?: number; contentType?: string; headers?: Record<string, string> } = {},
): RequestInit {
  const timestamp = String(options.timestampSeconds ?? Math.floor(Date.now() / 1000));
  return {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature(signingSecret, timestamp, body),
      ...options.headers,
    },
    body,
  };
}
