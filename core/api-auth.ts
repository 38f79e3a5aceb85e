import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'restify';
import { RelevoError } from './errors.js';

/**
 * Checks the `Authorization: Bearer <RELEVO_API_TOKEN>` header of an automation request on `/api/…`.
 * Without a configured token the API is closed (503), never open. Throws a RelevoError (401/503).
 */
export function requireApiToken(req: Pick<Request, 'headers'>, token: string | undefined): void {
  if (!token) {
    throw new RelevoError('RELEVO_API_DISABLED', 'Set RELEVO_API_TOKEN to use the automation API', {
      statusCode: 503,
    });
  }
  const presented = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new RelevoError('RELEVO_API_UNAUTHORIZED', 'Send "Authorization: Bearer <RELEVO_API_TOKEN>"', {
      statusCode: 401,
    });
  }
}
