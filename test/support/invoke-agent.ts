import type { AddressInfo } from 'node:net';
import type { Middleware, TurnContext } from 'botbuilder';
import { createHttpServer, type HttpServer } from '../../bots/http-server.js';
import { createBotFrameworkChannel } from '../../connectors/botframework/index.js';
import { InFlightWork } from '../../core/in-flight.js';
import { silentLogger } from '../../core/logger.js';
import { TurnStateKey } from '../../core/turn-state.js';
import {
  createGamification,
  GamificationMiddleware,
  loadGamificationConfig,
  recordLoyaltyEvent,
} from '../../gamification/index.js';
import { ConversationLockMiddleware } from '../../storage/conversation-lock-middleware.js';
import { DedupeMiddleware } from '../../storage/dedupe-middleware.js';
import { MemoryRateCounter, RedisRateCounter } from '../../storage/rate-counter.js';
import { RateLimitMiddleware } from '../../storage/rate-limit-middleware.js';
import { StateMiddleware } from '../../storage/state-middleware.js';
import type { Stores } from '../../storage/stores.js';
import { TranscriptMiddleware } from '../../storage/transcript-middleware.js';

/** The Bot Framework channel of {@link startInvokeAgent}, serving on a loopback port. */
export interface InvokeAgent {
  base: string;
  /** Ids of the activities the bot ran for, in order (a replay does not run it). */
  runs: string[];
  /** The conversation's count as its state holds it now. */
  count(conversationId: string): Promise<number | undefined>;
  /** The conversation's state document as stored now. */
  document(conversationId: string): Promise<Record<string, unknown> | undefined>;
  /** The points credited to the member of the identity key `key` (`emulator:user-7`), in order. */
  points(key: string): Promise<number[]>;
  close(): Promise<void>;
}

export interface InvokeAgentOptions {
  /** The dedupe stage's claim lease and the conversation lock's lifetime: how soon a dead run's lapse. */
  leaseMs?: number;
  /** How long a retry waits for a delivery still running (default 10 s). */
  waitMs?: number;
  /** How long a finished turn's answer is kept (default 2 minutes). */
  answerTtlMs?: number;
  /** The first points award fails (the ledger unreachable for a moment): the turn is incomplete. */
  failFirstAward?: boolean;
  /** How many points awards fail first (the ledger down for longer); `failFirstAward` is 1. */
  failAwards?: number;
  /** Messages a customer may send a minute (a rate limit stage right after dedupe); none by default. */
  rateLimit?: number;
}

/**
 * A counter game behind the pipeline's stages in their order (dedupe, conversation lock, a stand-in of
 * identity naming the member after the sender, loyalty, transcript, state) on `stores`, served as the
 * Bot Framework channel of an Emulator on loopback (no JWT). Each invoke or `expectReplies` message
 * adds one to the conversation's `count`, wins the game of that count (10 points, `game.won`, paid
 * once per count) and answers with it: the invoke response `{count, run}` (and the invoke's
 * `value.pad` fields; with `value.tell`, a message `count <n>: <tell>` posted too), the reply
 * `count <n>: <text>`. A turn run twice shows as a count and a win too many; a replay as the first
 * run's `run`.
 */
export async function startInvokeAgent(
  stores: Stores,
  options: InvokeAgentOptions = {},
): Promise<InvokeAgent> {
  const plugin = await createGamification({ stores, config: loadGamificationConfig() });
  let failing = options.failAwards ?? (options.failFirstAward ? 1 : 0);
  if (failing > 0) {
    const award = plugin.gamification.award.bind(plugin.gamification);
    plugin.gamification.award = async (request) => {
      if (failing <= 0) return award(request);
      failing--;
      throw new Error('the ledger is unreachable');
    };
  }
  const state = new StateMiddleware(stores.storage);
  const transcript = new TranscriptMiddleware(stores.transcripts);
  const member: Middleware = {
    onTurn: async (context, next) => {
      const key = context.activity.from.id;
      context.turnState.set(TurnStateKey.member, {
        id: memberOf(key),
        identityKeys: [key],
        isAnonymous: false,
      });
      await next();
    },
  };
  const leaseMs = options.leaseMs ?? 10_000;
  const pipeline = [
    new DedupeMiddleware(stores.activities, {
      leaseMs,
      waitMs: options.waitMs ?? 10_000,
      ...(options.answerTtlMs === undefined ? {} : { answerTtlMs: options.answerTtlMs }),
    }),
    ...(options.rateLimit === undefined
      ? []
      : [
          new RateLimitMiddleware({
            counter: stores.redis
              ? new RedisRateCounter(stores.redis, { prefix: stores.prefix })
              : new MemoryRateCounter(),
            limit: options.rateLimit,
          }),
        ]),
    new ConversationLockMiddleware(stores.locks, { ttlMs: leaseMs }),
    member,
    new GamificationMiddleware(plugin.gamification),
    transcript.inbound(),
    state,
    transcript,
  ];
  const count = state.conversationProperty<number>('count');
  const runs: string[] = [];
  const bot = async (context: TurnContext) => {
    if (context.activity.type === 'conversationUpdate') return;
    runs.push(context.activity.id ?? '');
    const next = ((await count.get(context)) ?? 0) + 1;
    await count.set(context, next);
    recordLoyaltyEvent(context, { type: 'game.won', id: `${context.activity.conversation.id}:won:${next}` });
    if (context.activity.type === 'invoke') {
      // An invoke may ask for a message to its conversation too (`value.tell`), posted to the Connector.
      const tell = context.activity.value?.tell;
      if (typeof tell === 'string') await context.sendActivity(`count ${next}: ${tell}`);
      await context.sendActivity({
        type: 'invokeResponse',
        // An invoke may ask for a padded answer (`value.pad`), to make it large.
        value: { status: 200, body: { count: next, run: runs.length, ...context.activity.value?.pad } },
      });
    } else {
      await context.sendActivity(`count ${next}: ${context.activity.text}`);
    }
  };
  const documentOf = async (conversationId: string) => {
    const key = `emulator/conversations/${conversationId}`;
    return (await stores.storage.read([key]))[key] as Record<string, unknown> | undefined;
  };
  const inFlight = new InFlightWork();
  const channel = createBotFrameworkChannel({
    credentials: {},
    pipeline,
    bot,
    inFlight,
    logger: silentLogger,
    stores,
  });
  const server: HttpServer = createHttpServer(silentLogger);
  channel.mount(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    runs,
    count: async (conversationId) => (await documentOf(conversationId))?.count as number | undefined,
    document: documentOf,
    points: async (key) => (await plugin.ledger.history(memberOf(key))).map((entry) => entry.delta).reverse(),
    close: async () => {
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inFlight.drain(5_000);
      await channel.close?.();
    },
  };
}

/** The member id of the identity key `key` (a member id has no colon). */
function memberOf(key: string): string {
  return `member-${key.replace(':', '-')}`;
}

/** An activity of the Emulator's conversation `conversationId` (an invoke unless `extra` says). */
export function emulatorActivity(id: string, conversationId: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'invoke',
    name: 'composeExtension/query',
    id,
    channelId: 'emulator',
    serviceUrl: 'http://127.0.0.1:9/',
    conversation: { id: conversationId },
    from: { id: 'user-7', name: 'Ana' },
    recipient: { id: 'bot', name: 'Relevo' },
    value: { query: 'ORD-100002' },
    ...extra,
  };
}

/** POSTs `body` to the channel's `/api/messages`: the answer's status and JSON body. */
export async function postActivity(base: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
