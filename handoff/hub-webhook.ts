import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity } from 'botbuilder';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { HandoffErrorCode, handoffError } from './errors.js';

/** Header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const HUB_SIGNATURE_HEADER = 'x-relevo-signature';
/** Header carrying the signing time in seconds since the epoch (hubs refuse old ones: replay). */
export const HUB_TIMESTAMP_HEADER = 'x-relevo-timestamp';

export interface HubWebhookOptions {
  url: string;
  /** Shared secret of the HMAC signature. */
  secret: string;
  /** Attempts in all, the first included (default 4). */
  maxAttempts?: number;
  /** Pause before the second attempt, doubled each time (default 500 ms). */
  baseDelayMs?: number;
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<unknown>;
}

/** The signature of a hub request, as a hub recomputes it to check one. */
export function signHubRequest(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * Checks a hub's signed request to us (its `handoff.status` callback), signed like our packets: the
 * signature must match the exact body and the timestamp be within `toleranceMs` of now (replays).
 */
export function verifyHubRequest(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now: number,
  toleranceMs = 5 * 60_000,
): boolean {
  const timestamp = Number(headers[HUB_TIMESTAMP_HEADER]);
  const signature = headers[HUB_SIGNATURE_HEADER];
  if (!Number.isInteger(timestamp) || typeof signature !== 'string') return false;
  if (Math.abs(now - timestamp * 1000) > toleranceMs) return false;
  const expected = Buffer.from(signHubRequest(secret, timestamp, body));
  const presented = Buffer.from(signature);
  return expected.length === presented.length && timingSafeEqual(expected, presented);
}

/**
 * POSTs handoff packets to an external agent hub (a contact-center platform) with an HMAC-SHA256
 * signature, retrying network failures, 429 and 5xx with exponential backoff. A 4xx other than 429
 * is the hub refusing the packet: retrying would not change its mind.
 */
export class HubWebhook {
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly options: HubWebhookOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  async deliver(packet: Activity): Promise<void> {
    const body = JSON.stringify(packet);
    const maxAttempts = this.options.maxAttempts ?? 4;
    const wait = this.options.sleep ?? sleep;
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const timestamp = Math.floor(this.clock.now() / 1000);
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [HUB_TIMESTAMP_HEADER]: String(timestamp),
            [HUB_SIGNATURE_HEADER]: signHubRequest(this.options.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        await response.arrayBuffer();
        if (response.ok) return;
        lastError = `HTTP ${response.status}`;
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      this.logger.warn({ attempt, error: lastError, handoffId: packet.id }, 'hub webhook delivery failed');
      if (attempt < maxAttempts) await wait((this.options.baseDelayMs ?? 500) * 2 ** (attempt - 1));
    }
    throw handoffError(
      HandoffErrorCode.hubDelivery,
      `The agent hub did not take the packet: ${lastError}`,
      502,
    );
  }
}
