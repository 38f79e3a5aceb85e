import type { AddressInfo } from 'node:net';
import type { BotAdapter, Middleware, TurnContext } from 'botbuilder';
import { createHttpServer, type HttpServer } from '../../bots/http-server.js';
import { createWebChatChannel } from '../../connectors/webchat/index.js';
import type { Channel } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import { InFlightWork } from '../../core/in-flight.js';
import { silentLogger } from '../../core/logger.js';
import { OpenApiRegistry } from '../../core/openapi.js';
import { type MemberSnapshot, TurnStateKey } from '../../core/turn-state.js';
import { hashAgentPassword } from '../../handoff/agent-accounts.js';
import { AgentConsole } from '../../handoff/agent-console.js';
import type { AgentDesk } from '../../handoff/agent-desk.js';
import { createAgentDesk, createHandoffs, createHandoffWaypoints } from '../../handoff/create-handoffs.js';
import { HandoffMiddleware } from '../../handoff/handoff-middleware.js';
import type { Handoffs } from '../../handoff/handoffs.js';
import type { HandoffWaypoints } from '../../handoff/waypoints.js';
import type { NluResult } from '../../nlu-models/recognizer/types.js';
import { DedupeMiddleware } from '../../storage/dedupe-middleware.js';
import { createStores, type Stores } from '../../storage/stores.js';
import { TranscriptMiddleware } from '../../storage/transcript-middleware.js';

/** A deterministic stand-in for the NLU stage: angry words score -0.9, gibberish is out of scope. */
export function keywordNlu(text: string): NluResult {
  const angry = /\b(terrible|angry|awful|worst|horrible|furioso|fatal)\b/i.test(text);
  const gibberish = !/[aeiou]/i.test(text) || /\b(blorp|zzq|qwx)\b/i.test(text);
  const spanish = /\b(hola|quiero|pedido|gracias)\b/i.test(text);
  // Like the real NLU, an angry message reads as a complaint.
  const intent = angry
    ? 'feedback.complaint'
    : /\border\b|\bpedido\b/i.test(text)
      ? 'orders.status'
      : 'chitchat.greet';
  const score = gibberish ? 0.2 : 0.9;
  return {
    text,
    language: spanish ? 'es' : 'en',
    intents: gibberish ? { None: { score: 0.8 }, [intent]: { score } } : { [intent]: { score } },
    entities: {} as NluResult['entities'],
    sentiment: { label: angry ? 'negative' : 'neutral', score: angry ? -0.9 : 0.1, confidence: 0.9 },
    topIntent: gibberish ? 'None' : intent,
    isOutOfScope: gibberish,
  };
}

const nluStage: Middleware = {
  onTurn: async (context: TurnContext, next) => {
    if (context.activity.type === 'message') {
      context.turnState.set(TurnStateKey.nlu, keywordNlu(context.activity.text ?? ''));
    }
    await next();
  },
};

const identityStage = (tier: string | undefined): Middleware => ({
  onTurn: async (context, next) => {
    const member: MemberSnapshot = {
      id: `member-${context.activity.from.id}`,
      // Connectors put the identity key in from.id (core/identity-key.ts).
      identityKeys: [context.activity.from.id],
      isAnonymous: true,
      tier,
      points: 1200,
    };
    context.turnState.set(TurnStateKey.member, member);
    await next();
  },
});

/** The bot: echoes, so a test sees when the bot (not a person) answers. */
async function echo(context: TurnContext): Promise<void> {
  if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
}

export interface HandoffServer {
  readonly base: string;
  readonly domain: string;
  readonly stores: Stores;
  readonly channel: Channel;
  readonly handoffs: Handoffs;
  readonly desk: AgentDesk;
  /** Not started: tests call `tick()` after moving the clock. */
  readonly waypoints: HandoffWaypoints;
  readonly server: HttpServer;
  readonly openapi: OpenApiRegistry;
  close(): Promise<void>;
}

export const TEST_API_TOKEN = 'test-api-token-0123456789';
export const TEST_HUB_SECRET = 'test-hub-secret-0123456789';
export const TEST_AGENTS = [
  { id: 'ana', name: 'Ana', role: 'agent', password: 'ana-secret', languages: ['en', 'es'], maxChats: 2 },
  { id: 'sam', name: 'Sam', role: 'supervisor', password: 'sam-secret', languages: ['en'], maxChats: 3 },
] as const;

/**
 * Web chat (Relevo's Direct Line) with the handoff stage in the pipeline and the agent desk mounted,
 * on a real restify server on a loopback port: dedupe → transcript → identity (test) → handoff →
 * NLU (keywords) → the echo bot.
 */
export async function startHandoffServer(
  options: {
    redisUrl?: string;
    prefix?: string;
    tier?: string;
    clock?: Clock;
    /** Serve the storefront page with Microsoft Web Chat at `/`. */
    demoPage?: boolean;
    mount?: (server: HttpServer, desk: AgentDesk) => void;
  } = {},
): Promise<HandoffServer> {
  const stores = await createStores({ redisUrl: options.redisUrl, prefix: options.prefix });
  const inFlight = new InFlightWork();
  const server = createHttpServer(silentLogger);
  const adapters = new Map<string, BotAdapter>();
  const handoffs = createHandoffs({ stores, adapters, clock: options.clock });
  const waypoints = createHandoffWaypoints({ handoffs, stores, clock: options.clock });
  const accounts = await Promise.all(
    TEST_AGENTS.map(async ({ password, ...account }) => ({
      ...account,
      passwordHash: await hashAgentPassword(password, { N: 1024 }),
    })),
  );
  const desk = createAgentDesk({
    hubSecret: TEST_HUB_SECRET,
    profileOf: async (memberId) => ({
      id: memberId,
      contacts: { webchat: 3, email: 1 },
      transcript: ['dropped by the desk'],
    }),
    handoffs,
    stores,
    accountsJson: JSON.stringify(accounts),
    apiToken: TEST_API_TOKEN,
  });
  const pipeline = [
    new DedupeMiddleware(stores.activities, { logger: silentLogger }),
    new TranscriptMiddleware(stores.transcripts),
    identityStage(options.tier),
    new HandoffMiddleware({ handoffs }),
    nluStage,
  ];
  const channel = createWebChatChannel({
    stores,
    pipeline,
    bot: echo,
    logger: silentLogger,
    inFlight,
    demoPage: options.demoPage ?? false,
  });
  if (channel.adapter) adapters.set('webchat', channel.adapter);
  channel.mount(server);
  const openapi = new OpenApiRegistry();
  desk.mount(server, openapi);
  const agentConsole = new AgentConsole(desk);
  agentConsole.mount(server);
  options.mount?.(server, desk);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    domain: `${base}/v3/directline`,
    stores,
    channel,
    handoffs,
    desk,
    waypoints,
    server,
    openapi,
    close: async () => {
      await agentConsole.close();
      await channel.close();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inFlight.drain(5_000);
      await stores.close();
    },
  };
}
