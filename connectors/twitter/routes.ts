import type { IncomingMessage } from 'node:http';
import type { Server } from 'restify';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { type ChannelInbound, conversationPartition } from '../shared/channel-inbound.js';
import { readRawBody } from '../shared/read-body.js';
import type { TwitterAdapter } from './adapter.js';
import { parseXBody, type XWebhookBody, xEventsToInbound } from './inbound.js';
import { requireXBody } from './payload-shape.js';
import { verifyXSignature, xCrcResponse } from './verify.js';

export const X_WEBHOOK_PATH = '/twitter/webhook';
/** Delivery ids are remembered this long: longer than X re-delivers, and longer than {@link MAX_EVENT_AGE_MS}. */
export const X_DEDUPE_TTL_MS = 6 * 24 * 60 * 60 * 1000;
/** Events older than this are refused, so a captured request replayed after its id expired runs nothing. */
export const MAX_EVENT_AGE_MS = 5 * 24 * 60 * 60 * 1000;

export interface XRouteOptions {
  adapter: TwitterAdapter;
  consumerSecret: string;
  /** The channel's durable inbound queue: a webhook is acknowledged once its events are queued there. */
  inbound: ChannelInbound;
  logger: Logger;
  clock?: Clock;
  maxBodyBytes?: number;
}

/**
 * The Account Activity webhook. `GET` answers X's Challenge-Response Check. `POST` verifies
 * `x-twitter-webhooks-signature` on the raw body before parsing it, refuses (400) a body that is not
 * the documented shape, drops what we sent ourselves, events older than the dedupe window and (with a
 * warning) events that lack a field their turn reads, queues each event durably under its id (X re-delivers, and
 * signatures carry no timestamp: the queue's memory of ids, {@link X_DEDUPE_TTL_MS}, is what absorbs
 * re-deliveries and replays), and only then acknowledges with 200; the turns run from the queue. A
 * webhook whose events could not be queued is answered 503, so X delivers it again.
 * @see https://docs.x.com/x-api/webhooks/quickstart
 */
export function mountXRoutes(server: Server, options: XRouteOptions): void {
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ channel: 'x' });
  server.get(X_WEBHOOK_PATH, async (req, res) => {
    const token = (req.query as Record<string, unknown> | undefined)?.crc_token;
    res.json(200, xCrcResponse(options.consumerSecret, typeof token === 'string' ? token : undefined));
  });
  server.post(X_WEBHOOK_PATH, async (req, res) => {
    // Signatures are computed over the exact bytes sent: read them before anything parses them.
    const rawBody = (await readRawBody(req, options.maxBodyBytes ?? 1024 * 1024)).toString('utf8');
    verifyXSignature(options.consumerSecret, header(req, 'x-twitter-webhooks-signature'), rawBody);
    let body: XWebhookBody;
    try {
      body = parseXBody(rawBody);
      requireXBody(body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ reason }, 'X webhook refused as malformed');
      throw error;
    }
    // A malformed event stays malformed on every re-delivery: it is logged and skipped, and the rest
    // of the body runs and is acknowledged.
    const events = xEventsToInbound(body, options.adapter.userId, ({ problems, ...event }) => {
      logger.warn({ ...event, reason: problems.join('; ') }, 'X event skipped as malformed');
    });
    for (const inbound of events) {
      const sentAt = inbound.activity.timestamp?.getTime();
      if (sentAt !== undefined && clock.now() - sentAt > MAX_EVENT_AGE_MS) {
        logger.warn({ eventId: inbound.eventId }, 'X event older than the dedupe window refused');
        continue;
      }
      const { activity } = inbound;
      const partition = conversationPartition(activity.channelId, activity.conversation?.id);
      if (!(await options.inbound.accept(partition, inbound.eventId, activity))) {
        logger.info({ eventId: inbound.eventId }, 'X event queued before; acknowledged');
      }
    }
    res.send(200);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
