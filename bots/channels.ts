import { createBotFrameworkChannel } from '../connectors/botframework/index.js';
import { createWebChatChannel } from '../connectors/webchat/index.js';
import { type Channel, offChannel, type Pipeline, type TurnLogic } from '../core/channel.js';
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
 * Slack, X and email are imported only when one of their settings is set: their client libraries
 * (@slack/bolt, twitter-api-v2, imapflow, mailparser, nodemailer) are a fifth of a start's CPU time.
 */
export async function createChannels(deps: ChannelDependencies): Promise<Channel[]> {
  const { config, ...shared } = deps;
  const configured = (...settings: (string | undefined)[]) => settings.some(Boolean);
  const slack = configured(config.SLACK_SIGNING_SECRET, config.SLACK_BOT_TOKEN)
    ? (await import('../connectors/slack/index.js')).createSlackChannel({
        ...shared,
        signingSecret: config.SLACK_SIGNING_SECRET,
        botToken: config.SLACK_BOT_TOKEN,
        apiUrl: config.SLACK_API_URL,
        maxBodyBytes: config.MAX_BODY_BYTES,
        visibilityMs: config.INBOUND_VISIBILITY_MS,
      })
    : offChannel('slack', 'set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN to turn it on');
  const x = configured(
    config.X_CONSUMER_KEY,
    config.X_CONSUMER_SECRET,
    config.X_ACCESS_TOKEN,
    config.X_ACCESS_SECRET,
    config.X_USER_ID,
  )
    ? (await import('../connectors/twitter/index.js')).createTwitterChannel({
        ...shared,
        consumerKey: config.X_CONSUMER_KEY,
        consumerSecret: config.X_CONSUMER_SECRET,
        accessToken: config.X_ACCESS_TOKEN,
        accessSecret: config.X_ACCESS_SECRET,
        userId: config.X_USER_ID,
        apiUrl: config.X_API_URL,
        maxBodyBytes: config.MAX_BODY_BYTES,
        visibilityMs: config.INBOUND_VISIBILITY_MS,
      })
    : offChannel(
        'x',
        'set X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_SECRET and X_USER_ID to turn it on',
      );
  const email = configured(config.IMAP_URL, config.SMTP_URL, config.EMAIL_FROM)
    ? (await import('../connectors/email/index.js')).createEmailChannel({
        ...shared,
        storage: shared.stores.storage,
        imapUrl: config.IMAP_URL,
        smtpUrl: config.SMTP_URL,
        from: config.EMAIL_FROM,
        visibilityMs: config.INBOUND_VISIBILITY_MS,
      })
    : offChannel('email', 'IMAP_URL, SMTP_URL, EMAIL_FROM not set');
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
        openIdMetadataUrl: config.BOTFRAMEWORK_OPENID_METADATA_URL,
        tokenIssuer: config.BOTFRAMEWORK_TOKEN_ISSUER,
      },
      maxBodyBytes: config.MAX_BODY_BYTES,
      visibilityMs: config.INBOUND_VISIBILITY_MS,
    }),
    slack,
    x,
    email,
  ];
}
