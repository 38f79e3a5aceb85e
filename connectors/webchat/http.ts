import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'restify';
import { hasCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { BodyErrorCode, closeAfterTooLarge, parseJsonBody, readRawBody } from '../shared/read-body.js';
import { DirectLineError } from './errors.js';

/** Largest body a Direct Line client may post. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Reads and parses a JSON body; an empty body is `undefined`. Oversized or broken JSON is a 4xx. */
export async function readJson(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  try {
    return parseJsonBody(await readRawBody(req, maxBytes));
  } catch (error) {
    if (hasCode(error, BodyErrorCode.tooLarge)) throw new DirectLineError('MessageSizeTooBig', error.message);
    if (hasCode(error, BodyErrorCode.invalidJson)) throw new DirectLineError('BadSyntax', error.message);
    if (hasCode(error, BodyErrorCode.incomplete)) throw new DirectLineError('BadArgument', error.message);
    throw error;
  }
}

/**
 * Wraps a Direct Line route: errors leave in Direct Line's own shape `{error: {code, message}}`, and
 * anything unexpected is a logged 500 `ServiceError` that reveals nothing.
 */
export function directLineRoute(logger: Logger, handler: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await handler(req, res);
    } catch (error) {
      const known =
        error instanceof DirectLineError
          ? error
          : new DirectLineError('ServiceError', 'The request could not be processed; see the server log');
      if (!(error instanceof DirectLineError))
        logger.error({ err: error, url: req.url }, 'Direct Line request failed');
      if (!res.headersSent) {
        closeAfterTooLarge(res, known.statusCode);
        res.status(known.statusCode);
        res.json(known.body);
      }
    }
  };
}

/** The WebSocket base URL clients reach this server on, honouring a TLS-terminating proxy. */
export function webSocketBase(req: IncomingMessage): string {
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim();
  const secure = forwarded
    ? forwarded === 'https'
    : 'encrypted' in req.socket && Boolean(req.socket.encrypted);
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  return `${secure ? 'wss' : 'ws'}://${String(host).split(',')[0]?.trim()}`;
}
