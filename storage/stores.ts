import type { TranscriptStore } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { type ActivityClaims, MemoryActivityClaims } from './activity-claims.js';
import type { InboundBackend } from './inbound-backend.js';
import { MemoryInboundBackend } from './memory-inbound-backend.js';
import { MemoryIdempotencyStore } from './memory-idempotency.js';
import { MemoryLockManager } from './memory-lock.js';
import { MemoryPubSub } from './memory-pubsub.js';
import { MemoryStorage } from './memory-storage.js';
import { MemoryTranscriptStore } from './memory-transcript-store.js';
import { connectRedis, isCluster, pingEveryMaster, type RedisConnection } from './redis-connection.js';
import { RedisActivityClaims } from './redis-activity-claims.js';
import { RedisInboundBackend } from './redis-inbound-backend.js';
import { RedisIdempotencyStore } from './redis-idempotency.js';
import { RedisLockManager } from './redis-lock.js';
import { RedisPubSub } from './redis-pubsub.js';
import { RedisStorage } from './redis-storage.js';
import { RedisTranscriptStore } from './redis-transcript-store.js';
import { TurnCachedStorage } from './turn-cached-storage.js';
import type { IdempotencyStore, LockManager, PubSub } from './types.js';

/** Every store the agent runs on, all on memory or all on one Redis (a server or a cluster). */
export interface Stores {
  readonly kind: 'memory' | 'redis' | 'redis-cluster';
  /** Prefix of every Redis key, for stores other folders build on the same client. */
  readonly prefix: string;
  /** botbuilder Storage; within a turn (its pipeline stage) it shares the turn's reads. */
  readonly storage: TurnCachedStorage;
  readonly transcripts: TranscriptStore;
  readonly idempotency: IdempotencyStore;
  readonly locks: LockManager;
  /** Claims and done marks of activities run outside the inbound queue (storage/dedupe-middleware.ts). */
  readonly activities: ActivityClaims;
  readonly pubsub: PubSub;
  /**
   * The durable inbound queue's backend of one channel (`webchat`, `botframework`…), made once per name.
   * `retentionMs`: how long a queued id is remembered against duplicates (default 24 h; X re-delivers
   * for days).
   */
  inbound(name: string, options?: { retentionMs?: number }): InboundBackend;
  /** The Redis client, when on Redis: other stores (ledger, queue) build on it. */
  readonly redis: RedisConnection | undefined;
  /** Answers whether the backing store is reachable right now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoresOptions {
  /** One Redis server. Absent with `redisClusterUrls`: embedded in-memory stores (data is lost on restart). */
  redisUrl?: string | undefined;
  /** Seed nodes of a Redis Cluster (cluster mode); never together with `redisUrl`. */
  redisClusterUrls?: readonly string[] | undefined;
  /** Prefix of every Redis key. */
  prefix?: string;
  logger?: Logger;
  /** Per-command timeout of the Redis client; 0 or absent = none (storage/redis-connection.ts). */
  redisCommandTimeoutMs?: number | undefined;
}

const PING_DEADLINE_MS = 2_000;

/** Builds the stores: on Redis (one server or a cluster) when a URL is given, in memory otherwise. */
export async function createStores(options: StoresOptions = {}): Promise<Stores> {
  const logger = options.logger ?? silentLogger;
  if (!options.redisUrl && !options.redisClusterUrls?.length) {
    const pubsub = new MemoryPubSub();
    const locks = new MemoryLockManager();
    const inbound = new Map<string, InboundBackend>();
    const transcripts = new MemoryTranscriptStore();
    const idempotency = new MemoryIdempotencyStore();
    return {
      kind: 'memory',
      prefix: options.prefix ?? 'relevo',
      storage: new TurnCachedStorage(new MemoryStorage()),
      transcripts,
      idempotency,
      locks,
      activities: new MemoryActivityClaims(idempotency, locks),
      pubsub,
      // The queue's turn lock is the pipeline's conversation lock: the same lock manager.
      inbound: (name, { retentionMs } = {}) =>
        once(inbound, name, () => new MemoryInboundBackend(undefined, retentionMs, locks, transcripts)),
      redis: undefined,
      ping: async () => true,
      close: () => pubsub.close(),
    };
  }
  const client = await connectRedis({
    url: options.redisUrl,
    clusterUrls: options.redisClusterUrls,
    logger,
    commandTimeoutMs: options.redisCommandTimeoutMs,
  });
  const keys = { prefix: options.prefix ?? 'relevo' };
  const pubsub = new RedisPubSub(client, keys);
  const inbound = new Map<string, InboundBackend>();
  const transcripts = new RedisTranscriptStore(client, keys);
  const locks = new RedisLockManager(client, keys);
  return {
    kind: isCluster(client) ? 'redis-cluster' : 'redis',
    prefix: keys.prefix,
    storage: new TurnCachedStorage(new RedisStorage(client, keys)),
    transcripts,
    idempotency: new RedisIdempotencyStore(client, keys),
    locks,
    activities: new RedisActivityClaims(client, locks, keys),
    pubsub,
    inbound: (name, { retentionMs } = {}) =>
      once(inbound, name, () => new RedisInboundBackend(client, { ...keys, name, retentionMs, transcripts })),
    redis: client,
    ping: async () => {
      // Commands have no timeout of their own: a Redis that stopped answering must not hang /healthz.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), PING_DEADLINE_MS);
      });
      try {
        return await Promise.race([pingEveryMaster(client), deadline]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      await pubsub.close();
      if (!client.isOpen) return;
      // `close()` waits for queued commands, which a Redis that is down never answers.
      if (client.isReady) await client.close();
      else client.destroy();
    },
  };
}

function once<T>(made: Map<string, T>, name: string, make: () => T): T {
  const existing = made.get(name);
  if (existing) return existing;
  const value = make();
  made.set(name, value);
  return value;
}
