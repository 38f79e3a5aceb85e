import type { AddressInfo } from 'node:net';
import { createWebChatChannel } from '../../connectors/webchat/index.js';
import type { Channel, Pipeline, TurnLogic } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import { InFlightWork } from '../../core/in-flight.js';
import { silentLogger } from '../../core/logger.js';
import { createHttpServer, type HttpServer } from '../../bots/http-server.js';
import { createPipeline } from '../../bots/pipeline.js';
import { createStores, type Stores } from '../../storage/stores.js';

/** A real restify server on a loopback port serving Relevo's Direct Line with the given bot. */
export interface WebChatServer {
  readonly base: string;
  readonly domain: string;
  readonly stores: Stores;
  readonly channel: Channel;
  close(): Promise<void>;
}

export async function startWebChatServer(options: {
  bot: TurnLogic;
  secret?: string;
  clock?: Clock;
  redisUrl?: string;
  prefix?: string;
  /** How soon a failed queued turn is tried again (the inbound queue's visibility timeout). */
  visibilityMs?: number;
  /** Stores made by the caller (closed with the server); default: new ones on `redisUrl` or in memory. */
  stores?: Stores;
  /** The turn pipeline (a composed agent's); default: `createPipeline` on the stores. */
  pipeline?: Pipeline;
}): Promise<WebChatServer> {
  const stores =
    options.stores ?? (await createStores({ redisUrl: options.redisUrl, prefix: options.prefix }));
  const inFlight = new InFlightWork();
  const server: HttpServer = createHttpServer(silentLogger);
  const channel = createWebChatChannel({
    stores,
    pipeline: options.pipeline ?? createPipeline({ stores, logger: silentLogger }),
    bot: options.bot,
    logger: silentLogger,
    inFlight,
    secret: options.secret,
    clock: options.clock,
    visibilityMs: options.visibilityMs,
  });
  channel.mount(server);
  await channel.start();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    domain: `${base}/v3/directline`,
    stores,
    channel,
    close: async () => {
      await channel.close();
      server.server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inFlight.drain(5_000);
      await stores.close();
    },
  };
}

/** A bot that answers every message with `echo: <text>` and remembers who it talked to. */
export function echoBot(seen: string[] = []): TurnLogic {
  return async (context) => {
    if (context.activity.type !== 'message') return;
    seen.push(context.activity.from.id);
    await context.sendActivity(`echo: ${context.activity.text}`);
  };
}
