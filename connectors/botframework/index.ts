import type { Channel, Pipeline, TurnLogic } from '../../core/channel.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../../storage/stores.js';
import { ChannelInbound } from '../shared/channel-inbound.js';
import { BotFrameworkAdapter, type BotFrameworkCredentials } from './adapter.js';
import { BOTFRAMEWORK_DELIVERY_EVENT, type BotFrameworkQueuedActivity, mountBotFramework } from './routes.js';

// botbuilder's CloudAdapter owns this channel's wire format both ways (Bot Connector REST), so the
// folder has no client.ts or outbound.ts of its own.
export { BotFrameworkAdapter, type BotFrameworkCredentials } from './adapter.js';

export interface BotFrameworkChannelOptions {
  credentials: BotFrameworkCredentials;
  pipeline: Pipeline;
  bot: TurnLogic;
  inFlight: InFlightWork;
  logger: Logger;
  /** `MAX_BODY_BYTES`: largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number | undefined;
  /** The durable inbound queue, its locks and the record of sent replies. */
  stores: Stores;
  /** `INBOUND_VISIBILITY_MS`: how soon another process takes over a dead one's queued turns. */
  visibilityMs?: number | undefined;
}

/**
 * Azure Bot Service channels (Teams, the Emulator, …) at `POST /api/messages`. JWT validation is on
 * whenever an app id is set; without one, only callers on this machine are served. Messages go through
 * the durable inbound queue (`botframework`); invokes and `expectReplies` run in their request.
 */
export function createBotFrameworkChannel(options: BotFrameworkChannelOptions): Channel {
  const logger = options.logger.child({ channel: 'botframework' });
  const adapter = new BotFrameworkAdapter(
    options.credentials,
    options.pipeline,
    logger,
    options.stores.idempotency,
  );
  const inbound = new ChannelInbound({
    name: 'botframework',
    stores: options.stores,
    inFlight: options.inFlight,
    logger,
    visibilityMs: options.visibilityMs,
    handler: async (entry) => {
      if (entry.activity.name !== BOTFRAMEWORK_DELIVERY_EVENT) return;
      const { activity, auth } = entry.activity.value as BotFrameworkQueuedActivity;
      await adapter.runQueued(auth, activity, options.bot, {
        id: entry.id,
        attempt: entry.attempt,
        commit: entry.commit,
        signal: entry.signal,
      });
    },
  });
  const loopbackOnly = !options.credentials.appId;
  return {
    name: 'botframework',
    adapter,
    health: () => ({ status: 'on', detail: loopbackOnly ? 'loopback only (no MicrosoftAppId)' : 'jwt' }),
    mount: (server) =>
      mountBotFramework(server, {
        adapter,
        bot: options.bot,
        inFlight: options.inFlight,
        logger,
        inbound,
        loopbackOnly,
        ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
      }),
    start: async () => {
      inbound.start();
    },
    close: () => inbound.stop(),
  };
}
