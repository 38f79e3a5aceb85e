import { createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { remembered } from '../core/bounded-memo.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { eventId, hashMemberId, type OutcomeEvent, type OutcomeInput } from './events.js';
import type { KpiQuery, Kpis } from './kpi-types.js';
import { computeKpis, DEFAULT_FCR_WINDOW_MS } from './kpis.js';
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
  /** Longest time an outcome given to `recordLater` waits to be written with others (default 100 ms). */
  flushMs?: number;
}

const MEMBER_HASHES = 10_000;

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
  /** As a key object: an HMAC under a string key encodes it anew on every call (~13 % of an HMAC). */
  private readonly hashKey: KeyObject;
  private readonly flushMs: number;
  /** Recent members' hashed ids (bounded: cleared when full). */
  private readonly memberHashes = new Map<string, string>();
  private queued: OutcomeEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(options: AnalyticsServiceOptions) {
    this.events = options.events;
    this.sessions = options.sessions;
    this.metrics = options.metrics;
    this.hashKey = createSecretKey(Buffer.from(options.hashKey));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.flushMs = options.flushMs ?? 100;
  }

  /**
   * Records one outcome; `id` defaults to a random one (pass a deterministic id when the same outcome
   * may be reported twice), `at` to now. Resolves `true` when stored, `false` when it was a duplicate
   * or could not be stored (then logged).
   */
  async record(input: OutcomeInput): Promise<boolean> {
    return this.store(this.toEvent(input));
  }

  /**
   * Records one outcome off the caller's path: queued, and written within `flushMs` together with
   * every other outcome queued meanwhile (one round trip for the lot). {@link flush} writes the queue
   * now; KPI reads flush first, and the server flushes on shutdown, after its last turn.
   */
  recordLater(input: OutcomeInput): void {
    this.queued.push(this.toEvent(input));
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes every queued outcome; resolves once they (and earlier batches) are written or logged. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = [];
    // Issued in one tick, the writes travel together; batches are written in order.
    this.writing = this.writing.then(() => this.storeAll(batch));
    await this.writing;
  }

  private async storeAll(batch: OutcomeEvent[]): Promise<unknown> {
    const events = this.events;
    if (batch.length === 0 || !events.appendAll) return Promise.all(batch.map((event) => this.store(event)));
    const outcomes = await events
      .appendAll(batch)
      .catch((reason: unknown) =>
        batch.map((): PromiseSettledResult<boolean> => ({ status: 'rejected', reason })),
      );
    batch.forEach((event, i) => {
      const outcome = outcomes[i];
      if (outcome?.status === 'fulfilled') this.metrics.countRecorded(event.type, outcome.value);
      else this.failed(event, outcome?.reason);
    });
    return outcomes;
  }

  private toEvent(input: OutcomeInput): OutcomeEvent {
    return { ...input, id: input.id ?? randomUUID(), at: input.at ?? this.clock.now() } as OutcomeEvent;
  }

  private async store(event: OutcomeEvent): Promise<boolean> {
    try {
      const stored = await this.events.append(event);
      this.metrics.countRecorded(event.type, stored);
      return stored;
    } catch (error) {
      this.failed(event, error);
      return false;
    }
  }

  private failed(event: OutcomeEvent, error: unknown): void {
    this.metrics.countFailure(event.type);
    this.logger.warn({ err: error, type: event.type }, 'could not record an outcome event');
  }

  /** The member id as events keep it (keyed hash). */
  hashMember(memberId: string): string {
    // Every turn of a member hashes the same id: an HMAC each time was ~0.5 % of a turn's CPU.
    return remembered(this.memberHashes, MEMBER_HASHES, memberId, (id) => hashMemberId(id, this.hashKey));
  }

  /** A deterministic opaque event id from its parts. */
  eventId(...parts: string[]): string {
    return eventId(this.hashKey, ...parts);
  }

  /** KPIs of a window, reading the events first-contact resolution needs after it too. */
  async kpis(query: KpiQuery): Promise<Kpis> {
    await this.flush();
    const fcr = query.fcrWindowMs ?? DEFAULT_FCR_WINDOW_MS;
    const events = await this.events.range(query.from, query.to + fcr);
    return computeKpis(events, query);
  }
}
