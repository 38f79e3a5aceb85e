import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { HandoffEvent, HandoffRecord } from '../handoff/index.js';
import type { AnalyticsService } from './analytics.js';
import type { OutcomeInput } from './events.js';

/** What this bridge needs of handoff/'s `Handoffs` (structural, so tests may pass their own). */
export interface HandoffEventSource {
  subscribe(listener: (event: HandoffEvent) => void): Promise<() => Promise<void>>;
  readonly records: { find(id: string): Promise<HandoffRecord | undefined> };
}

/**
 * Turns the handoff lifecycle into outcome events: `handoff.requested` (reason, signals),
 * `agent.accepted` (time waited), `agent.resolved` (time handled) and `handoff.abandoned` (ended before
 * anyone accepted). It listens to the handoff events every process receives over pub/sub; the event ids
 * are derived from the handoff and its timestamps, so the store keeps each outcome once however many
 * processes record it — and only the process that stored it counts it in `/metrics`.
 */
export class HandoffOutcomes {
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly analytics: AnalyticsService,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** Starts listening; resolves once subscribed. */
  async watch(source: HandoffEventSource): Promise<void> {
    this.unsubscribe = await source.subscribe((event) => {
      if (event.type !== 'handoff.requested' && event.type !== 'handoff.updated') return;
      const work = this.handle(source, event)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, handoffId: event.handoffId }, 'handoff analytics failed'),
        )
        .finally(() => this.pending.delete(work));
      this.pending.add(work);
    });
  }

  /** Records the outcome of a handoff as it stands now (also usable without pub/sub). */
  async handle(source: Pick<HandoffEventSource, 'records'>, event: Pick<HandoffEvent, 'type' | 'handoffId'>) {
    const record = await source.records.find(event.handoffId);
    if (!record) return;
    const session = await this.analytics.sessions.current(record.channelId, record.conversationId);
    const common = {
      ...(session ? { conversation: session.id } : {}),
      channel: record.channelId,
      ...(/^[a-z]{2,3}$/.test(record.language) ? { language: record.language } : {}),
      member: this.analytics.hashMember(record.member.id),
      ...(record.member.tier ? { tier: record.member.tier } : {}),
      handoffId: record.id,
    };
    const a = this.analytics;
    const inputs: OutcomeInput[] = [];
    if (event.type === 'handoff.requested') {
      inputs.push({
        ...common,
        id: a.eventId('handoff', record.id, 'requested'),
        at: record.createdAt,
        type: 'handoff.requested',
        reason: record.reason.trigger,
        signals: record.signals,
      });
    }
    if (record.acceptedAt !== null) {
      inputs.push({
        ...common,
        id: a.eventId('handoff', record.id, 'accepted', String(record.acceptedAt)),
        at: record.acceptedAt,
        type: 'agent.accepted',
        waitMs: Math.max(0, record.acceptedAt - record.createdAt),
      });
    }
    if (record.resolvedAt !== null) {
      inputs.push(
        record.acceptedAt !== null
          ? {
              ...common,
              id: a.eventId('handoff', record.id, 'resolved'),
              at: record.resolvedAt,
              type: 'agent.resolved',
              handleMs: Math.max(0, record.resolvedAt - record.acceptedAt),
            }
          : {
              ...common,
              id: a.eventId('handoff', record.id, 'abandoned'),
              at: record.resolvedAt,
              type: 'handoff.abandoned',
              waitMs: Math.max(0, record.resolvedAt - record.createdAt),
            },
      );
    }
    for (const input of inputs) {
      const stored = await a.record(input);
      if (stored && input.type === 'handoff.requested')
        a.metrics.countHandoff(input.reason, record.channelId);
    }
  }

  /** Stops listening and waits for the outcomes being recorded. */
  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.pending]);
  }
}
