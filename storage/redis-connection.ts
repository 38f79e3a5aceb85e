import { createClient } from 'redis';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { redactUrl } from '../core/redact-url.js';

function createRedisClient(url: string, maxDelayMs: number) {
  return createClient({
    url,
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelayMs),
    },
  });
}

/** The node-redis client type Relevo's Redis stores take. */
export type RedisConnection = ReturnType<typeof createRedisClient>;

export interface RedisConnectionOptions {
  url: string;
  logger?: Logger;
  /** Longest pause between reconnect attempts. */
  maxReconnectDelayMs?: number;
}

/**
 * Opens a node-redis client that survives a Redis restart: it reconnects with capped exponential
 * backoff, queues commands while offline, and logs connection errors instead of crashing the process
 * (node-redis throws an unhandled 'error' event when nobody listens).
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisConnection> {
  const logger = options.logger ?? silentLogger;
  const maxDelayMs = options.maxReconnectDelayMs ?? 2_000;
  const client = createRedisClient(options.url, maxDelayMs);
  let wasReady = false;
  client.on('error', (error: Error) => {
    // Repeats on every failed reconnect attempt: log once per outage at warn, then at debug.
    if (wasReady) logger.warn({ err: error }, 'Redis connection lost; reconnecting');
    else logger.debug({ err: error }, 'Redis connection error');
    wasReady = false;
  });
  client.on('ready', () => {
    if (!wasReady) logger.info({ url: redactUrl(options.url) }, 'Redis connection ready');
    wasReady = true;
  });
  await client.connect();
  return client;
}
