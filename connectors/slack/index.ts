import type { Channel, Pipeline, TurnLogic } from '../../core/channel.js';
import { offChannel } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../../storage/stores.js';
import { ChannelInbound } from '../shared/channel-inbound.js';
import { SlackAdapter } from './adapter.js';
import type { SlackOutageOptions } from './outage.js';
import { mountSlackRoutes, SLACK_DELIVERY_EVENT, type SlackQueuedDelivery } from './routes.js';

export { SlackAdapter, type SlackAdapterOptions } from './adapter.js';
export { SlackClient, type SlackAuth } from './client.js';
export { parseSlackConversationId, slackConversationId } from './inbound.js';
export { SLACK_EVENTS_PATH } from './routes.js';
export { slackSignature, verifySlackRequest } from './verify.js';

export interface SlackChannelOptions {
  /** `SLACK_SIGNING_SECRET`; the channel is off without it. */
  signingSecret: string | undefined;
  /** `SLACK_BOT_TOKEN`; the channel is off without it. */
  botToken: string | undefined;
  /** `SLACK_API_URL`; Slack's own when absent. */
  apiUrl?: string | undefined;
  logger: Logger;
  inFlight: InFlightWork;
  pipeline: Pipeline;
  bot: TurnLogic;
  /** The durable inbound queue, its locks and the record of sent replies. */
  stores: Stores;
  clock?: Clock;
  /** `MAX_BODY_BYTES`: largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number | undefined;
  /** `INBOUND_VISIBILITY_MS`: how soon another process takes over a dead one's queued turns. */
  visibilityMs?: number | undefined;
  /** How a reply rides out a Slack outage inside its run; the defaults suit production, tests pass short ones. */
  outage?: SlackOutageOptions | undefined;
}

/**
 * The Slack channel: `POST /slack/events` on the shared server and a {@link SlackAdapter} for replies
 * and proactive messages. Off (and `/healthz` says why) unless both the signing secret and the bot
 * token are set. `start()` calls `auth.test` and fails loudly on a bad token. Deliveries go through the
 * durable inbound queue (`slack`): acknowledged once queued, their turns run in order per conversation.
 */
export function createSlackChannel(options: SlackChannelOptions): Channel {
  const { signingSecret, botToken } = options;
  if (!signingSecret || !botToken) {
    return offChannel('slack', 'set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN to turn it on');
  }
  const adapter = new SlackAdapter({
    botToken,
    apiUrl: options.apiUrl,
    logger: options.logger.child({ channel: 'slack' }),
    inFlight: options.inFlight,
    pipeline: options.pipeline,
    sentReplies: options.stores.idempotency,
    outage: options.outage,
  });
  const inbound = new ChannelInbound({
    name: 'slack',
    stores: options.stores,
    inFlight: options.inFlight,
    logger: options.logger.child({ channel: 'slack' }),
    visibilityMs: options.visibilityMs,
    handler: async (entry) => {
      if (entry.activity.name !== SLACK_DELIVERY_EVENT) return;
      const { body, delivery } = entry.activity.value as SlackQueuedDelivery;
      await adapter.dispatch(body, delivery, options.bot, {
        id: entry.id,
        attempt: entry.attempt,
        commit: entry.commit,
        signal: entry.signal,
      });
    },
  });
  return {
    name: 'slack',
    adapter,
    health: () => {
      const identity = adapter.identity;
      return { status: 'on', detail: identity ? `bot ${identity.userId} in ${identity.team}` : 'starting' };
    },
    mount: (server) =>
      mountSlackRoutes(server, {
        adapter,
        signingSecret,
        inbound,
        logger: options.logger,
        ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
      }),
    start: async () => {
      await adapter.start();
      // Only once Bolt knows who the bot is can queued deliveries (this process's or a dead one's) run.
      inbound.start();
    },
    close: () => inbound.stop(),
  };
}
