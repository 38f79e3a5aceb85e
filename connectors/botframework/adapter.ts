import {
  type Activity,
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type InvokeResponse,
  type ResourceResponse,
  type TurnContext,
} from 'botbuilder';
import {
  type AuthenticateRequestResult,
  AuthenticationConstants,
  type Claim,
  ClaimsIdentity,
} from 'botframework-connector';
import type { Pipeline, TurnLogic } from '../../core/channel.js';
import { RelevoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  claimedActivity,
  type InboundDelivery,
  inboundDelivery,
  isProactive,
  TurnStateKey,
  turnIncompleteReason,
} from '../../core/turn-state.js';
import type { IdempotencyStore } from '../../storage/types.js';
import { turnReleaser } from '../shared/release-turn.js';
import { SentReplies } from '../shared/sent-replies.js';
import { senderIdentityKey } from './inbound.js';

export interface BotFrameworkCredentials {
  appId?: string | undefined;
  appPassword?: string | undefined;
  appType?: string | undefined;
  tenantId?: string | undefined;
  /** `BOTFRAMEWORK_OPENID_METADATA_URL`: where the channel's token signing keys are published. */
  openIdMetadataUrl?: string | undefined;
  /** `BOTFRAMEWORK_TOKEN_ISSUER`: the `iss` the channel's tokens carry. */
  tokenIssuer?: string | undefined;
}

/**
 * What a queued turn keeps of its request's authentication, to reply later (possibly from another
 * process): the validated token's claims and audience, never the token itself.
 */
export interface QueuedAuthentication {
  claims: Claim[];
  audience: string | undefined;
  callerId: string | undefined;
}

/**
 * botbuilder's settings for {@link BotFrameworkCredentials}. Once any endpoint is configured, botbuilder
 * takes every endpoint from the configuration (`BotFrameworkAuthenticationFactory`), so all are given:
 * public Azure's unless overridden. Only the inbound check can be overridden: replies always get public
 * Azure AD tokens and `CallerId`, so a sovereign cloud is not served. Adding `ChannelService` here
 * would not change that: botbuilder ignores it once any endpoint is passed.
 * `test/connectors/botframework/authentication-settings.test.ts` pins these to botbuilder's defaults.
 */
export function authenticationSettings(credentials: BotFrameworkCredentials) {
  return {
    MicrosoftAppId: credentials.appId,
    MicrosoftAppPassword: credentials.appPassword,
    MicrosoftAppType: credentials.appType,
    MicrosoftAppTenantId: credentials.tenantId,
    ToBotFromChannelOpenIdMetadataUrl:
      credentials.openIdMetadataUrl ?? AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
    ToBotFromChannelTokenIssuer:
      credentials.tokenIssuer ?? AuthenticationConstants.ToBotFromChannelTokenIssuer,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
    OAuthUrl: AuthenticationConstants.OAuthUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
  };
}

/**
 * botbuilder's `CloudAdapter` for Azure Bot Service channels (Teams, the Emulator…): it validates the
 * channel's JWT whenever an app id is configured and replies through the Bot Connector. Relevo adds the
 * identity key (`from.id` becomes `<channel>:<user>`) and runs the shared pipeline. A turn from the
 * durable inbound queue was authenticated when it was queued ({@link authenticate}); it runs with the
 * claims kept then ({@link runQueued}) and sends each reply once across its runs.
 */
export class BotFrameworkAdapter extends CloudAdapter {
  private readonly sentReplies: SentReplies;
  /** Queue deliveries of the activities being run, read by the first middleware onto the turn. */
  private readonly deliveries = new WeakMap<object, InboundDelivery>();
  /** What lets go of each running activity's turn once `CloudAdapter` is done with it (release-turn.ts). */
  private readonly releasers = new WeakMap<object, () => void>();

  constructor(
    credentials: BotFrameworkCredentials,
    pipeline: Pipeline,
    logger: Logger,
    sentReplies: IdempotencyStore,
  ) {
    super(new ConfigurationBotFrameworkAuthentication(authenticationSettings(credentials)));
    this.sentReplies = new SentReplies(sentReplies, logger);
    this.use(async (context, next) => {
      const { from } = context.activity;
      // Keep the channel's own id for anyone who needs to address the user on that channel.
      context.activity.channelData = { ...context.activity.channelData, relevoPlatformUserId: from.id };
      context.activity.from = { ...from, id: senderIdentityKey(context.activity) };
      const release = turnReleaser(context);
      // An agent's reply or a timer's message (proactive): CloudAdapter reads nothing after it, so the
      // turn lets go here; an inbound turn once `released` has its answer.
      if (isProactive(context.activity)) {
        try {
          return await next();
        } finally {
          release();
        }
      }
      this.releasers.set(context.activity, release);
      const delivery = this.deliveries.get(context.activity);
      if (delivery) context.turnState.set(TurnStateKey.inbound, delivery);
      await next();
      const incomplete = delivery && turnIncompleteReason(context);
      if (incomplete) {
        throw new RelevoError('RELEVO_TURN_INCOMPLETE', `The turn's side work failed: ${incomplete}`, {
          details: { activityId: context.activity.id },
        });
      }
    });
    for (const middleware of pipeline) this.use(middleware);
    this.onTurnError = async (context: TurnContext, error: Error) => {
      // A refusal the caller is told about (a retry of an activity still running: 409) is no failure.
      const refused = error instanceof RelevoError && error.statusCode < 500;
      logger[refused ? 'info' : 'error'](
        { err: error, conversationId: context.activity.conversation?.id },
        refused ? 'Bot Framework activity refused' : 'Bot Framework turn failed',
      );
      throw error;
    };
  }

  /** Authenticates the request's `Authorization` header, then runs the turn (invokes, `expectReplies`). */
  run(authorization: string, activity: Activity, logic: TurnLogic): Promise<InvokeResponse | undefined> {
    return this.released(activity, () => this.processActivity(authorization, activity, logic));
  }

  /** Validates the request's `Authorization` header (401 otherwise): what its queued turn keeps. */
  async authenticate(authorization: string, activity: Activity): Promise<QueuedAuthentication> {
    const result = await this.botFrameworkAuthentication.authenticateRequest(activity, authorization);
    return { claims: result.claimsIdentity.claims, audience: result.audience, callerId: result.callerId };
  }

  /** Runs a queued activity's turn with the authentication kept when it was queued. */
  async runQueued(
    auth: QueuedAuthentication,
    activity: Activity,
    logic: TurnLogic,
    delivery: InboundDelivery,
  ): Promise<void> {
    const claimsIdentity = new ClaimsIdentity(auth.claims, true);
    const result: AuthenticateRequestResult = {
      claimsIdentity,
      audience: auth.audience as string,
      callerId: auth.callerId as string,
      connectorFactory: this.botFrameworkAuthentication.createConnectorFactory(claimsIdentity),
    };
    this.deliveries.set(activity, delivery);
    await this.released(activity, () => this.processActivity(result, activity, logic));
  }

  /** Runs a turn, then lets go of its context once `CloudAdapter` has read its invoke response and replies. */
  private async released<T>(activity: Activity, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } finally {
      this.releasers.get(activity)?.();
      this.releasers.delete(activity);
    }
  }

  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    // Queued turns and claimed ones (invokes, whose replay may find a reply sent) send each reply once.
    if (!inboundDelivery(context) && !claimedActivity(context))
      return super.sendActivities(context, activities);
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      const sendOne = async () => (await super.sendActivities(context, [activity]))[0]?.id ?? '';
      // Typing and delays are not replies: a turn run again may show them again.
      const id =
        activity.type === 'message' ? await this.sentReplies.send(context, sendOne) : await sendOne();
      responses.push({ id });
    }
    return responses;
  }
}
