import type { IncomingMessage } from 'node:http';
import type { Server } from 'restify';
import type { TurnLogic } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import type { IdempotencyStore } from '../../storage/types.js';
import { readRawBody } from '../shared/read-body.js';
import type { TwitterAdapter } from './adapter.js';
import { parseXBody, type XInbound, xEventsToInbound } from './inbound.js';
import { verifyXSignature, xCrcResponse } from './verify.js';

export const X_WEBHOOK_PATH = '/twitter/webhook';
/** Delivery ids are remembered this long: longer than X re-delivers, and longer than {@link MAX_EVENT_AGE_MS}. */
export const X_DEDUPE_TTL_MS = 6 * 24 * 60 * 60 * 1000;
/** Events older than this are refused, so a captured request replayed after its id expired runs nothing. */
export const MAX_EVENT_AGE_MS = 5 * 24 * 60 * 60 * 1000;

export interface XRouteOptions {
  adapter: TwitterAdapter;
  consumerSecret: string;
  idempotency: IdempotencyStore;
  logic: TurnLogic;
  logger: Logger;
  inFlight: InFlightWork;
  clock?: Clock;
  maxBodyBytes?: number;
}

/**
 * The Account Activity webhook. `GET` answers X's Challenge-Response Check. `POST` verifies
 * `x-twitter-webhooks-signature` on the raw body before parsing it, drops what we sent ourselves,
 * claims each event id (X re-delivers, and signatures carry no timestamp: the claim is what absorbs
 * replays), acknowledges with 200, and only then runs the turns.
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
    const body = parseXBody(rawBody);
    const fresh: XInbound[] = [];
    for (const inbound of xEventsToInbound(body, options.adapter.userId)) {
      const sentAt = inbound.activity.timestamp?.getTime();
      if (sentAt !== undefined && clock.now() - sentAt > MAX_EVENT_AGE_MS) {
        logger.warn({ eventId: inbound.eventId }, 'X event older than the dedupe window refused');
        continue;
      }
      if (await options.idempotency.claim(`x:delivery:${inbound.eventId}`, X_DEDUPE_TTL_MS)) {
        fresh.push(inbound);
      } else {
        logger.info({ eventId: inbound.eventId }, 'X event already taken; acknowledged and dropped');
      }
    }
    res.send(200);
    // X acknowledged: it will not re-deliver, so a failed turn keeps its claim (no second public reply).
    void options.inFlight.run(async () => {
      for (const inbound of fresh) {
        await options.adapter.handle(inbound, options.logic).catch((error: unknown) => {
          logger.error({ err: error, eventId: inbound.eventId }, 'X turn failed');
        });
      }
    });
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
