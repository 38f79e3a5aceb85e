import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import type { TurnLogic } from '../../core/channel.js';
import { type InboundDelivery, inboundDelivery } from '../../core/turn-state.js';
import { RelevoAdapter, type RelevoAdapterOptions } from '../shared/relevo-adapter.js';
import { lookupOncePerTurn } from '../shared/sent-replies.js';
import { RelevoError } from '../../core/errors.js';
import { XClient, type XClientOptions } from './client.js';
import { parseXConversationId, type XChannelData, type XInbound } from './inbound.js';
import { publicInvitation, renderXActivity, sameDmText } from './outbound.js';

/** X's epoch: a snowflake id's high bits are the ms since then (2010-11-04T01:42:54.657Z). */
const X_EPOCH_MS = 1288834974657;

/** Scores a text's sentiment (the NLU's analyser fits); the result is kept on public tweets. */
export type SentimentOf = (text: string, language: string | undefined) => unknown | Promise<unknown>;

export interface TwitterAdapterOptions extends RelevoAdapterOptions, XClientOptions {
  /** `X_USER_ID`: our own account, whose echoed events are ignored and whom DM links point to. */
  userId: string;
  /** When given, each public tweet carries `channelData.x.sentiment` into the pipeline and transcript. */
  sentiment?: SentimentOf;
}

/**
 * The X channel's BotAdapter. DMs run as turns whose replies go back by DM. A public mention runs a
 * turn in the author's DM conversation (same identity key `x:<user id>`): the adapter first posts one
 * short public reply inviting the customer to DM, then everything the agent says goes by DM, so no
 * detail is ever posted in public. Proactive messages (a human agent during a handoff) go by DM too.
 */
export class TwitterAdapter extends RelevoAdapter {
  readonly client: XClient;
  readonly userId: string;
  private readonly sentiment: SentimentOf | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  /** `channelData` objects of the invitations this adapter created: the only messages sent in public. */
  private readonly publicReplies = new WeakSet<object>();

  constructor(options: TwitterAdapterOptions) {
    super(options);
    this.client = new XClient(options);
    this.userId = options.userId;
    this.sentiment = options.sentiment;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Runs one inbound X event (verified by the route; `delivery` when it comes from the durable inbound
   * queue, which deduplicated it) as a turn.
   */
  async handle(inbound: XInbound, logic: TurnLogic, delivery?: InboundDelivery): Promise<void> {
    if (inbound.source === 'dm') return this.processActivity(inbound.activity, logic, delivery);
    const activity = await this.withSentiment(inbound.activity);
    return this.processActivity(
      activity,
      async (context) => {
        await context.sendActivity(this.invitation(context.activity));
        await logic(context);
      },
      delivery,
    );
  }

  /**
   * Sends each activity in order; resolves with X's id of each DM or reply (`''` for what X cannot
   * show, such as typing), or rejects with `RELEVO_X_API` / `RELEVO_X_RATE_LIMITED`.
   */
  override async sendActivities(
    context: TurnContext,
    activities: Partial<Activity>[],
  ): Promise<ResourceResponse[]> {
    const responses: ResourceResponse[] = [];
    // A queued turn's: a send still waiting in the queue (a 429 holds it up to 15 minutes) when the
    // run's lock is lost, or its queue stops, is not sent.
    const signal = inboundDelivery(context)?.signal;
    for (const activity of activities) {
      const participantId = parseXConversationId(
        activity.conversation?.id ?? context.activity.conversation?.id,
      );
      const tweetId = xChannelData(context.activity)?.tweetId;
      const isPublic =
        typeof activity.channelData === 'object' && this.publicReplies.has(activity.channelData);
      const outbound = renderXActivity(activity, {
        participantId,
        ...(isPublic && tweetId ? { publicReplyTo: tweetId } : {}),
      });
      switch (outbound.kind) {
        case 'dm': {
          const { participantId: to, text } = outbound;
          const findSent = (_key: string, taken: ReadonlySet<string>) =>
            this.findSentDm(context, to, text, taken);
          responses.push({
            id: await this.sendOnce(context, () => this.client.sendDm(to, text, signal), { findSent }),
          });
          break;
        }
        case 'reply': {
          const { tweetId: to, text } = outbound;
          const post = () => this.postInvitation(to, text, signal);
          // Our one reply to that post: the post it replied to is in its `referenced_tweets`.
          // Read up to now, not to some time after the claim: the post may have waited long in the
          // send queue (a 429 holds it up to 15 minutes) before it went out.
          const findSent = () =>
            this.client.findPost(this.userId, to, (tweet) =>
              (tweet.referenced_tweets ?? []).some((ref) => ref.type === 'replied_to' && ref.id === to),
            );
          responses.push({ id: await this.sendOnce(context, post, { atMostOnce: true, findSent }) });
          break;
        }
        case 'delay':
          await this.sleep(outbound.ms);
          responses.push({ id: '' });
          break;
        case 'skip':
          this.logger.debug({ type: activity.type, reason: outbound.reason }, 'activity not sent to X');
          responses.push({ id: '' });
          break;
        default:
          return outbound satisfies never;
      }
    }
    return responses;
  }

  /**
   * Posts the public invitation; resolves with `''` (recorded: later runs neither look nor post)
   * when X refuses it for good, as a duplicate or a reply to a deleted post (400, 403, 404): the
   * turn goes on with its DMs instead of failing until the queue gives it up.
   */
  private async postInvitation(to: string, text: string, signal: AbortSignal | undefined): Promise<string> {
    try {
      return await this.client.reply(to, text, signal);
    } catch (error) {
      const status =
        error instanceof RelevoError ? (error.details as { status?: unknown })?.status : undefined;
      if (status !== 400 && status !== 403 && status !== 404) throw error;
      this.logger.warn(
        { err: error, tweetId: to },
        'X refused the public invitation: the turn goes on without it',
      );
      return '';
    }
  }

  /**
   * The id of the DM with `text` an earlier run of the turn sent to `to`, or `undefined`. The first
   * call of a run reads the conversation once ({@link XClient.findDmEvents}); its other DMs are
   * answered from what that read found: the earlier run is over, so one read sees all it sent.
   * Rejects (the DM is then sent, with a warning) when the read failed, or was cut short before
   * finding the DM.
   */
  private async findSentDm(context: TurnContext, to: string, text: string, taken: ReadonlySet<string>) {
    const since = sentSince(context);
    const { events, complete } = await lookupOncePerTurn(context, `${to} ${since ?? ''}`, () =>
      this.client.findDmEvents(to, since),
    );
    // DMs carry no metadata: ours, with this text, not an earlier reply of the turn; oldest first,
    // as the turn sent them.
    const found = events
      .toReversed()
      .find((event) => event.sender_id === this.userId && !taken.has(event.id) && sameDmText(text, event));
    if (found || complete) return found?.id;
    throw new RelevoError('RELEVO_X_LOOKUP_INCOMPLETE', 'X holds more DMs than the look for sent ones read', {
      statusCode: 502,
    });
  }

  private invitation(tweet: Partial<Activity>): Partial<Activity> {
    const channelData = { x: { visibility: 'public' } };
    this.publicReplies.add(channelData);
    return { type: 'message', text: publicInvitation(xChannelData(tweet)?.lang, this.userId), channelData };
  }

  private async withSentiment(activity: Partial<Activity>): Promise<Partial<Activity>> {
    const x = xChannelData(activity);
    if (!this.sentiment || !x) return activity;
    try {
      const sentiment = await this.sentiment(activity.text ?? '', x.lang);
      return { ...activity, channelData: { x: { ...x, sentiment } } };
    } catch (error) {
      // Side work: a failing analyser must not cost the customer their answer.
      this.logger.warn({ err: error }, 'could not score the sentiment of a public post');
      return activity;
    }
  }
}

/**
 * The id our sent DMs of this turn are newer than: the customer's message, or the start of the turn's
 * first run where the queue knows it, as a snowflake (X's ids are time-ordered). A conversation's
 * turns run one at a time, so a DM before then came from an earlier turn. No margin: with the Redis
 * clock ahead of X's, a DM the first run sent at once is sent again rather than lost.
 */
function sentSince(context: TurnContext): string | undefined {
  const message = context.activity.id;
  const startedAt = inboundDelivery(context)?.firstRunAt;
  if (!startedAt || startedAt <= X_EPOCH_MS) return message;
  const started = (BigInt(startedAt) - BigInt(X_EPOCH_MS)) << 22n;
  if (message === undefined || !/^\d+$/.test(message)) return String(started);
  return BigInt(message) > started ? message : String(started);
}

function xChannelData(activity: Partial<Activity>): XChannelData | undefined {
  return (activity.channelData as { x?: XChannelData } | undefined)?.x;
}
