import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { DurableTimers } from '../identity/journey/durable-timers.js';
import type { HandoffRecord } from './handoff-record.js';
import type { Handoffs } from './handoffs.js';
import { messagesFor } from './messages.js';

export interface HandoffWaypointsOptions {
  handoffs: Handoffs;
  /** Durable timers (identity's, on memory or Redis under their own name): survive restarts, fire once. */
  timers: DurableTimers;
  /** Waiting longer than this offers a callback or an email follow-up (default 60 s). */
  waitingMs?: number;
  /** How soon after a request to check whether any agent is online (default 5 s: presence may lag). */
  noAgentCheckMs?: number;
  /** How often this process polls for due timers (default 1 s). */
  pollIntervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

type WaypointKind = 'waiting' | 'no-agent';

/**
 * The handoff's waypoints: durable timers scheduled when a handoff starts and claimed atomically by
 * whichever process polls first. Waiting too long → the customer is offered a callback or an email
 * follow-up; nobody online → the customer is offered an answer by email and told when to expect it.
 * A timer whose handoff was taken meanwhile does nothing.
 */
export class HandoffWaypoints {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<number> | undefined;

  constructor(private readonly options: HandoffWaypointsOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    options.handoffs.onInitiated((record) => this.schedule(record));
  }

  private async schedule(record: HandoffRecord): Promise<void> {
    const { timers } = this.options;
    const payload = (kind: WaypointKind) => ({ kind, handoffId: record.id });
    await timers.schedule(
      `waiting:${record.id}`,
      record.createdAt + (this.options.waitingMs ?? 60_000),
      payload('waiting'),
    );
    await timers.schedule(
      `no-agent:${record.id}`,
      record.createdAt + (this.options.noAgentCheckMs ?? 5_000),
      payload('no-agent'),
    );
  }

  /** Fires every due waypoint this process claims; resolves with how many it handled. */
  async tick(): Promise<number> {
    const due = await this.options.timers.claimDue(this.clock.now(), 50);
    for (const timer of due) {
      const { kind, handoffId } = timer.payload as { kind: WaypointKind; handoffId: string };
      try {
        await this.fire(kind, handoffId);
      } catch (error) {
        this.logger.warn({ err: error, handoffId, kind }, 'a handoff waypoint failed');
      }
    }
    return due.length;
  }

  private async fire(kind: WaypointKind, handoffId: string): Promise<void> {
    const { handoffs } = this.options;
    const record = await handoffs.records.find(handoffId);
    if (record?.status !== 'pending') return;
    const messages = messagesFor(record.language);
    if (kind === 'waiting') {
      await handoffs.tellCustomer(record, messages.waitingLong);
      await handoffs.note(
        handoffId,
        'relevo',
        `Waited over ${Math.round((this.options.waitingMs ?? 60_000) / 1000)} s: offered a callback or email`,
      );
    } else if ((await handoffs.queue.onlineAgents(this.clock.now())).length === 0) {
      await handoffs.tellCustomer(record, messages.noAgentOnline);
      await handoffs.note(handoffId, 'relevo', 'No agent online: offered an answer by email');
    }
  }

  /** Starts polling (call once the server listens). */
  start(): void {
    this.timer ??= setInterval(() => {
      // A tick that fails (Redis away) is logged and the next one tries again; left unhandled, its
      // rejection would take the whole process down.
      this.ticking ??= this.tick()
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'could not poll the handoff waypoint timers');
          return 0;
        })
        .finally(() => {
          this.ticking = undefined;
        });
    }, this.options.pollIntervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Stops polling and waits for a running tick. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }
}
