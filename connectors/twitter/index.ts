import type { Agent } from 'node:https';
import type { Channel, Pipeline, TurnLogic } from '../../core/channel.js';
import { offChannel } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../../storage/stores.js';
import { ChannelInbound } from '../shared/channel-inbound.js';
import { type SentimentOf, TwitterAdapter } from './adapter.js';
import type { XChannelData } from './inbound.js';
import { mountXRoutes, X_DEDUPE_TTL_MS } from './routes.js';

export { type SentimentOf, TwitterAdapter, type TwitterAdapterOptions } from './adapter.js';
export { XClient, type XClientOptions } from './client.js';
export { parseXConversationId, xConversationId } from './inbound.js';
export { publicInvitation } from './outbound.js';
export { X_WEBHOOK_PATH } from './routes.js';
export { verifyXSignature, xCrcResponse, xSignature } from './verify.js';

export interface TwitterChannelOptions {
  /** `X_CONSUMER_KEY` / `X_CONSUMER_SECRET`: the app's keys; the secret also signs webhooks. */
  consumerKey: string | undefined;
  consumerSecret: string | undefined;
  /** `X_ACCESS_TOKEN` / `X_ACCESS_SECRET`: our account's user-context tokens. */
  accessToken: string | undefined;
  accessSecret: string | undefined;
  /** `X_USER_ID`: our account's numeric id. */
  userId: string | undefined;
  /** `X_API_URL`; X's own when absent. */
  apiUrl?: string | undefined;
  logger: Logger;
  inFlight: InFlightWork;
  pipeline: Pipeline;
  bot: TurnLogic;
  /** The durable inbound queue, its locks and the record of sent replies. */
  stores: Stores;
  clock?: Clock;
  httpsAgent?: Agent;
  sleep?: (ms: number) => Promise<void>;
  sentiment?: SentimentOf;
  /** `MAX_BODY_BYTES`: largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number | undefined;
  /** `INBOUND_VISIBILITY_MS`: how soon another process takes over a dead one's queued turns. */
  visibilityMs?: number | undefined;
}

/**
 * The X channel: `GET|POST /twitter/webhook` on the shared server and a {@link TwitterAdapter} for DMs,
 * the public invitation reply and proactive messages. Off (and `/healthz` says why) unless all five
 * X settings are present. Webhook events go through the durable inbound queue (`x`), which remembers
 * their ids as long as X may re-deliver them.
 */
export function createTwitterChannel(options: TwitterChannelOptions): Channel {
  const { consumerKey, consumerSecret, accessToken, accessSecret, userId } = options;
  if (!consumerKey || !consumerSecret || !accessToken || !accessSecret || !userId) {
    return offChannel(
      'x',
      'set X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET and X_USER_ID to turn it on',
    );
  }
  const adapter = new TwitterAdapter({
    consumerKey,
    consumerSecret,
    accessToken,
    accessSecret,
    userId,
    apiUrl: options.apiUrl,
    logger: options.logger.child({ channel: 'x' }),
    inFlight: options.inFlight,
    pipeline: options.pipeline,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.httpsAgent ? { httpsAgent: options.httpsAgent } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.sentiment ? { sentiment: options.sentiment } : {}),
    sentReplies: options.stores.idempotency,
  });
  const inbound = new ChannelInbound({
    name: 'x',
    stores: options.stores,
    inFlight: options.inFlight,
    logger: options.logger.child({ channel: 'x' }),
    visibilityMs: options.visibilityMs,
    retentionMs: X_DEDUPE_TTL_MS,
    handler: (entry) => {
      const x = (entry.activity.channelData as { x?: XChannelData } | undefined)?.x;
      return adapter.handle(
        { eventId: entry.id, source: x?.source ?? 'dm', activity: entry.activity },
        options.bot,
        {
          id: entry.id,
          attempt: entry.attempt,
          firstRunAt: entry.firstRunAt,
          commit: entry.commit,
          signal: entry.signal,
        },
      );
    },
  });
  return {
    name: 'x',
    adapter,
    health: () => ({ status: 'on', detail: `account ${userId}` }),
    mount: (server) =>
      mountXRoutes(server, {
        adapter,
        consumerSecret,
        inbound,
        logger: options.logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
      }),
    start: async () => {
      inbound.start();
    },
    close: () => inbound.stop(),
  };
}
