import type { Logger } from '../core/logger.js';
import type { PubSub } from '../storage/types.js';
import type { HandoffStatus } from './queue.js';

/** Pub/sub channel on which every process announces handoff changes to its agent consoles. */
export const HANDOFF_EVENTS_CHANNEL = 'handoff:events';

/** What agent consoles are told, in real time, across processes. */
export type HandoffEvent =
  | { type: 'handoff.requested'; handoffId: string }
  | { type: 'handoff.updated'; handoffId: string; status: HandoffStatus; agentId: string | null }
  | { type: 'handoff.message'; handoffId: string; from: 'customer' | 'agent'; text: string; at: number }
  | { type: 'handoff.note'; handoffId: string; agentId: string; text: string; at: number };

/** Tells every process's agent consoles about handoff changes, through pub/sub. */
export class HandoffAnnouncer {
  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  /** Publishes an event; a failure is logged, not thrown: the change itself is saved already. */
  async announce(event: HandoffEvent): Promise<void> {
    try {
      await this.pubsub.publish(HANDOFF_EVENTS_CHANNEL, JSON.stringify(event));
    } catch (error) {
      // The state is saved; consoles catch up on their next refresh.
      this.logger.warn({ err: error, event: event.type }, 'could not announce a handoff event');
    }
  }

  /** Subscribes to handoff events from every process; resolves with the unsubscribe function. */
  subscribe(listener: (event: HandoffEvent) => void): Promise<() => Promise<void>> {
    return this.pubsub.subscribe(HANDOFF_EVENTS_CHANNEL, (message) => {
      listener(JSON.parse(message) as HandoffEvent);
    });
  }
}
