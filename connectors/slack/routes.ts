import type { IncomingMessage } from 'node:http';
import type { Server } from 'restify';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type ChannelInbound, deliveryEnvelope } from '../shared/channel-inbound.js';
import { readRawBody } from '../shared/read-body.js';
import type { SlackAdapter, SlackDelivery } from './adapter.js';
import { parseSlackBody, type SlackBody, slackDeliveryId } from './inbound.js';
import { requireSlackShape, slackBodyLabel } from './payload-shape.js';
import { verifySlackRequest } from './verify.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackRouteOptions {
  adapter: SlackAdapter;
  signingSecret: string;
  /** The channel's durable inbound queue: a delivery is acknowledged once it is queued there. */
  inbound: ChannelInbound;
  logger: Logger;
  clock?: Clock;
  /** Largest body accepted; Slack's payloads are far smaller. */
  maxBodyBytes?: number;
}

/** What the Slack channel queues for one delivery: the body (its turn runs through Bolt) and its retry headers. */
export interface SlackQueuedDelivery {
  body: SlackBody;
  delivery: SlackDelivery;
}

/** The name of the queued event carrying a {@link SlackQueuedDelivery} as its `value`. */
export const SLACK_DELIVERY_EVENT = 'relevo.slack.delivery';

/**
 * `POST /slack/events`, Slack's Events API and interactivity endpoint, in the order STYLE.md rule 2
 * fixes: verify the signature on the raw body (a forged request costs no parsing and runs no turn) →
 * check the fields the inbound code reads of what runs a turn (else 400 with `X-Slack-No-Retry`, logged,
 * and nothing is queued: payload-shape.ts) →
 * answer `url_verification` → queue the delivery durably under its id (`event_id` or `trigger_id`),
 * so a retry (`X-Slack-Retry-Num`) or a duplicate sent to another process is recognised there and runs
 * nothing new → acknowledge with 200 → run the turn. Slack wants the answer within 3 seconds; the
 * queue's one write costs milliseconds and the turn (NLU, dialogs, replies) never delays it. If the
 * delivery cannot be queued the answer is a 503, and Slack delivers it again.
 * @see https://api.slack.com/apis/events-api#responding
 * @see https://api.slack.com/apis/events-api#retries
 */
export function mountSlackRoutes(server: Server, options: SlackRouteOptions): void {
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ channel: 'slack' });
  server.post(SLACK_EVENTS_PATH, async (req, res) => {
    // Signatures are computed over the exact bytes sent: read them before anything parses them.
    const rawBody = (await readRawBody(req, options.maxBodyBytes ?? 1024 * 1024)).toString('utf8');
    verifySlackRequest({
      signingSecret: options.signingSecret,
      headers: {
        timestamp: header(req, 'x-slack-request-timestamp'),
        signature: header(req, 'x-slack-signature'),
      },
      rawBody,
      nowMs: clock.now(),
    });
    let body: SlackBody | undefined;
    try {
      body = parseSlackBody(rawBody, header(req, 'content-type'));
      requireSlackShape(body);
    } catch (error) {
      // A malformed body stays malformed: each of Slack's retries would be refused alike, and would
      // count toward Slack disabling the app's events. https://api.slack.com/apis/events-api#retries
      res.header('X-Slack-No-Retry', '1');
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ ...slackBodyLabel(body), reason }, 'Slack delivery refused as malformed');
      throw error;
    }
    if (body.type === 'url_verification') {
      // https://api.slack.com/events/url_verification
      res.json(200, { challenge: (body as { challenge?: unknown }).challenge });
      return;
    }
    if (!options.adapter.isReady) {
      // Not acknowledged: Slack retries, by which time the channel has started.
      throw new RelevoError('RELEVO_SLACK_NOT_READY', 'the Slack channel has not started yet', {
        statusCode: 503,
      });
    }
    const activity = options.adapter.activityOf(body);
    const deliveryId = slackDeliveryId(body);
    if (!activity || !deliveryId) {
      // Our own messages, other bots, edits, chatter without a mention: acknowledged, no turn.
      res.send(200);
      return;
    }
    const retryNum = header(req, 'x-slack-retry-num');
    const retryReason = header(req, 'x-slack-retry-reason');
    const queued: SlackQueuedDelivery = {
      body,
      delivery: {
        ...(retryNum === undefined ? {} : { retryNum: Number(retryNum) }),
        ...(retryReason === undefined ? {} : { retryReason }),
      },
    };
    const { partition, envelope } = deliveryEnvelope(SLACK_DELIVERY_EVENT, activity, queued);
    const isNew = await options.inbound.accept(partition, deliveryId, envelope);
    if (!isNew) {
      logger.info({ deliveryId, retryNum, retryReason }, 'Slack delivery queued before; acknowledged');
    }
    res.send(200);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
