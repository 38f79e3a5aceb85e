import { createHmac, timingSafeEqual } from 'node:crypto';
import { RelevoError } from '../../core/errors.js';

/**
 * `sha256=` + base64 HMAC-SHA256 of `payload` keyed with the app's consumer secret: the form of both
 * the CRC response token and the `x-twitter-webhooks-signature` header.
 * @see https://docs.x.com/x-api/webhooks/quickstart (2. The CRC check)
 * @see https://docs.x.com/x-api/webhooks/introduction (Security: signature verification)
 */
export function xSignature(consumerSecret: string, payload: string): string {
  return `sha256=${createHmac('sha256', consumerSecret).update(payload).digest('base64')}`;
}

/**
 * The Challenge-Response Check answer X expects on `GET /twitter/webhook?crc_token=…` (at registration
 * and hourly after): `{response_token: "sha256=<base64 HMAC>"}`. Throws a 400 `RELEVO_X_CRC` without a
 * token.
 */
export function xCrcResponse(
  consumerSecret: string,
  crcToken: string | undefined,
): { response_token: string } {
  if (!crcToken)
    throw new RelevoError('RELEVO_X_CRC', 'crc_token query parameter is required', { statusCode: 400 });
  return { response_token: xSignature(consumerSecret, crcToken) };
}

/**
 * Verifies `x-twitter-webhooks-signature` on the raw body, before the body is parsed. Throws a 401
 * `RELEVO_X_SIGNATURE` when the header is missing or does not match. The signature carries no
 * timestamp, so a captured request stays valid: replays are absorbed by the event-id dedupe (kept
 * longer than X re-delivers) and by refusing events older than that window.
 */
export function verifyXSignature(
  consumerSecret: string,
  signature: string | undefined,
  rawBody: string,
): void {
  if (!signature) throw signatureError('missing x-twitter-webhooks-signature header');
  const expected = Buffer.from(xSignature(consumerSecret, rawBody));
  const received = Buffer.from(signature);
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    throw signatureError('x-twitter-webhooks-signature does not match the request');
  }
}

function signatureError(message: string): RelevoError {
  return new RelevoError('RELEVO_X_SIGNATURE', `X webhook request rejected: ${message}`, { statusCode: 401 });
}
