import { createClient, createCluster } from '@redis/client';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { redactUrl } from '../core/redact-url.js';

function socketOptions(maxDelayMs: number) {
  return {
    connectTimeout: 5_000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelayMs),
  };
}

// node-redis arms an AbortSignal timer per command when a command timeout is set (its default: 5 s),
// and each timer later fires and builds a DOMException long after the command is done: about three
// times the client's own CPU per command (measured: 22 µs instead of 8 µs per GET). Relevo sets none
// by default; a closed or restarted Redis still fails commands at once (the socket closes), and
// `/healthz` pings with a deadline of its own. REDIS_COMMAND_TIMEOUT_MS opts back in.
function createRedisClient(url: string, maxDelayMs: number, timeout: number) {
  return createClient({ url, socket: socketOptions(maxDelayMs), commandOptions: { timeout } });
}

function createRedisCluster(urls: readonly string[], maxDelayMs: number, timeout: number) {
  return createCluster({
    rootNodes: urls.map((url) => ({ url })),
    defaults: { socket: socketOptions(maxDelayMs) },
    commandOptions: { timeout },
  });
}

/** A node-redis client of one Redis server. */
export type RedisSingle = ReturnType<typeof createRedisClient>;
/** A node-redis Redis Cluster client: routes each command to the master of its key's slot. */
export type RedisCluster = ReturnType<typeof createRedisCluster>;
/**
 * What Relevo's Redis stores take: either client. Both speak the same commands; a command, Lua script
 * or MULTI touching several keys must keep them in one hash slot (storage/redis-keys.ts), and key
 * scans go through {@link scanKeys}, which visits every master of a cluster.
 */
export type RedisConnection = RedisSingle | RedisCluster;

export interface RedisConnectionOptions {
  /** One Redis server (`redis://` or `rediss://`). */
  url?: string | undefined;
  /** Seed nodes of a Redis Cluster; when given (non-empty), cluster mode is used and `url` must be absent. */
  clusterUrls?: readonly string[] | undefined;
  logger?: Logger;
  /** Longest pause between reconnect attempts. */
  maxReconnectDelayMs?: number;
  /** A command not answered within this many ms fails; 0 (default) = no per-command timer. */
  commandTimeoutMs?: number | undefined;
}

/** Whether `connection` is a Redis Cluster client. */
export function isCluster(connection: RedisConnection): connection is RedisCluster {
  return 'masters' in connection;
}

/**
 * Opens a node-redis client, of one server or of a cluster, that survives a Redis restart: it
 * reconnects with capped exponential backoff (a cluster also refreshes its slot map), queues commands
 * while offline, and logs connection errors instead of crashing the process (node-redis throws an
 * unhandled 'error' event when nobody listens).
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisConnection> {
  const logger = options.logger ?? silentLogger;
  const maxDelayMs = options.maxReconnectDelayMs ?? 2_000;
  const clusterUrls = options.clusterUrls ?? [];
  if (clusterUrls.length > 0 && options.url) {
    throw new Error('connectRedis: give either url (one Redis) or clusterUrls (Redis Cluster), not both');
  }
  if (clusterUrls.length === 0 && !options.url)
    throw new Error('connectRedis: url or clusterUrls is required');
  const where = clusterUrls.length > 0 ? clusterUrls.map(redactUrl).join(',') : redactUrl(options.url ?? '');
  const client =
    clusterUrls.length > 0
      ? createRedisCluster(clusterUrls, maxDelayMs, options.commandTimeoutMs ?? 0)
      : createRedisClient(options.url ?? '', maxDelayMs, options.commandTimeoutMs ?? 0);
  let wasReady = false;
  const failed = (error: Error) => {
    // Repeats on every failed reconnect attempt: log once per outage at warn, then at debug.
    if (wasReady) logger.warn({ err: error }, 'Redis connection lost; reconnecting');
    else logger.debug({ err: error }, 'Redis connection error');
    wasReady = false;
  };
  const ready = () => {
    if (!wasReady) logger.info({ url: where, cluster: clusterUrls.length > 0 }, 'Redis connection ready');
    wasReady = true;
  };
  client.on('error', failed);
  // A cluster reports its nodes' connections as node-error / node-ready; it has no 'ready' of its own.
  client.on('node-error', failed);
  client.on('ready', ready);
  client.on('node-ready', ready);
  await client.connect();
  ready();
  return client;
}

/** The clients of every master: the one server, or each master of the cluster. */
export async function masterClients(connection: RedisConnection): Promise<RedisSingle[]> {
  if (!isCluster(connection)) return [connection];
  return Promise.all(connection.masters.map((master) => connection.nodeClient(master)));
}

/** Whether every master answers PING: a cluster with one master away cannot serve its slots. */
export async function pingEveryMaster(connection: RedisConnection): Promise<boolean> {
  if (!connection.isReady) return false;
  const replies = await Promise.all((await masterClients(connection)).map((client) => client.ping()));
  return replies.every((reply) => reply === 'PONG');
}

/**
 * The keys matching `pattern`, in batches. On a cluster each master holds only its slots' keys, so
 * every master is scanned in turn.
 */
export async function* scanKeys(
  connection: RedisConnection,
  pattern: string,
  count = 500,
): AsyncIterable<string[]> {
  for (const client of await masterClients(connection)) {
    for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: count })) {
      if (batch.length > 0) yield batch;
    }
  }
}

/** The members of the set at `key`, in batches (SSCAN, so a large set never blocks Redis). */
export async function* scanSet(
  connection: RedisConnection,
  key: string,
  count = 500,
): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const reply = await connection.sScan(key, cursor, { COUNT: count });
    cursor = String(reply.cursor);
    if (reply.members.length > 0) yield reply.members;
  } while (cursor !== '0');
}
