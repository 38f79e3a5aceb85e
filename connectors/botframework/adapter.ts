import {
  type Activity,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import type { Pipeline, TurnLogic } from '../../core/channel.js';
import type { Logger } from '../../core/logger.js';
import { senderIdentityKey } from './inbound.js';

export interface BotFrameworkCredentials {
  appId?: string | undefined;
  appPassword?: string | undefined;
  appType?: string | undefined;
  tenantId?: string | undefined;
}

/**
 * botbuilder's `CloudAdapter` for Azure Bot Service channels (Teams, the Emulator…): it validates the
 * channel's JWT whenever an app id is configured and replies through the Bot Connector. Relevo adds the
 * identity key (`from.id` becomes `<channel>:<user>`) and runs the shared pipeline.
 */
export class BotFrameworkAdapter extends CloudAdapter {
  constructor(credentials: BotFrameworkCredentials, pipeline: Pipeline, logger: Logger) {
    super(
      new ConfigurationBotFrameworkAuthentication({
        MicrosoftAppId: credentials.appId,
        MicrosoftAppPassword: credentials.appPassword,
        MicrosoftAppType: credentials.appType,
        MicrosoftAppTenantId: credentials.tenantId,
      }),
    );
    this.use(async (context, next) => {
      const { from } = context.activity;
      // Keep the channel's own id for anyone who needs to address the user on that channel.
      context.activity.channelData = { ...context.activity.channelData, relevoPlatformUserId: from.id };
      context.activity.from = { ...from, id: senderIdentityKey(context.activity) };
      await next();
    });
    for (const middleware of pipeline) this.use(middleware);
    this.onTurnError = async (context: TurnContext, error: Error) => {
      logger.error(
        { err: error, conversationId: context.activity.conversation?.id },
        'Bot Framework turn failed',
      );
      throw error;
    };
  }

  /** Authenticates the request's `Authorization` header, then runs the turn. */
  run(authorization: string, activity: Activity, logic: TurnLogic): Promise<InvokeResponse | undefined> {
    return this.processActivity(authorization, activity, logic);
  }
}
