import type { AddressInfo } from 'node:net';
import type { Channel, TurnLogic } from '../core/channel.js';
import type { Clock } from '../core/clock.js';
import { InFlightWork } from '../core/in-flight.js';
import { OpenApiRegistry } from '../core/openapi.js';
import type { Logger } from '../core/logger.js';
import type { OrderService } from '../dialogs/index.js';
import type { NluRecognizer } from '../nlu-models/index.js';
import { createStores, type Stores } from '../storage/stores.js';
import type { Config } from './config.js';
import { createChannels } from './channels.js';
import { composeAgent } from './compose-agent.js';
import { mountGamificationRoutes } from '../gamification/index.js';
import { AgentConsole, createAgentDesk, createHandoffWaypoints } from '../handoff/index.js';
import { buildProfile } from '../identity/index.js';
import { loyaltyProfileSection } from './loyalty-port.js';
import { adminPointsOutcomes } from './outcome-hooks.js';
import { mountHealth } from './health.js';
import { createHttpServer, type HttpServer } from './http-server.js';

/** The version `/openapi.json` reports; kept in step with package.json by a test. */
export const RELEVO_VERSION = '0.1.0';

export interface RelevoOptions {
  config: Config;
  logger: Logger;
  /** Your own bot's turn logic (an `ActivityHandler`'s `run`) instead of the Relevo agent. */
  bot?: TurnLogic;
  /** The shop's order system; default: the demo store (dialogs/demo-orders.ts). */
  orders?: OrderService;
  /** A recognizer built elsewhere (tests share one); default: the retail model, cached on disk. */
  recognizer?: NluRecognizer;
  /** The agent's clock (loyalty, handoffs, the desk, analytics); default the system's. Tests move it by hand. */
  clock?: Clock;
}

/** A composed Relevo agent: its server, stores and lifecycle. */
export interface Relevo {
  readonly server: HttpServer;
  readonly stores: Stores;
  readonly channels: readonly Channel[];
  /** Turns and sends in progress; shutdown waits for them. */
  readonly inFlight: InFlightWork;
  /** Starts listening on the configured host and port; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, finishes in-flight work (bounded by SHUTDOWN_TIMEOUT_MS), closes the stores. */
  close(): Promise<void>;
}

/**
 * The composition root (DESIGN.md §1): builds the stores, the adapters and the middleware from the
 * validated configuration and mounts every route on one restify server.
 */
export async function createRelevo(options: RelevoOptions): Promise<Relevo> {
  const { config, logger } = options;
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_URLS) {
    logger.warn('REDIS_URL is not set: running on embedded in-memory stores; all data is lost on restart');
  }
  const stores = await createStores({
    redisUrl: config.REDIS_URL,
    redisClusterUrls: config.REDIS_CLUSTER_URLS,
    prefix: config.REDIS_KEY_PREFIX,
    logger,
    redisCommandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  const inFlight = new InFlightWork();
  const server = createHttpServer(logger);
  const { pipeline, bot, identity, loyalty, handoffs, adapters, conversationErasers, analytics } =
    await composeAgent({
      ...options,
      stores,
      inFlight,
    });
  const channels = await createChannels({ config, logger, stores, inFlight, pipeline, bot });
  // The desk replies through the customer's own channel; Bot Framework channel ids are learned per turn.
  for (const channel of channels)
    if (channel.adapter && channel.name !== 'botframework') adapters.set(channel.name, channel.adapter);
  // An erase deletes what a channel itself keeps of the member's conversations (web chat's log).
  for (const channel of channels) {
    const erase = channel.eraseConversation;
    if (erase) conversationErasers.set(channel.name, (conversationId) => erase.call(channel, conversationId));
  }
  for (const channel of channels) channel.mount(server);

  const openapi = new OpenApiRegistry();
  server.get('/openapi.json', async (_req, res) => {
    res.json(openapi.document(RELEVO_VERSION));
  });
  identity.mount(server, openapi);
  mountGamificationRoutes(server, {
    ...loyalty,
    apiToken: config.RELEVO_API_TOKEN,
    openapi,
    onPointsWritten: adminPointsOutcomes(analytics),
  });
  const desk = createAgentDesk({
    handoffs,
    stores,
    accountsJson: config.AGENT_ACCOUNTS,
    apiToken: config.RELEVO_API_TOKEN,
    secureCookies: config.AGENT_COOKIE_SECURE,
    hubSecret: config.HANDOFF_HUB_SECRET,
    ...(options.clock ? { clock: options.clock } : {}),
    profileOf: async (memberId) => {
      const member = await identity.members.get(memberId);
      return (
        member && {
          ...(await buildProfile(identity.members, member, {
            transcripts: stores.transcripts,
            sections: [loyaltyProfileSection(loyalty)],
          })),
        }
      );
    },
  });
  desk.mount(server, openapi);
  analytics.mount(server, {
    openapi,
    apiToken: config.RELEVO_API_TOKEN,
    authenticate: (req) => desk.authenticate(req),
  });
  const agentConsole = new AgentConsole(desk, logger);
  agentConsole.mount(server);
  const waypoints = createHandoffWaypoints({
    handoffs,
    stores,
    waitingMs: config.HANDOFF_WAITING_MS,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  mountHealth(server, {
    storage: stores.kind,
    ping: () => stores.ping(),
    channels: () => Object.fromEntries(channels.map((channel) => [channel.name, channel.health()])),
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    stores,
    channels,
    inFlight,
    listen: async () => {
      const address = await new Promise<AddressInfo>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(config.PORT, config.HOST, () => {
          server.server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
      await Promise.all(channels.map((channel) => channel.start()));
      identity.start();
      waypoints.start();
      logger.info({ port: address.port, host: config.HOST, storage: stores.kind }, 'Relevo is listening');
      return address;
    },
    close: () => {
      closing ??= (async () => {
        // One deadline for the whole shutdown: a step waiting on a Redis that is gone (a queue's
        // blocking read, a flush) must not keep the process past SHUTDOWN_TIMEOUT_MS.
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.server.closeIdleConnections();
        const finished = await settlesBefore(deadline, async () => {
          // Channels stop taking new work (IMAP IDLE, sockets) while running turns finish.
          await Promise.all(channels.map((channel) => channel.close()));
          await identity.close();
          await waypoints.stop();
          await agentConsole.close();
          await analytics.close();
          if (!(await inFlight.drain(Math.max(0, deadline - Date.now())))) return false;
          // Outcomes the last turns queued, written before Redis closes.
          await analytics.flush();
          return true;
        });
        if (!finished)
          logger.warn({ inFlight: inFlight.size }, 'shutdown timeout: abandoning unfinished work');
        // Keep-alive sockets still open after the drain would hold the process: end them.
        server.server.closeAllConnections();
        await stopped;
        await stores.close();
      })();
      return closing;
    },
  };
}

/** Runs `steps`; `true` if they finish with `true` before `deadline` (epoch ms), `false` otherwise. */
async function settlesBefore(deadline: number, steps: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([steps(), late]);
  } finally {
    clearTimeout(timer);
  }
}
