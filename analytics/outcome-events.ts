import { type OutcomeEvent, parseOutcomeEvent } from './events.js';

/**
 * The append-only store of outcome events. There is no update and no delete: a correction is a new
 * event. Implementations pass `test/contract/outcome-events-contract.ts`.
 */
export interface OutcomeEvents {
  /**
   * Stores one event (validated against the PII-free schema first). Resolves `true` when stored,
   * `false` when an event with the same id and day was stored before (a retry, or another process
   * recording the same outcome): recording is idempotent.
   */
  append(event: OutcomeEvent): Promise<boolean>;
  /**
   * Stores a batch, each event as {@link append} would (validated, idempotent), answering per event
   * what `append` would have resolved or rejected with. Optional: a store that can write a batch in
   * fewer commands offers it, and `AnalyticsService` writes its queued outcomes with it.
   */
  appendAll?(events: readonly OutcomeEvent[]): Promise<PromiseSettledResult<boolean>[]>;
  /** Events with `from <= at < to`, oldest first; ties in `at` ordered by id. */
  range(from: number, to: number): Promise<OutcomeEvent[]>;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The UTC day an event is filed under (its idempotency scope and its Redis bucket). */
export const dayOf = (at: number): number => Math.floor(at / DAY_MS);

/** Orders events as every store returns them: by time, then by id. */
export function compareEvents(a: OutcomeEvent, b: OutcomeEvent): number {
  return a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Outcome events in this process's memory (embedded mode and tests); lost on restart. */
export class MemoryOutcomeEvents implements OutcomeEvents {
  private readonly events: OutcomeEvent[] = [];
  private readonly seen = new Set<string>();

  async append(event: OutcomeEvent): Promise<boolean> {
    const valid = parseOutcomeEvent(event);
    const key = `${dayOf(valid.at)}:${valid.id}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    // Keep the array sorted: binary search for the insertion point (events mostly arrive in order).
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareEvents(this.events[mid] as OutcomeEvent, valid) <= 0) low = mid + 1;
      else high = mid;
    }
    this.events.splice(low, 0, structuredClone(valid));
    return true;
  }

  appendAll(events: readonly OutcomeEvent[]): Promise<PromiseSettledResult<boolean>[]> {
    return Promise.allSettled(events.map((event) => this.append(event)));
  }

  async range(from: number, to: number): Promise<OutcomeEvent[]> {
    return this.events
      .filter((event) => event.at >= from && event.at < to)
      .map((event) => structuredClone(event));
  }
}
