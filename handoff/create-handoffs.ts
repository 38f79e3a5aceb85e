import type { BotAdapter, TurnContext } from 'botbuilder';
import type { Clock } from '../core/clock.js';
import type { InFlightWork } from '../core/in-flight.js';
import type { Logger } from '../core/logger.js';
import { MemoryDurableTimers, RedisDurableTimers } from '../identity/journey/durable-timers.js';
import type { Stores } from '../storage/stores.js';
import { parseAgentAccounts } from './agent-accounts.js';
import { AgentDesk, type CannedResponses } from './agent-desk.js';
import { AgentSessions } from './agent-sessions.js';
import { Handoffs } from './handoffs.js';
import type { HandoffResolved } from './handoffs-options.js';
import { HubWebhook } from './hub-webhook.js';
import { MemoryHandoffQueue } from './memory-queue.js';
import type { ConversationKey, RedactActivity } from './packet.js';
import type { PriorityOptions } from './queue.js';
import { RedisHandoffQueue } from './redis-queue.js';
import { HandoffWaypoints } from './waypoints.js';

export interface CreateHandoffsOptions {
  stores: Stores;
  /** channelId → adapter; may be filled after the channels are built (it is read on each use). */
  adapters?: ReadonlyMap<string, BotAdapter>;
  conversationsOf?: (memberId: string) => Promise<ConversationKey[]>;
  redact?: RedactActivity;
  /** `HANDOFF_HUB_URL` and `HANDOFF_HUB_SECRET`: POST every packet to an external hub. */
  hub?: { url: string; secret: string } | undefined;
  /** The server's in-flight work: shutdown waits for hub deliveries. */
  inFlight?: InFlightWork;
  priority?: PriorityOptions;
  onResolved?: (resolved: HandoffResolved, context: TurnContext) => Promise<void>;
  clock?: Clock;
  logger?: Logger;
}

/** The handoff service on the agent's stores: the Redis queue on Redis, the memory queue otherwise. */
export function createHandoffs(options: CreateHandoffsOptions): Handoffs {
  const { stores } = options;
  const msPerPriorityPoint = options.priority?.msPerPriorityPoint;
  const queue = stores.redis
    ? new RedisHandoffQueue(stores.redis, {
        prefix: stores.prefix,
        ...(msPerPriorityPoint ? { msPerPriorityPoint } : {}),
      })
    : new MemoryHandoffQueue(msPerPriorityPoint);
  return new Handoffs({
    storage: stores.storage,
    transcripts: stores.transcripts,
    pubsub: stores.pubsub,
    locks: stores.locks,
    forwarded: stores.idempotency,
    queue,
    adapters: options.adapters,
    conversationsOf: options.conversationsOf,
    redact: options.redact,
    hub: options.hub
      ? new HubWebhook({
          ...options.hub,
          ...(options.clock ? { clock: options.clock } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined,
    inFlight: options.inFlight,
    priority: options.priority,
    onResolved: options.onResolved,
    clock: options.clock,
    logger: options.logger,
  });
}

export interface CreateAgentDeskOptions {
  handoffs: Handoffs;
  stores: Stores;
  /** The `AGENT_ACCOUNTS` JSON text (see docs/handoff.md); absent = no console logins. */
  accountsJson?: string | undefined;
  apiToken?: string | undefined;
  canned?: CannedResponses;
  secureCookies?: boolean;
  profileOf?: (memberId: string) => Promise<Record<string, unknown> | undefined>;
  /** `HANDOFF_HUB_SECRET`, to accept the hub's signed status callbacks. */
  hubSecret?: string | undefined;
  clock?: Clock;
}

/** The agent desk (REST) with sessions on the agent's storage. */
export function createAgentDesk(options: CreateAgentDeskOptions): AgentDesk {
  const accounts = options.accountsJson ? parseAgentAccounts(options.accountsJson) : [];
  const sessions = new AgentSessions({ storage: options.stores.storage, accounts, clock: options.clock });
  return new AgentDesk({
    handoffs: options.handoffs,
    sessions,
    apiToken: options.apiToken,
    canned: options.canned,
    secureCookies: options.secureCookies,
    profileOf: options.profileOf,
    hubSecret: options.hubSecret,
  });
}

/**
 * The handoff waypoints on the agent's stores (Redis timers shared by every process, or memory).
 * `waitingMs` is `HANDOFF_WAITING_MS` (default 60 s). Call `start()` once the server listens and
 * `stop()` on shutdown.
 */
export function createHandoffWaypoints(options: {
  handoffs: Handoffs;
  stores: Stores;
  waitingMs?: number | undefined;
  noAgentCheckMs?: number | undefined;
  pollIntervalMs?: number | undefined;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
}): HandoffWaypoints {
  const { stores, ...rest } = options;
  const timers = stores.redis
    ? new RedisDurableTimers(stores.redis, { prefix: stores.prefix, name: 'handoff' })
    : new MemoryDurableTimers();
  return new HandoffWaypoints({ ...rest, timers });
}
