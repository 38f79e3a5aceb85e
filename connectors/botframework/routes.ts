import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import type { Request, Response, Server } from 'restify';
import type { TurnLogic } from '../../core/channel.js';
import { RelevoError } from '../../core/errors.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import { closeAfterTooLarge, parseJsonBody, readRawBody } from '../shared/read-body.js';
import { type ChannelInbound, deliveryEnvelope } from '../shared/channel-inbound.js';
import type { BotFrameworkAdapter, QueuedAuthentication } from './adapter.js';
import { requireActivity } from './inbound.js';
import { isLoopbackAddress, isLoopbackUrl } from './verify.js';

/** Bot Framework activities are small; attachments travel by URL. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface BotFrameworkRouteOptions {
  adapter: BotFrameworkAdapter;
  bot: TurnLogic;
  inFlight: InFlightWork;
  logger: Logger;
  /** The channel's durable inbound queue: an activity is acknowledged once it is queued there. */
  inbound: ChannelInbound;
  /** How long the answer waits for a queued activity's turn before it acknowledges anyway (default 10 s). */
  turnWaitMs?: number;
  /** Without an app id there is no JWT to check: accept callers on this machine only (the Emulator). */
  loopbackOnly: boolean;
  /** Largest body accepted (default 1 MiB). */
  maxBodyBytes?: number;
}

/** What the Bot Framework channel queues for one activity: the activity and its request's authentication. */
export interface BotFrameworkQueuedActivity {
  activity: Activity;
  auth: QueuedAuthentication;
}

/** The name of the queued event carrying a {@link BotFrameworkQueuedActivity} as its `value`. */
export const BOTFRAMEWORK_DELIVERY_EVENT = 'relevo.botframework.delivery';

/**
 * Activities whose answer travels in the HTTP response (an invoke's result, `expectReplies`' replies):
 * their turn runs while the request waits, so the response itself is the acknowledgement, sent only
 * after the turn; a failed or interrupted turn leaves the channel without a 200, and it retries. The
 * pipeline's dedupe stage makes the retry exactly once: it runs a turn that did not finish, answers one
 * that did with its recorded answer, and waits for (or answers 409 to) one still running.
 */
function answersInResponse(activity: Activity): boolean {
  return activity.type === 'invoke' || activity.deliveryMode === 'expectReplies';
}

/**
 * `POST /api/messages`, the Bot Framework messaging endpoint. The JWT is validated first (401), then
 * an activity is queued in the durable inbound queue under its id (a re-delivery of the same id is
 * recognised there and runs nothing new) and its turn runs right away; the 200 goes once it is queued
 * and its turn has run here (at most `turnWaitMs`; a turn that fails or takes longer stays queued and
 * runs again). Invokes and `expectReplies` run in the request instead (see {@link answersInResponse}).
 */
export function mountBotFramework(server: Server, options: BotFrameworkRouteOptions): void {
  server.post('/api/messages', async (req: Request, res: Response) => {
    try {
      if (options.loopbackOnly && !isLoopbackAddress(req.socket.remoteAddress)) {
        throw forbidden('Without MicrosoftAppId, /api/messages accepts callers on this machine only');
      }
      const activity = requireActivity(
        parseJsonBody(await readRawBody(req, options.maxBodyBytes ?? MAX_BODY_BYTES)),
      );
      if (options.loopbackOnly && !isLoopbackUrl(activity.serviceUrl)) {
        throw forbidden('Without MicrosoftAppId, replies can only go to a service URL on this machine');
      }
      const authorization = req.headers.authorization ?? '';
      if (answersInResponse(activity)) {
        const invoke = await options.inFlight.run(() =>
          options.adapter.run(authorization, activity, options.bot),
        );
        res.status(invoke?.status ?? 200);
        if (invoke?.body !== undefined) res.json(invoke.body);
        else res.end();
        return;
      }
      const auth = await options.adapter.authenticate(authorization, activity);
      const queued: BotFrameworkQueuedActivity = { activity, auth };
      const { partition, envelope } = deliveryEnvelope(BOTFRAMEWORK_DELIVERY_EVENT, activity, queued);
      const id = activity.id ?? randomUUID();
      if (!(await options.inbound.accept(partition, id, envelope, options.turnWaitMs ?? 10_000))) {
        options.logger.info({ activityId: activity.id }, 'Bot Framework activity queued before');
      }
      res.status(200);
      res.end();
    } catch (error) {
      const known = toRelevoError(error);
      if (known.statusCode >= 500) options.logger.error({ err: error }, 'Bot Framework request failed');
      closeAfterTooLarge(res, known.statusCode);
      res.status(known.statusCode);
      res.json(known.toJSON());
    }
  });
}

function forbidden(message: string): RelevoError {
  return new RelevoError('RELEVO_BOTFRAMEWORK_FORBIDDEN', message, { statusCode: 403 });
}

/**
 * jsonwebtoken's refusals (a signature no published key made, a token not valid yet), which botbuilder
 * passes on as they are instead of as an `AuthenticationError`.
 */
const JWT_REFUSALS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

function toRelevoError(error: unknown): RelevoError {
  if (error instanceof RelevoError) return error;
  // botbuilder could not load the channel's signing keys (their service failed): nothing is known of
  // the request yet, and a 401 would make the channel drop the message where a 503 has it retried.
  if (error instanceof AuthenticationError && (error.statusCode ?? 0) >= 500) {
    return new RelevoError(
      'RELEVO_BOTFRAMEWORK_AUTH_UNAVAILABLE',
      "The Bot Framework's signing keys could not be loaded to check the request; try again",
      { statusCode: 503 },
    );
  }
  if (error instanceof AuthenticationError || (error instanceof Error && JWT_REFUSALS.has(error.name))) {
    return new RelevoError(
      'RELEVO_BOTFRAMEWORK_UNAUTHORIZED',
      'The request is not signed by the Bot Framework',
      {
        statusCode: 401,
      },
    );
  }
  return new RelevoError('RELEVO_BOTFRAMEWORK_TURN_FAILED', 'The agent failed to process the activity', {
    statusCode: 500,
  });
}
