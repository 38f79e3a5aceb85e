import { createBotFrameworkChannel } from '../connectors/botframework/index.js';
import { createEmailChannel } from '../connectors/email/index.js';
import { createSlackChannel } from '../connectors/slack/index.js';
import { createTwitterChannel } from '../connectors/twitter/index.js';
import { createWebChatChannel } from '../connectors/webchat/index.js';
import type { Channel, Pipeline, TurnLogic } from '../core/channel.js';
import type { InFlightWork } from '../core/in-flight.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../storage/stores.js';
import type { Config } from './config.js';

/** What every connector's factory may use; connectors take typed options, never `Config` itself. */
export interface ChannelDependencies {
  config: Config;
  logger: Logger;
  stores: Stores;
  inFlight: InFlightWork;
  pipeline: Pipeline;
  bot: TurnLogic;
}

/**
 * Every channel of the agent, on or off according to its settings. One entry per connector: the
 * connector's `create…Channel(options)` with options mapped from the configuration here.
 */
export function createChannels(deps: ChannelDependencies): Channel[] {
  const { config, ...shared } = deps;
  return [
    createWebChatChannel({
      ...shared,
      secret: config.DIRECTLINE_SECRET,
      maxBodyBytes: config.MAX_BODY_BYTES,
      visibilityMs: config.INBOUND_VISIBILITY_MS,
    }),
    createBotFrameworkChannel({
      ...shared,
      credentials: {
        appId: config.MicrosoftAppId,
        appPassword: config.MicrosoftAppPassword,
        appType: config.MicrosoftAppType,
        tenantId: config.MicrosoftAppTenantId,
      },
      maxBodyBytes: config.MAX_BODY_BYTES,
    }),
    createSlackChannel({
      ...shared,
      signingSecret: config.SLACK_SIGNING_SECRET,
      botToken: config.SLACK_BOT_TOKEN,
      apiUrl: config.SLACK_API_URL,
      maxBodyBytes: config.MAX_BODY_BYTES,
      visibilityMs: config.INBOUND_VISIBILITY_MS,
    }),
    createTwitterChannel({
      ...shared,
      consumerKey: config.X_CONSUMER_KEY,
      consumerSecret: config.X_CONSUMER_SECRET,
      accessToken: config.X_ACCESS_TOKEN,
      accessSecret: config.X_ACCESS_SECRET,
      userId: config.X_USER_ID,
      apiUrl: config.X_API_URL,
      maxBodyBytes: config.MAX_BODY_BYTES,
      visibilityMs: config.INBOUND_VISIBILITY_MS,
    }),
    createEmailChannel({
      ...shared,
      storage: shared.stores.storage,
      idempotency: shared.stores.idempotency,
      imapUrl: config.IMAP_URL,
      smtpUrl: config.SMTP_URL,
      from: config.EMAIL_FROM,
    }),
  ];
}
