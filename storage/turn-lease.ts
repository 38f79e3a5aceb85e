import { guardSignal } from '../core/abort.js';
import { hasCode, RelevoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { StorageErrorCode } from './errors.js';
import type { Lock } from './types.js';

/** The reason a drain's signal aborts when its turn lock is no longer its own. */
const TURN_LOCK_LOST = 'RELEVO_TURN_LOCK_LOST';
/** The reason a drain's signal aborts when its queue stops. */
const QUEUE_STOPPING = 'RELEVO_QUEUE_STOPPING';

/**
 * A drain's hold on its partition's turn lock: extends it every third of its lifetime while the
 * drain's turns run, and aborts {@link signal} once the lock is no longer the drain's, so a turn stops
 * sending before another process, which took the partition over, runs it again. Lost means: an extend
 * answered that another holder has the lock (or nobody: it expired), or the lifetime of the last
 * successful extend (counted from when it was sent) ran out with none after it (Redis unreachable,
 * or this process stalled). A failed extend alone proves nothing (Redis may have applied it): it is
 * logged and the next one tries again. {@link stop} also aborts (the queue is stopping), but the
 * lock is still held then and kept alive until the drain ends.
 */
export class TurnLease {
  private readonly controller = new AbortController();
  private heldUntil: number;
  private keepAlive: NodeJS.Timeout | undefined;
  private lapse: NodeJS.Timeout | undefined;
  private lost = false;
  private ended = false;

  /** `claimedAt`: when the claim that took the lock was sent (its lifetime counts from no earlier). */
  constructor(
    private readonly lock: Lock,
    private readonly ttlMs: number,
    claimedAt: number,
    private readonly logger: Logger,
    private readonly partition: string,
  ) {
    this.heldUntil = claimedAt + ttlMs;
    guardSignal(this.controller.signal, () => this.assertHeld());
  }

  /** Aborts when the turn must send nothing more (see {@link TurnLease}); its reason is a `RelevoError`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the lock is known to be lost: the turn is another holder's now (its failure is not ours to write). */
  get isLost(): boolean {
    return this.lost;
  }

  /** Starts extending. The lapse timer is armed at the first extend: no lock lapses sooner. */
  start(): void {
    this.keepAlive = setInterval(() => this.extend(), this.ttlMs / 3);
  }

  /** The queue stops: turns stop at their next send or wait; the lock stays held until {@link end}. */
  stop(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(
      new RelevoError(QUEUE_STOPPING, 'The inbound queue is stopping', { statusCode: 503 }),
    );
  }

  /**
   * Rejects with the signal's reason when the lock is lost, deciding a passed deadline itself: a turn
   * that computed past it synchronously sends before the timers could see it (the guard of `throwIfStopped`).
   */
  async assertHeld(): Promise<void> {
    if (!this.lost && !this.ended && Date.now() >= this.heldUntil) {
      await nextIoPoll();
      if (!this.ended) this.checkLapse();
    }
    this.controller.signal.throwIfAborted();
  }

  /** The drain is over: no more extends. */
  end(): void {
    this.ended = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.lapse);
  }

  private extend(): void {
    if (this.decideLater(() => this.extend())) return;
    this.lapse ??= setTimeout(() => this.onLapseTimer(), this.heldUntil - Date.now());
    const sentAt = Date.now();
    this.lock.extend(this.ttlMs).then(
      () => {
        this.heldUntil = Math.max(this.heldUntil, sentAt + this.ttlMs);
      },
      (error: unknown) => {
        if (this.ended) return;
        if (hasCode(error, StorageErrorCode.lockLost)) {
          this.lose('another holder has it, or it expired');
          return;
        }
        // Redis may have applied it all the same: only a lapse with no extend proves the lock lost.
        this.logger.warn({ err: error, partition: this.partition }, 'could not extend an inbound drain lock');
      },
    );
  }

  private onLapseTimer(): void {
    if (this.decideLater(() => this.onLapseTimer())) return;
    this.lapse = setTimeout(() => this.onLapseTimer(), this.heldUntil - Date.now());
  }

  /**
   * Past the deadline, decides after the I/O poll instead (then `carryOn` if the lock is still held):
   * timers run before I/O, so after a stall an extend's answer may be waiting unread in the socket.
   */
  private decideLater(carryOn: () => void): boolean {
    if (Date.now() < this.heldUntil) return false;
    setImmediate(() => {
      if (!this.ended && !this.checkLapse()) carryOn();
    });
    return true;
  }

  /** Loses the lock if its lifetime ran out without an extend; whether it did. */
  private checkLapse(): boolean {
    if (Date.now() < this.heldUntil) return false;
    this.lose('it lapsed with no extend');
    return true;
  }

  private lose(why: string): void {
    this.end();
    if (this.lost) return;
    this.lost = true;
    const error = new RelevoError(
      TURN_LOCK_LOST,
      `The turn lock of ${this.partition} is no longer held (${why}): another process may run its turn`,
      { statusCode: 409, details: { resource: this.lock.resource } },
    );
    this.logger.warn({ err: error, partition: this.partition }, 'an inbound drain lost its turn lock');
    // After a stop's abort the signal keeps that reason; the turn stops either way.
    this.controller.abort(error);
  }
}

/** Resolves after the event loop's next I/O poll (answers that already arrived are read by then). */
function nextIoPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
