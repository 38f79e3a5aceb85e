import type { IncomingMessage } from 'node:http';
import { RelevoError } from '../../core/errors.js';

/** Stable codes of request-body failures; routes map them to their platform's error shape. */
export const BodyErrorCode = {
  tooLarge: 'RELEVO_BODY_TOO_LARGE',
  invalidJson: 'RELEVO_BODY_INVALID_JSON',
} as const;

/**
 * Reads a request body up to `maxBytes` (rejecting sooner when Content-Length already says too much).
 * Connectors verify signatures on these exact bytes before parsing anything.
 */
export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new RelevoError(BodyErrorCode.tooLarge, `The body is larger than ${Math.round(maxBytes / 1024)} KB`, {
      statusCode: 413,
    });
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
