import type { IncomingMessage, ServerResponse } from 'node:http';
import { RelevoError } from '../../core/errors.js';

/** Stable codes of request-body failures; routes map them to their platform's error shape. */
export const BodyErrorCode = {
  tooLarge: 'RELEVO_BODY_TOO_LARGE',
  invalidJson: 'RELEVO_BODY_INVALID_JSON',
  incomplete: 'RELEVO_BODY_INCOMPLETE',
} as const;

/**
 * Reads a request body up to `maxBytes` (rejecting sooner when Content-Length already says too much).
 * Connectors verify signatures on these exact bytes before parsing anything. Past the limit it stops
 * reading but leaves the socket open, so the caller can still answer 413 (routes send
 * `Connection: close` with it, so the rest of the body is never read).
 */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new RelevoError(BodyErrorCode.tooLarge, `The body is larger than ${Math.round(maxBytes / 1024)} KB`, {
      statusCode: 413,
    });
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: Error | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onBroken).off('close', onBroken);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size <= maxBytes) return;
      // Not destroyed: destroying the request would close the socket before the 413 is written.
      req.pause();
      settle(tooLarge());
    };
    const onEnd = () => settle(undefined);
    // A body cut short (the client went away, or sent bytes the HTTP parser refused) is the client's
    // doing: a 400, not a server error.
    const onBroken = () =>
      settle(
        new RelevoError(BodyErrorCode.incomplete, 'The connection closed before the body arrived', {
          statusCode: 400,
        }),
      );
    req.on('data', onData).on('end', onEnd).on('error', onBroken).on('close', onBroken);
  });
}

/** Marks an answer to be the last on its connection: after a 413 the unread body is never drained. */
export function closeAfterTooLarge(res: ServerResponse, status: number): void {
  if (status === 413 && !res.headersSent) res.setHeader('connection', 'close');
}

/** Parses JSON body bytes; an empty body is `undefined`. */
export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new RelevoError(BodyErrorCode.invalidJson, 'The body is not valid JSON', { statusCode: 400 });
  }
}
