import { AuthenticationError } from 'botframework-connector';
import type { Request, Response, Server } from 'restify';
import type { TurnLogic } from '../../core/channel.js';
import { RelevoError } from '../../core/errors.js';
import type { InFlightWork } from '../../core/in-flight.js';
import type { Logger } from '../../core/logger.js';
import { closeAfterTooLarge, parseJsonBody, readRawBody } from '../shared/read-body.js';
import type { BotFrameworkAdapter } from './adapter.js';
import { requireActivity } from './inbound.js';
import { isLoopbackAddress, isLoopbackUrl } from './verify.js';

/** Bot Framework activities are small; attachments travel by URL. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface BotFrameworkRouteOptions {
  adapter: BotFrameworkAdapter;
  bot: TurnLogic;
  inFlight: InFlightWork;
  logger: Logger;
  /** Without an app id there is no JWT to check: accept callers on this machine only (the Emulator). */
  loopbackOnly: boolean;
  /** Largest body accepted (default 1 MiB). */
  maxBodyBytes?: number;
}

/** `POST /api/messages`, the Bot Framework messaging endpoint. */
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
      const invoke = await options.inFlight.run(() =>
        options.adapter.run(req.headers.authorization ?? '', activity, options.bot),
      );
      res.status(invoke?.status ?? 200);
      if (invoke?.body !== undefined) res.json(invoke.body);
      else res.end();
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

function toRelevoError(error: unknown): RelevoError {
  if (error instanceof RelevoError) return error;
  if (error instanceof AuthenticationError) {
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
