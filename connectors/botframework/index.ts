import type { Channel, Pipeline, TurnLogic } from '../../core/channel.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import { BotFrameworkAdapter, type BotFrameworkCredentials } from './adapter.js';
import { mountBotFramework } from './routes.js';

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
}

/**
 * Azure Bot Service channels (Teams, the Emulator, …) at `POST /api/messages`. JWT validation is on
 * whenever an app id is set; without one, only callers on this machine are served.
 */
export function createBotFrameworkChannel(options: BotFrameworkChannelOptions): Channel {
  const logger = options.logger.child({ channel: 'botframework' });
  const adapter = new BotFrameworkAdapter(options.credentials, options.pipeline, logger);
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
        loopbackOnly,
        ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
      }),
    start: async () => {},
    close: async () => {},
  };
}
