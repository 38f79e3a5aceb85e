export {
  type ActivityClaim,
  type ActivityClaims,
  activityResource,
  MemoryActivityClaims,
} from './activity-claims.js';
export { StorageConflictError, StorageErrorCode } from './errors.js';
export { MemoryIdempotencyStore } from './memory-idempotency.js';
export { MemoryLockManager } from './memory-lock.js';
export { MemoryPubSub } from './memory-pubsub.js';
export { MemoryStorage } from './memory-storage.js';
export { MemoryTranscriptStore } from './memory-transcript-store.js';
export {
  connectRedis,
  isCluster,
  masterClients,
  type RedisCluster,
  type RedisConnection,
  type RedisConnectionOptions,
  type RedisSingle,
  scanKeys,
  scanSet,
} from './redis-connection.js';
export { conversationTag, memberTag, sharedTag, slotGroupOf, storageKeyTag } from './redis-keys.js';
export { RedisActivityClaims } from './redis-activity-claims.js';
export { RedisIdempotencyStore } from './redis-idempotency.js';
export { RedisLockManager } from './redis-lock.js';
export { RedisPubSub } from './redis-pubsub.js';
export { RedisStorage, type RedisStorageOptions } from './redis-storage.js';
export { RedisTranscriptStore } from './redis-transcript-store.js';
export { createStores, type Stores, type StoresOptions } from './stores.js';
export {
  type AcquireOptions,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type ExpiringStorage,
  type IdempotencyStore,
  type Lock,
  type LockManager,
  type MessageHandler,
  type PubSub,
  type StorageReadOptions,
  type StorageWriteOptions,
} from './types.js';
export { restoredBeforeTurn } from './restored-items.js';
export { DedupeMiddleware, type DedupeOptions } from './dedupe-middleware.js';
export { TranscriptMiddleware, type TranscriptMiddlewareOptions } from './transcript-middleware.js';
export { ConversationLockMiddleware, type ConversationLockOptions } from './conversation-lock-middleware.js';
export {
  defaultStateKeys,
  type StateKeys,
  StateMiddleware,
  type StateMiddlewareOptions,
} from './state-middleware.js';
export { MemoryRateCounter, type RateCounter, RedisRateCounter } from './rate-counter.js';
export {
  defaultRateLimitNotice,
  RateLimitMiddleware,
  type RateLimitOptions,
} from './rate-limit-middleware.js';
