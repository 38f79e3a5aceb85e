import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'restify';
import type { Logger } from '../../core/logger.js';
import { DirectLineError } from './errors.js';

/** Largest body a Direct Line client may post. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Reads and parses a JSON body; an empty body is `undefined`. Oversized or broken JSON is a 4xx. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooBig();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw tooBig();
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new DirectLineError('BadSyntax', 'The body is not valid JSON');
  }
}

function tooBig(): DirectLineError {
  return new DirectLineError('MessageSizeTooBig', `The body is larger than ${MAX_BODY_BYTES / 1024} KB`);
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
