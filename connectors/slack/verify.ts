import { createHmac, timingSafeEqual } from 'node:crypto';
import { RelevoError } from '../../core/errors.js';

/** Slack rejects nothing older than this itself; we refuse requests outside it in both directions. */
export const SLACK_SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/** The two headers Slack signs every request with, as received (either may be missing). */
export interface SlackSignatureHeaders {
  /** `X-Slack-Request-Timestamp`: Unix seconds when Slack sent the request. */
  timestamp: string | undefined;
  /** `X-Slack-Signature`: `v0=` + hex HMAC-SHA256. */
  signature: string | undefined;
}

export interface VerifySlackRequestOptions {
  signingSecret: string;
  headers: SlackSignatureHeaders;
  /** The raw, unparsed body: Slack signs the bytes it sent, not any re-serialisation of them. */
  rawBody: string;
  /** Now, in milliseconds since the epoch (from the injected clock). */
  nowMs: number;
  toleranceMs?: number;
}

/**
 * Computes Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` keyed with
 * the app's signing secret.
 * @see https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return `v0=${digest}`;
}

/**
 * Verifies that a request comes from Slack, before anything else reads it. Throws a 401
 * `RELEVO_SLACK_SIGNATURE` when a header is missing, the timestamp is more than five minutes away from
 * now (in the past, which stops replays, or in the future, which a forger could otherwise pre-compute),
 * or the signature does not match. Pure: the caller supplies the time.
 * @see https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function verifySlackRequest(options: VerifySlackRequestOptions): void {
  const { timestamp, signature } = options.headers;
  if (!timestamp || !signature) {
    throw signatureError('missing X-Slack-Request-Timestamp or X-Slack-Signature header');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw signatureError('X-Slack-Request-Timestamp is not Unix seconds');
  const skewMs = Math.abs(options.nowMs - Number(timestamp) * 1000);
  if (skewMs > (options.toleranceMs ?? SLACK_SIGNATURE_TOLERANCE_MS)) {
    throw signatureError('X-Slack-Request-Timestamp is more than five minutes from now');
  }
  const expected = Buffer.from(slackSignature(options.signingSecret, timestamp, options.rawBody));
  const received = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; a length mismatch is a mismatch.
  if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
    throw signatureError('X-Slack-Signature does not match the request');
  }
}

function signatureError(message: string): RelevoError {
  return new RelevoError('RELEVO_SLACK_SIGNATURE', `Slack request rejected: ${message}`, { statusCode: 401 });
}
