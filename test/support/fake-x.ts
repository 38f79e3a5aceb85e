import { mkdtempSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { Agent, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { xSignature } from '../../connectors/twitter/verify.js';
import { type FakeDmEvent, type FakePost, FakeXStore } from './fake-x-store.js';

export type { FakeDmEvent, FakePost } from './fake-x-store.js';

/** One request as the fake X API received it. */
export interface XApiCall {
  method: string;
  path: string;
  /** The query string's parameters. */
  query: Record<string, string>;
  /** The OAuth 1.0a `Authorization` header twitter-api-v2 signed the request with. */
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** The status the fake answered (429 while rate limiting, 0 while held). */
  status: number;
}

/** A fake X API v2 over HTTPS on loopback, with its own self-signed certificate. */
export interface FakeX {
  /** Base URL for `X_API_URL`, e.g. `https://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The certificate (PEM) to trust: an `https.Agent`'s `ca`, or `NODE_EXTRA_CA_CERTS` via {@link caPath}. */
  readonly ca: string;
  readonly caPath: string;
  readonly agent: Agent;
  readonly calls: XApiCall[];
  /** Delivered DMs as `{to, text}` (the text we sent, before X wraps its links), in order. */
  dms(): { to: string; text: string }[];
  /** Delivered public replies as `{inReplyTo, text}`. */
  replies(): { inReplyTo: string; text: string }[];
  /**
   * A DM of `senderId` (the customer's, or one of ours) kept in our conversation with `participantId`,
   * as when it was sent; returns its event id.
   */
  keepDm(participantId: string, senderId: string, text: string): string;
  /** A public post of `authorId`; returns its id. */
  customerPost(authorId: string, text: string): string;
  /** The DM events of our conversation with `participantId` as X keeps them, oldest first. */
  dmEventsWith(participantId: string): FakeDmEvent[];
  /** The posts of `authorId` as X keeps them, oldest first. */
  postsBy(authorId: string): FakePost[];
  /** The GET calls that read our DM conversations or timeline (a look for a sent reply). */
  lookups(): XApiCall[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Answers the next `times` requests under `pathPrefix` with 429 and `x-rate-limit-reset: resetSeconds`. */
  rateLimit(pathPrefix: string, times: number, resetSeconds: number): void;
  /**
   * Refuses DMs to this user with 403, as X does when a user does not accept DMs from us: the next
   * `times` DMs (default: all from now on).
   */
  refuseDmsTo(userId: string, times?: number): void;
  /** Answers the next `times` requests under `pathPrefix` with `status` (X's problem JSON). */
  fail(pathPrefix: string, times: number, status: number): void;
  /** Moves X's clock `ms` ahead: what it makes from now on has later ids and `created_at`. */
  moveClock(ms: number): void;
  /**
   * While on, requests under `pathPrefix` are recorded (status 0) and never answered, as when X hangs:
   * the caller waits mid-turn. Turning it off answers none of them; later requests are answered again.
   */
  hold(pathPrefix: string, on: boolean): void;
  close(): Promise<void>;
}

/**
 * Starts the fake X API. It speaks the documented v2 JSON of the endpoints Relevo uses:
 * `POST /2/dm_conversations/with/:participant_id/messages` → 201 `{data: {dm_conversation_id, dm_event_id}}`,
 * `POST /2/tweets` → 201 `{data: {id, text, edit_history_tweet_ids}}`, and the reads of a look for a
 * sent reply, `GET /2/dm_conversations/with/:participant_id/dm_events` and `GET /2/users/:id/tweets`
 * (test/support/fake-x-store.ts); 429s carry the `x-rate-limit-*` headers. What it delivers it keeps,
 * with X's snowflake ids and t.co links.
 * @see https://docs.x.com/x-api/fundamentals/rate-limits
 */
export async function startFakeX(ourUserId: string): Promise<FakeX> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const caPath = join(mkdtempSync(join(tmpdir(), 'fake-x-')), 'ca.pem');
  writeFileSync(caPath, pems.cert);
  const calls: XApiCall[] = [];
  const limits = new Map<string, { times: number; resetSeconds: number }>();
  const refused = new Map<string, number>();
  const failures = new Map<string, { times: number; status: number }>();
  const held = new Set<string>();
  const store = new FakeXStore(ourUserId);
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://api.x.com');
    const path = url.pathname;
    const raw = await read(req);
    const call: XApiCall = {
      method: req.method ?? '',
      path,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      body: parseJson(raw),
      status: 201,
    };
    calls.push(call);
    if ([...held].some((prefix) => path.startsWith(prefix))) {
      call.status = 0;
      return;
    }
    const limit = [...limits].find(([prefix, state]) => path.startsWith(prefix) && state.times > 0)?.[1];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (limit) {
      limit.times--;
      send(
        429,
        { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
        {
          'x-rate-limit-limit': '200',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(limit.resetSeconds),
        },
      );
      return;
    }
    if (!call.authorization?.startsWith('OAuth ')) {
      send(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
      return;
    }
    const failure = [...failures].find(([prefix, state]) => path.startsWith(prefix) && state.times > 0)?.[1];
    if (failure) {
      failure.times--;
      send(failure.status, {
        title: STATUS_CODES[failure.status],
        type: 'about:blank',
        status: failure.status,
      });
      return;
    }
    const dm = /^\/2\/dm_conversations\/with\/(\d+)\/messages$/.exec(path);
    const dmEvents = /^\/2\/dm_conversations\/with\/(\d+)\/dm_events$/.exec(path);
    const timeline = /^\/2\/users\/(\d+)\/tweets$/.exec(path);
    const refusals = dm?.[1] === undefined ? 0 : (refused.get(dm[1]) ?? 0);
    if (req.method === 'POST' && dm?.[1] && refusals > 0) {
      refused.set(dm[1], refusals - 1);
      const detail = 'You are not permitted to send Direct Messages to this user.';
      send(403, { title: 'Forbidden', type: 'about:blank', status: 403, detail });
    } else if (req.method === 'POST' && dm?.[1]) {
      const id = store.addDm(dm[1], ourUserId, String(call.body.text));
      const ids = [ourUserId, dm[1]].sort();
      send(201, { data: { dm_conversation_id: ids.join('-'), dm_event_id: id } });
    } else if (req.method === 'POST' && path === '/2/tweets') {
      const reply = call.body.reply as { in_reply_to_tweet_id?: string } | undefined;
      const post = store.addPost(ourUserId, String(call.body.text), reply?.in_reply_to_tweet_id);
      send(201, {
        data: { id: post.id, text: post.text, edit_history_tweet_ids: post.edit_history_tweet_ids },
      });
    } else if (req.method === 'GET' && dmEvents?.[1]) {
      const answer = store.dmEvents(dmEvents[1], url.searchParams);
      send(answer.status, answer.body);
    } else if (req.method === 'GET' && timeline?.[1]) {
      const answer = store.timeline(timeline[1], url.searchParams);
      send(answer.status, answer.body);
    } else {
      send(404, { title: 'Not Found Error', type: 'about:blank', status: 404, detail: `no route ${path}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const delivered = () => calls.filter((call) => call.status === 201);
  return {
    url: `https://127.0.0.1:${port}/`,
    ca: pems.cert,
    caPath,
    agent: new Agent({ ca: pems.cert, keepAlive: false }),
    calls,
    dms: () =>
      delivered()
        .filter((call) => call.method === 'POST' && call.path.startsWith('/2/dm_conversations/with/'))
        .map((call) => ({ to: call.path.split('/')[4] ?? '', text: String(call.body.text) })),
    replies: () =>
      delivered()
        .filter((call) => call.path === '/2/tweets')
        .map((call) => ({
          inReplyTo: String(
            (call.body.reply as { in_reply_to_tweet_id?: string } | undefined)?.in_reply_to_tweet_id,
          ),
          text: String(call.body.text),
        })),
    waitFor: async (predicate, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline)
          throw new Error(`fake X: condition not met; calls: ${JSON.stringify(calls)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    keepDm: (participantId, senderId, text) => store.addDm(participantId, senderId, text),
    customerPost: (authorId, text) => store.addPost(authorId, text).id,
    dmEventsWith: (participantId) => store.dmEventsWith(participantId),
    postsBy: (authorId) => store.postsBy(authorId),
    lookups: () => calls.filter((call) => call.method === 'GET'),
    fail: (pathPrefix, times, status) => failures.set(pathPrefix, { times, status }),
    moveClock: (ms) => store.moveClock(ms),
    rateLimit: (pathPrefix, times, resetSeconds) => limits.set(pathPrefix, { times, resetSeconds }),
    refuseDmsTo: (userId, times = Number.POSITIVE_INFINITY) => refused.set(userId, times),
    hold: (pathPrefix, on) => {
      if (on) held.add(pathPrefix);
      else held.delete(pathPrefix);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseJson(raw: string): Record<string, unknown> {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return { unparsed: raw };
  }
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A webhook POST signed as X signs them, for `fetch`. */
export function signedXRequest(consumerSecret: string, body: string): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-twitter-webhooks-signature': xSignature(consumerSecret, body),
    },
    body,
  };
}

/** An Account Activity body with one DM from `senderId` to `recipientId`. */
export function dmEventBody(options: {
  forUserId: string;
  eventId: string;
  senderId: string;
  recipientId: string;
  text: string;
  createdMs?: number;
}): string {
  return JSON.stringify({
    for_user_id: options.forUserId,
    direct_message_events: [
      {
        type: 'message_create',
        id: options.eventId,
        created_timestamp: String(options.createdMs ?? Date.now()),
        message_create: {
          target: { recipient_id: options.recipientId },
          sender_id: options.senderId,
          message_data: {
            text: options.text,
            entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] },
          },
        },
      },
    ],
    users: {
      [options.senderId]: { id: options.senderId, name: 'Ana', screen_name: `user${options.senderId}` },
    },
  });
}
