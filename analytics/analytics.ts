import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { eventId, hashMemberId, type OutcomeEvent, type OutcomeInput } from './events.js';
import { computeKpis, DEFAULT_FCR_WINDOW_MS, type KpiQuery, type Kpis } from './kpis.js';
import type { AnalyticsMetrics } from './metrics.js';
import type { OutcomeEvents } from './outcome-events.js';
import type { ConversationSessions } from './sessions.js';

export interface AnalyticsServiceOptions {
  events: OutcomeEvents;
  sessions: ConversationSessions;
  metrics: AnalyticsMetrics;
  /** Key of the member-id and event-id hashes (see `loadHashKey`). */
  hashKey: string;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Records outcome events and answers KPI queries. `record` never rejects: analytics is side work
 * (STYLE.md rule 5), so a store failure or a rejected event is logged and counted, and the caller's
 * turn, handoff or ledger write goes on.
 */
export class AnalyticsService {
  readonly events: OutcomeEvents;
  readonly sessions: ConversationSessions;
  readonly metrics: AnalyticsMetrics;
  readonly clock: Clock;
  private readonly logger: Logger;
  private readonly hashKey: string;

  constructor(options: AnalyticsServiceOptions) {
    this.events = options.events;
    this.sessions = options.sessions;
    this.metrics = options.metrics;
    this.hashKey = options.hashKey;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Records one outcome; `id` defaults to a random one (pass a deterministic id when the same outcome
   * may be reported twice), `at` to now. Resolves `true` when stored, `false` when it was a duplicate
   * or could not be stored (then logged).
   */
  async record(input: OutcomeInput): Promise<boolean> {
    const event = {
      ...input,
      id: input.id ?? randomUUID(),
      at: input.at ?? this.clock.now(),
    } as OutcomeEvent;
    try {
      const stored = await this.events.append(event);
      this.metrics.countRecorded(event.type, stored);
      return stored;
    } catch (error) {
      this.metrics.countFailure(event.type);
      this.logger.warn({ err: error, type: event.type }, 'could not record an outcome event');
      return false;
    }
  }

  /** The member id as events keep it (keyed hash). */
  hashMember(memberId: string): string {
    return hashMemberId(memberId, this.hashKey);
  }

  /** A deterministic opaque event id from its parts. */
  eventId(...parts: string[]): string {
    return eventId(this.hashKey, ...parts);
  }

  /** KPIs of a window, reading the events first-contact resolution needs after it too. */
  async kpis(query: KpiQuery): Promise<Kpis> {
    const fcr = query.fcrWindowMs ?? DEFAULT_FCR_WINDOW_MS;
    const events = await this.events.range(query.from, query.to + fcr);
    return computeKpis(events, query);
  }
}
