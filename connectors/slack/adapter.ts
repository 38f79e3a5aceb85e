import { App, type Receiver } from '@slack/bolt';
import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import type { TurnLogic } from '../../core/channel.js';
import { RelevoError } from '../../core/errors.js';
import { type InboundDelivery, inboundDelivery } from '../../core/turn-state.js';
import { RelevoAdapter, type RelevoAdapterOptions } from '../shared/relevo-adapter.js';
import { lookupOncePerTurn } from '../shared/sent-replies.js';
import {
  boltLogger,
  type SlackAuth,
  SlackClient,
  type SlackClientOptions,
  type SlackReplyPlace,
} from './client.js';
import {
  isBlockActions,
  isEventCallback,
  parseSlackConversationId,
  type SlackBody,
  type SlackBlockActions,
  type SlackEventCallback,
  slackActionToActivity,
  slackEventToActivity,
} from './inbound.js';
import { postThroughOutage, type SlackOutageOptions } from './outage.js';
import { renderSlackActivity } from './outbound.js';

export interface SlackAdapterOptions extends RelevoAdapterOptions, SlackClientOptions {
  /** How `delay` activities wait; injected so tests need not. */
  sleep?: (ms: number) => Promise<void>;
  /** How a queued turn's reply rides out a Slack outage (see {@link postThroughOutage}). */
  outage?: SlackOutageOptions | undefined;
}

/** Retry headers of one delivery, passed to Bolt's context as Bolt's own receivers do. */
export interface SlackDelivery {
  retryNum?: number;
  retryReason?: string;
}

/** Bolt's `context` keys under which a delivery carries the turn logic and its queue delivery to our listeners. */
const LOGIC_KEY = 'relevoLogic';
const INBOUND_KEY = 'relevoInbound';

/**
 * The Slack channel's BotAdapter. Request handling runs through a Bolt `App` (its middleware drops
 * our own messages; its listeners route messages, mentions and button clicks), whose transport is
 * Relevo's route: the route verifies, queues and acknowledges; the queued body's turn is {@link dispatch}.
 * Replies go out with `chat.postMessage` in the conversation's channel and thread, so a human agent's
 * messages sent through `continueConversation` during a handoff land in the customer's thread too.
 */
export class SlackAdapter extends RelevoAdapter {
  readonly client: SlackClient;
  private readonly options: SlackAdapterOptions;
  private app: App | undefined;
  private auth: SlackAuth | undefined;

  constructor(options: SlackAdapterOptions) {
    super(options);
    this.options = options;
    this.client = new SlackClient(options);
  }

  /** Who the bot is, once {@link start} has run. */
  get identity(): SlackAuth | undefined {
    return this.auth;
  }

  get isReady(): boolean {
    return this.app !== undefined;
  }

  /** Asks Slack who the bot token belongs to (`auth.test`) and builds the Bolt app around that identity. */
  async start(): Promise<SlackAuth> {
    const auth = await this.client.authTest();
    this.auth = auth;
    this.app = this.createApp(auth);
    return auth;
  }

  /**
   * The activity a Slack body runs a turn for (a message, mention or button click of a customer), or
   * `null` when it runs none: what the route queues, and what {@link dispatch}'s listeners run.
   */
  activityOf(body: SlackBody): Partial<Activity> | null {
    if (!this.auth) return null;
    if (isEventCallback(body)) return slackEventToActivity(body, this.auth);
    if (isBlockActions(body)) return slackActionToActivity(body, this.auth);
    return null;
  }

  /**
   * Runs one verified, already acknowledged Slack body through Bolt and, for messages, mentions and
   * button clicks, through the pipeline and `logic`. Resolves when the turn is done. `inbound` is the
   * delivery of a body from the durable inbound queue.
   */
  async dispatch(
    body: SlackBody,
    delivery: SlackDelivery,
    logic: TurnLogic,
    inbound?: InboundDelivery,
  ): Promise<void> {
    if (!this.app) {
      throw new RelevoError('RELEVO_SLACK_NOT_READY', 'the Slack channel has not started yet', {
        statusCode: 503,
      });
    }
    await this.app.processEvent({
      body: body as unknown as Record<string, unknown>,
      // The route has already answered Slack (within its 3-second deadline): nothing is left to ack.
      ack: async () => {},
      ...(delivery.retryNum === undefined ? {} : { retryNum: delivery.retryNum }),
      ...(delivery.retryReason === undefined ? {} : { retryReason: delivery.retryReason }),
      customProperties: { [LOGIC_KEY]: logic, ...(inbound ? { [INBOUND_KEY]: inbound } : {}) },
    });
  }

  /**
   * Sends each activity in order and resolves with Slack's `ts` of each posted message (`''` for
   * activities Slack has no rendering for, such as typing), or rejects with `RELEVO_SLACK_API`.
   */
  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    for (const activity of activities) {
      const target = parseSlackConversationId(activity.conversation?.id ?? context.activity.conversation?.id);
      const outbound = renderSlackActivity(activity, target);
      switch (outbound.kind) {
        case 'post': {
          const { message } = outbound;
          const place = {
            channel: message.channel,
            threadTs: message.thread_ts,
            oldest: answeredTs(context),
          };
          const signal = inboundDelivery(context)?.signal;
          const post = (replyKey?: string) =>
            replyKey
              ? postThroughOutage(
                  this.client,
                  message,
                  place,
                  replyKey,
                  this.logger,
                  this.options.outage,
                  signal,
                )
              : this.client.postMessage(message);
          const id = await this.sendOnce(context, post, {
            findSent: (replyKey) => this.findSent(context, place, replyKey),
          });
          responses.push({ id });
          break;
        }
        case 'delay':
          await (this.options.sleep ?? defaultSleep)(outbound.ms);
          responses.push({ id: '' });
          break;
        case 'skip':
          this.logger.debug({ type: activity.type, reason: outbound.reason }, 'activity not sent to Slack');
          responses.push({ id: '' });
          break;
        default:
          return outbound satisfies never;
      }
    }
    return responses;
  }

  /**
   * The `ts` of the reply an earlier run posted under `replyKey` in `place`, or `undefined`. The first
   * call of a run reads `place` once ({@link SlackClient.findReplies}); its other replies are answered
   * from what that read found: an earlier run of the turn is over, so one read sees all it posted.
   * Rejects (the reply is then posted, with a warning) when the read failed or was cut short before
   * finding the key.
   */
  private async findSent(context: TurnContext, place: SlackReplyPlace, replyKey: string) {
    const at = [place.channel, place.threadTs ?? '', place.oldest ?? ''].join(' ');
    const { sent, complete } = await lookupOncePerTurn(context, at, () => this.client.findReplies(place));
    const ts = sent.get(replyKey);
    if (ts !== undefined || complete) return ts;
    throw new RelevoError('RELEVO_SLACK_API', 'Slack refused the rest of the look for sent replies', {
      statusCode: 502,
    });
  }

  private createApp(auth: SlackAuth): App {
    // Bolt needs a receiver; ours is the restify route, so this one only satisfies the interface.
    const receiver: Receiver = { init: () => {}, start: async () => {}, stop: async () => {} };
    const app = new App({
      token: this.options.botToken,
      botUserId: auth.userId,
      ...(auth.botId ? { botId: auth.botId } : {}),
      receiver,
      clientOptions: this.client.webClientOptions(),
      logger: boltLogger(this.logger),
      ignoreSelf: true,
      // Conversation state lives in Relevo's storage, not in Bolt's per-process memory store.
      convoStore: false,
      tokenVerificationEnabled: false,
    });
    const runTurn = async (activity: Partial<Activity> | null, context: Record<string, unknown>) => {
      const logic = context[LOGIC_KEY] as TurnLogic | undefined;
      if (!activity || !logic) return;
      await this.processActivity(activity, logic, context[INBOUND_KEY] as InboundDelivery | undefined);
    };
    app.event('message', ({ body, context }) =>
      runTurn(slackEventToActivity(body as SlackEventCallback, auth), context),
    );
    app.event('app_mention', ({ body, context }) =>
      runTurn(slackEventToActivity(body as SlackEventCallback, auth), context),
    );
    app.action({ type: 'block_actions' }, ({ body, context }) =>
      runTurn(slackActionToActivity(body as unknown as SlackBlockActions, auth), context),
    );
    // Let failures reach the route, which logs them once and frees the delivery for Slack's retry.
    app.error(async (error) => {
      throw error;
    });
    return app;
  }
}

/**
 * The `ts` of the message a turn answers (a customer's message, or the one whose button was clicked):
 * the turn's replies are newer, so a look for one reads no further back.
 */
function answeredTs(context: TurnContext): string | undefined {
  const slack = (context.activity.channelData as { slack?: { ts?: unknown } } | undefined)?.slack;
  return typeof slack?.ts === 'string' ? slack.ts : context.activity.replyToId;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
