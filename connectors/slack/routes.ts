import type { IncomingMessage } from 'node:http';
import type { Server } from 'restify';
import type { TurnLogic } from '../../core/channel.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { RelevoError } from '../../core/errors.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import type { IdempotencyStore } from '../../storage/types.js';
import { readRawBody } from '../shared/read-body.js';
import type { SlackAdapter } from './adapter.js';
import { parseSlackBody, slackDeliveryId } from './inbound.js';
import { verifySlackRequest } from './verify.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackRouteOptions {
  adapter: SlackAdapter;
  signingSecret: string;
  /** Remembers which deliveries were taken, across processes when on Redis. */
  idempotency: IdempotencyStore;
  logic: TurnLogic;
  logger: Logger;
  /** Turns outlive their request; shutdown waits for them. */
  inFlight: InFlightWork;
  clock?: Clock;
  /** How long a delivery id is remembered; the store's default (6 days) when absent. */
  dedupeTtlMs?: number;
  /** Largest body accepted; Slack's payloads are far smaller. */
  maxBodyBytes?: number;
}

/**
 * `POST /slack/events`, Slack's Events API and interactivity endpoint, in the order STYLE.md rule 2
 * fixes: verify the signature on the raw body (a forged request costs no parsing and runs no turn) →
 * answer `url_verification` → claim the delivery's id (a retry, `X-Slack-Retry-Num`, or a duplicate
 * sent to another process is acknowledged and dropped) → acknowledge with 200 → run the turn.
 * Slack wants the answer within 3 seconds; the turn (NLU, dialogs, replies) never delays it.
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
    const body = parseSlackBody(rawBody, header(req, 'content-type'));
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
    const retryNum = header(req, 'x-slack-retry-num');
    const retryReason = header(req, 'x-slack-retry-reason');
    const deliveryId = slackDeliveryId(body);
    const key = deliveryId ? `slack:delivery:${deliveryId}` : undefined;
    if (key && !(await options.idempotency.claim(key, options.dedupeTtlMs))) {
      logger.info(
        { deliveryId, retryNum, retryReason },
        'Slack delivery already taken; acknowledged and dropped',
      );
      res.send(200);
      return;
    }
    res.send(200);
    const delivery = {
      ...(retryNum === undefined ? {} : { retryNum: Number(retryNum) }),
      ...(retryReason === undefined ? {} : { retryReason }),
    };
    void options.inFlight
      .run(() => options.adapter.dispatch(body, delivery, options.logic))
      .catch(async (error: unknown) => {
        logger.error({ err: error, deliveryId }, 'Slack turn failed');
        // Free the delivery, so that a retry Slack may still send gets its turn.
        if (key) await options.idempotency.release(key).catch(() => {});
      });
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
