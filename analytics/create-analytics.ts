import type { Middleware, TurnContext } from 'botbuilder';
import type { Server } from 'restify';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Stores } from '../storage/stores.js';
import { AnalyticsService } from './analytics.js';
import type { OutcomeInput } from './events.js';
import { type HandoffEventSource, HandoffOutcomes } from './handoff-outcomes.js';
import { loadHashKey } from './hash-key.js';
import type { KpiQuery, Kpis } from './kpi-types.js';
import { AnalyticsMetrics } from './metrics.js';
import { AnalyticsMiddleware, recordOutcome } from './middleware.js';
import { MemoryOutcomeEvents, type OutcomeEvents } from './outcome-events.js';
import { RedisOutcomeEvents } from './redis-outcome-events.js';
import { type AnalyticsRoutesOptions, mountAnalyticsRoutes } from './routes.js';
import { ConversationSessions } from './sessions.js';

export interface CreateAnalyticsOptions {
  /** The agent's stores: events go to its Redis (or memory), sessions and the hash key to its Storage. */
  stores: Pick<Stores, 'kind' | 'prefix' | 'storage' | 'redis'>;
  /** Another event store (default: Redis when the stores are on Redis, else memory). */
  events?: OutcomeEvents;
  logger?: Logger;
  clock?: Clock;
  /** Key of the member-id hashes; default: one made once and kept in storage. */
  hashKey?: string;
  /** Days events are kept in Redis after their day (default: forever). */
  retentionDays?: number;
  /** Idle gap that ends an analytics session (default 30 min). */
  sessionIdleMs?: number;
  /** Conversations waiting for a person now, for `/metrics` and the dashboard (`handoffs.queue.waiting()`). */
  queueLength?: () => Promise<number>;
  /** Node process metrics in `/metrics` too (default true). */
  processMetrics?: boolean;
  /** A top intent scoring below this counts as not understood (default 0.3, as the dialogs do). */
  notUnderstoodBelow?: number;
  /** Longest time a turn's outcomes wait to be written in one batch with others' (default 100 ms). */
  flushMs?: number;
}

/** What the composition root wires: the stage, the recording API, the routes and the handoff bridge. */
export interface Analytics {
  readonly events: OutcomeEvents;
  readonly metrics: AnalyticsMetrics;
  readonly service: AnalyticsService;
  /** The pipeline stage (right after dedupe and the conversation lock). */
  readonly middleware: Middleware;
  /** Records an outcome now (handoff, ledger, waypoints…); never rejects, logs failures. */
  record(event: OutcomeInput): Promise<boolean>;
  /** Records an outcome of this turn, stored after it with the turn's session, channel and member. */
  recordOutcome(context: TurnContext, event: OutcomeInput): void;
  /** Where CSAT and NPS answers go (dialogs' `SurveySink` shape). */
  readonly surveys: { record(context: TurnContext, survey: 'csat' | 'nps', score: number): Promise<void> };
  /** KPIs of a window. */
  kpis(query: KpiQuery): Promise<Kpis>;
  /** Records the handoff lifecycle from handoff/'s events (pass `handoffs`). */
  watchHandoffs(source: HandoffEventSource): Promise<void>;
  /** Mounts `/api/kpis`, `/metrics` and `/dashboard`. */
  mount(server: Server, options?: Omit<AnalyticsRoutesOptions, 'queueLength'>): void;
  /** Writes the outcomes the turns queued (they wait up to `flushMs`); shutdown calls it after the last turn. */
  flush(): Promise<void>;
  /** Stops watching handoffs, waiting for outcomes being recorded, and writes the queued ones. */
  close(): Promise<void>;
}

/**
 * Builds Relevo's analytics (issue 11, docs/analytics.md): PII-free outcome events on the agent's
 * stores, the pipeline stage that records them, the KPIs, Prometheus metrics and the supervisors'
 * dashboard. Usable alone by any botbuilder bot: pass stores, add `middleware` to the adapter, mount.
 */
export async function createAnalytics(options: CreateAnalyticsOptions): Promise<Analytics> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const { stores } = options;
  const events: OutcomeEvents =
    options.events ??
    (stores.redis
      ? new RedisOutcomeEvents(stores.redis, { prefix: stores.prefix, retentionDays: options.retentionDays })
      : new MemoryOutcomeEvents());
  const metrics = new AnalyticsMetrics({
    queueLength: options.queueLength,
    processMetrics: options.processMetrics ?? true,
  });
  const service = new AnalyticsService({
    events,
    sessions: new ConversationSessions(stores.storage, options.sessionIdleMs),
    metrics,
    hashKey: options.hashKey ?? (await loadHashKey(stores.storage)),
    clock,
    logger,
    ...(options.flushMs === undefined ? {} : { flushMs: options.flushMs }),
  });
  const middleware = new AnalyticsMiddleware(service, {
    logger,
    ...(options.notUnderstoodBelow === undefined ? {} : { notUnderstoodBelow: options.notUnderstoodBelow }),
  });
  const handoffs = new HandoffOutcomes(service, logger);
  return {
    events,
    metrics,
    service,
    middleware,
    record: (event) => service.record(event),
    recordOutcome,
    surveys: {
      record: async (context, survey, score) => {
        recordOutcome(context, { type: survey === 'csat' ? 'csat.answered' : 'nps.answered', score });
      },
    },
    kpis: (query) => service.kpis(query),
    watchHandoffs: (source) => handoffs.watch(source),
    mount: (server, routeOptions = {}) =>
      mountAnalyticsRoutes(server, service, { ...routeOptions, queueLength: options.queueLength }),
    flush: () => service.flush(),
    close: async () => {
      await handoffs.close();
      await service.flush();
    },
  };
}
