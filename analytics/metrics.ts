import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface AnalyticsMetricsOptions {
  /** Waiting conversations right now, read on every scrape (e.g. `handoffs.queue.waiting()` length). */
  queueLength?: (() => Promise<number>) | undefined;
  /** Node process metrics (CPU, memory, event loop lag) too. Default true. */
  processMetrics?: boolean;
}

/** What a turn ended as, for the turn counter. */
export type TurnOutcome = 'recognized' | 'not_understood' | 'human' | 'no_nlu' | 'failed';

/**
 * Prometheus metrics of this process (prom-client, on a registry of its own so two Relevo instances in
 * one process never collide): turns, turn latency, handoffs, the handoff queue, NLU confidence and the
 * outcome events recorded. Counters count in the process that saw the thing happen; a Prometheus server
 * sums them across processes.
 */
export class AnalyticsMetrics {
  readonly registry = new Registry();
  private readonly turns: Counter<'channel' | 'outcome'>;
  private readonly latency: Histogram<'channel'>;
  private readonly handoffs: Counter<'reason' | 'channel'>;
  private readonly confidence: Histogram<'language'>;
  private readonly recorded: Counter<'type'>;
  private readonly failures: Counter<'type'>;

  constructor(options: AnalyticsMetricsOptions = {}) {
    const registers = [this.registry];
    this.turns = new Counter({
      name: 'relevo_turns_total',
      help: 'Turns run through the pipeline, by channel and outcome',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'relevo_turn_duration_seconds',
      help: 'Time from the start of a turn (after dedupe and the conversation lock) to its end',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.handoffs = new Counter({
      name: 'relevo_handoffs_total',
      help: 'Handoffs to a person requested, by reason and channel',
      labelNames: ['reason', 'channel'],
      registers,
    });
    this.confidence = new Histogram({
      name: 'relevo_nlu_confidence',
      help: 'Score of the top intent of each understood or not-understood message',
      labelNames: ['language'],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers,
    });
    this.recorded = new Counter({
      name: 'relevo_outcome_events_total',
      help: 'Outcome events stored, by type',
      labelNames: ['type'],
      registers,
    });
    this.failures = new Counter({
      name: 'relevo_outcome_event_failures_total',
      help: 'Outcome events that could not be stored (logged; the turn went on)',
      labelNames: ['type'],
      registers,
    });
    const queueLength = options.queueLength;
    new Gauge({
      name: 'relevo_handoff_queue_length',
      help: 'Conversations waiting for a person',
      registers,
      async collect() {
        if (queueLength) this.set(await queueLength());
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'relevo_' });
  }

  observeTurn(channel: string, outcome: TurnOutcome, seconds: number): void {
    this.turns.inc({ channel, outcome });
    this.latency.observe({ channel }, seconds);
  }

  observeConfidence(language: string, score: number): void {
    this.confidence.observe({ language }, score);
  }

  countHandoff(reason: string, channel: string): void {
    this.handoffs.inc({ reason, channel });
  }

  countRecorded(type: string, stored: boolean): void {
    if (stored) this.recorded.inc({ type });
  }

  countFailure(type: string): void {
    this.failures.inc({ type });
  }

  /** The exposition in Prometheus text format, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
