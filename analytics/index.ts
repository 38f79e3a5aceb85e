/**
 * Relevo's analytics (issue 11): PII-free outcome events, contact-centre KPIs, Prometheus metrics and
 * the supervisors' dashboard. See docs/analytics.md.
 */
export { AnalyticsService, type AnalyticsServiceOptions } from './analytics.js';
export { type Analytics, type CreateAnalyticsOptions, createAnalytics } from './create-analytics.js';
export { kpisToCsv } from './csv.js';
export {
  AnalyticsErrorCode,
  eventId,
  hashMemberId,
  type OutcomeEvent,
  type OutcomeEventType,
  type OutcomeInput,
  outcomeEventSchema,
  parseOutcomeEvent,
} from './events.js';
export { type HandoffEventSource, HandoffOutcomes } from './handoff-outcomes.js';
export { loadHashKey } from './hash-key.js';
export type { CsatFigures, KpiFigures, KpiPoint, KpiQuery, Kpis } from './kpi-types.js';
export { computeKpis, DEFAULT_FCR_WINDOW_MS, defaultBucketMs } from './kpis.js';
export { AnalyticsMetrics, type AnalyticsMetricsOptions, type TurnOutcome } from './metrics.js';
export {
  AnalyticsMiddleware,
  type AnalyticsMiddlewareOptions,
  AnalyticsTurnKey,
  recordOutcome,
  type TurnOutcomeInput,
} from './middleware.js';
export { MemoryOutcomeEvents, type OutcomeEvents } from './outcome-events.js';
export { RedisOutcomeEvents, type RedisOutcomeEventsOptions } from './redis-outcome-events.js';
export { type AnalyticsRoutesOptions, type DeskAuthenticate, mountAnalyticsRoutes } from './routes.js';
export { type ConversationSession, ConversationSessions, sessionKey } from './sessions.js';
export { percentile, slope } from './statistics.js';
