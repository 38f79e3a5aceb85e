import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activity } from 'botbuilder';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { TurnCommit } from '../core/turn-commit.js';
import type { Holder, InboundBackend, Next, Wake } from './inbound-backend.js';
import { turnLockResource } from './inbound-backend.js';
import type { FinishTurn, InboundHandler, InboundQueueOptions, KeepTurn } from './inbound-queue-options.js';
import { lockLost, waitForLock } from './lock-wait.js';
import { logTranscript } from './transcript-log.js';
import { TurnLease } from './turn-lease.js';
import type { LockManager } from './types.js';
import { WakeAcks } from './wake-acks.js';

/**
 * A durable inbound queue: a connector `enqueue`s an activity and acknowledges the platform only
 * after that resolves; the activity's turn runs later (usually right away, in this process) and is
 * removed only after it succeeded. Each partition (conversation) is drained in arrival order by one
 * holder of its lock at a time, so a redelivered entry is never overtaken by a later message of its
 * conversation. A process that dies mid-turn leaves its wake-up unacknowledged; another process claims
 * it after `visibilityMs` and runs the entry again, so handlers must be idempotent in effect.
 */
export class InboundQueue {
  private readonly backend: InboundBackend;
  private readonly locks: LockManager;
  private readonly logger: Logger;
  private readonly visibilityMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly maxRuns: number;
  private readonly lockWaitMs: number;
  private readonly consumer = randomUUID();
  /** Drains running in this process, per partition: a second one waits for the first. */
  private readonly draining = new Map<string, Promise<void>>();
  /** The turn locks of the drains running here: their turns' signals abort when the queue stops. */
  private readonly leases = new Set<TurnLease>();
  /** Drains the consumer started (the connector's own drains do not take its capacity). */
  private consumerDrains = 0;
  /** Wake-ups this process recorded, per partition: a drain here that empties it acknowledges them. */
  private readonly ownWakes = new Map<string, Promise<string | undefined>[]>();
  /** Wake-ups of drained partitions, acknowledged together with the next work (or after a delay). */
  private readonly acks: WakeAcks;
  private readonly handler: InboundHandler;
  private readonly finish: FinishTurn | undefined;
  private readonly keep: KeepTurn | undefined;
  private running = false;
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(options: InboundQueueOptions) {
    this.backend = options.backend;
    this.handler = options.handler;
    this.finish = options.finish;
    this.keep = options.keep;
    this.locks = options.locks;
    this.logger = options.logger ?? silentLogger;
    this.visibilityMs = options.visibilityMs ?? 10_000;
    this.pollMs = options.pollMs ?? Math.min(1_000, this.visibilityMs / 4);
    this.concurrency = options.concurrency ?? 16;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRuns = options.maxRuns ?? 50;
    this.lockWaitMs = options.lockWaitMs ?? 3 * this.visibilityMs;
    this.acks = new WakeAcks(this.backend, this.logger, this.visibilityMs);
  }

  /**
   * Queues an activity durably; resolves `true` when it is new and `false` when `id` was queued before
   * (a client's retry). Either way the activity is safely queued once the promise resolves.
   */
  async enqueue(partition: string, id: string, activity: Partial<Activity>): Promise<boolean> {
    void this.acks.flush();
    // Issued together, so the client sends both in one round trip; a wake-up for an append that failed
    // only wakes a drain that finds nothing.
    const [appended] = await Promise.all([
      this.backend.append(partition, id, JSON.stringify(activity)),
      this.recordWake(partition),
    ]);
    return appended.isNew;
  }

  /**
   * `enqueue` and `drain` in one: queues the activity and runs its partition here, the append and the
   * claim of the partition's turn lock being one step (one round trip on Redis). `queued` settles as
   * `enqueue` would (acknowledge the platform once it resolves); `done` as `drain` would. Handle both.
   */
  submit(
    partition: string,
    id: string,
    activity: Partial<Activity>,
  ): { queued: Promise<boolean>; done: Promise<void> } {
    const json = JSON.stringify(activity);
    return this.submitWith(partition, (holder) => this.backend.append(partition, id, json, holder));
  }

  /**
   * `submit` whose append is `append`: the backend's `append` with the same arguments, or a store's
   * step that also queues the entry (the web chat log appends a post's echo and queues its turn in one
   * script). It gets a holder to claim for, or none when a drain of the partition runs here already.
   */
  submitWith(
    partition: string,
    append: (holder: Holder | undefined) => Promise<{ isNew: boolean; next?: Next }>,
  ): { queued: Promise<boolean>; done: Promise<void> } {
    if (this.draining.has(partition)) {
      // A drain of the partition runs here already and will run this entry too.
      void this.acks.flush();
      const queued = Promise.all([append(undefined), this.recordWake(partition)]).then(
        ([appended]) => appended.isNew,
      );
      return { queued, done: queued.then(() => this.drain(partition)) };
    }
    let queued: Promise<boolean> | undefined;
    const done = this.drain(partition, (holder) => {
      const appended = append(holder);
      queued = Promise.all([appended, this.recordWake(partition)]).then(([result]) => result.isNew);
      return appended.then((result) => result.next ?? { kind: 'busy' });
    });
    // No drain ran here, so drain() called the claim above before returning.
    return { queued: queued ?? Promise.reject(new Error('the inbound claim did not start')), done };
  }

  /**
   * Runs the partition's queued entries in order, here and now (the connector calls this right after
   * `enqueue`, so a turn does not wait for a poll). Resolves once the partition is empty, or rejects
   * when a turn failed: that entry stays queued and a wake-up retries it after `visibilityMs`.
   */
  drain(partition: string, claim?: (holder: Holder) => Promise<Next>): Promise<void> {
    const previous = this.draining.get(partition);
    const run = () => this.drainLocked(partition, claim);
    // With nothing running here the drain starts at once, so its first claim leaves in this tick.
    const current = previous ? previous.catch(() => undefined).then(run) : run();
    this.draining.set(partition, current);
    const forget = () => {
      if (this.draining.get(partition) === current) this.draining.delete(partition);
    };
    current.then(forget, forget);
    return current;
  }

  /** Starts consuming wake-ups: this process's share of the work other processes left or timed out. */
  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.loop = this.consume();
  }

  /**
   * Stops taking wake-ups, aborts the signal of the turns in progress (a turn waiting out a platform's
   * outage stops; one that ignores the signal finishes) and waits for them; the entries behind them
   * stay queued (their wake-ups unacknowledged) for another process, or this one after a restart.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    for (const lease of this.leases) lease.stop();
    await this.loop;
    await Promise.allSettled([...this.draining.values()]);
    await this.acks.flush();
  }

  private async consume(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.consumerDrains;
      let wakes: Wake[] = [];
      if (free > 0) {
        try {
          wakes = await this.backend.claimWakes(this.consumer, free, this.visibilityMs);
        } catch (error) {
          this.logger.warn({ err: error }, 'could not read inbound wake-ups; retrying');
        }
      }
      const now = Date.now();
      for (const wake of wakes) {
        // A fresh wake-up is most likely being drained by the process that queued it: it stays pending
        // and is claimed again (then run) only if still there once idle for visibilityMs.
        if (now - wake.createdAt < this.visibilityMs) continue;
        this.consumerDrains++;
        this.drain(wake.partition)
          .then(
            () => this.acks.soon([wake.key]),
            (error: unknown) => {
              // Left unacknowledged: another consumer (or this one) claims it after visibilityMs.
              this.logger.warn({ err: error, partition: wake.partition }, 'inbound drain failed; will retry');
            },
          )
          .finally(() => {
            this.consumerDrains--;
          });
      }
      if (wakes.length === 0 && this.running) await sleep(this.pollMs);
    }
  }

  /**
   * Runs the partition's entries under its turn lock, claimed with `claim` first (a submit's append) or
   * `next`; once the partition is empty, the wake-ups this process recorded for it are acknowledged.
   */
  private async drainLocked(partition: string, claim?: (holder: Holder) => Promise<Next>): Promise<void> {
    const resource = turnLockResource(partition);
    const holder: Holder = { token: randomUUID(), ttlMs: this.visibilityMs };
    void this.acks.flush();
    // The lock's lifetime counts from when the claim that took it left, at the earliest.
    let claimedAt = Date.now();
    const claiming = claim ? claim(holder) : this.backend.next(partition, holder);
    // Wake-ups recorded so far (a submit's own included) are for entries this drain will run: once it
    // emptied the partition, nobody needs to be woken for them (most never reach another consumer).
    const wakes = this.ownWakes.get(partition) ?? [];
    this.ownWakes.delete(partition);
    const lock = this.locks.held(resource, holder.token);
    let lease: TurnLease | undefined;
    let emptied = false;
    try {
      let next = await claiming;
      if (next.kind === 'busy') {
        next = await waitForLock(resource, this.lockWaitMs, async () => {
          claimedAt = Date.now();
          const again = await this.backend.next(partition, holder);
          return again.kind === 'busy' ? null : again;
        });
      }
      const held = new TurnLease(lock, this.visibilityMs, claimedAt, this.logger, partition);
      lease = held;
      const { signal } = held;
      held.start();
      this.leases.add(held);
      if (this.stopping) held.stop();
      while (next.kind === 'entry') {
        const stored = next.entry;
        // Stopping, or the lock is lost: the rest of the partition is left to whoever runs it next.
        signal.throwIfAborted();
        if (stored.failures >= this.maxAttempts || stored.attempt > this.maxRuns) {
          this.logger.error(
            { partition, id: stored.id, failures: stored.failures, runs: stored.attempt - 1 },
            'inbound activity given up after repeated failures',
          );
          next = await this.backend.next(partition, holder, stored.key);
          continue;
        }
        const activity = JSON.parse(stored.json) as Partial<Activity>;
        // The turn's transcript (and web chat replies) are written as its entry is removed, in one step.
        const commit = new TurnCommit({
          channelId: activity.channelId,
          conversationId: activity.conversation?.id,
          transcripts: this.backend.transcripts,
          replies: this.finish !== undefined,
        });
        const entry = { id: stored.id, partition, activity, attempt: stored.attempt, commit, signal };
        await this.handler({ ...entry, firstRunAt: stored.firstRunAt }).catch(async (error: unknown) => {
          await this.failTurn(partition, stored.key, commit, held);
          throw error;
        });
        next = await this.commitTurn(partition, holder, stored.key, commit);
      }
      // Another holder took the lock after ours lapsed (this process stalled): it runs the rest.
      if (next.kind === 'busy') throw lockLost(resource);
      // The claim that found the partition empty freed the lock.
      emptied = true;
    } finally {
      if (lease) {
        lease.end();
        this.leases.delete(lease);
      }
      if (emptied) {
        this.acks.soon((await Promise.all(wakes)).filter((wake) => wake !== undefined));
      } else {
        // Not acknowledged: they stay pending in the backend, and the consumer that reclaims them after
        // `visibilityMs` (here or in another process) runs the partition again and acknowledges them.
        // Keeping them here too would leak an entry per partition another process finished.
        await lock.release().catch((error: unknown) => {
          this.logger.warn({ err: error, partition }, 'could not release an inbound drain lock');
        });
      }
    }
  }

  /**
   * After a turn failed: counts the failed run (not when the signal cut it short: that is no fault of
   * the message) and keeps its commit (not once the lock is lost: the turn is another holder's now).
   * Both settle before the lock is freed (a re-run must not overtake the kept replies).
   */
  private async failTurn(partition: string, key: string, commit: TurnCommit, lease: TurnLease) {
    const cut = lease.signal.aborted;
    const [counted] = await Promise.allSettled([
      cut ? undefined : this.backend.fail(partition, key),
      lease.isLost ? undefined : this.keepTurn(partition, commit),
    ]);
    if (counted.status === 'rejected') {
      this.logger.warn({ err: counted.reason, partition }, "could not count a failed turn's run");
    }
  }

  /**
   * Writes a finished turn's commit (and removes its entry), trying again for up to `visibilityMs` when
   * Redis fails it (a failover): running the turn again instead would run it on the state it saved. A
   * commit is idempotent (keyed replies, transcript ids, the entry's removal), so a try whose answer was
   * lost on the way does no harm.
   */
  private async commitTurn(
    partition: string,
    holder: Holder,
    done: string,
    commit: TurnCommit,
  ): Promise<Next> {
    const deadline = Date.now() + this.visibilityMs;
    for (let delayMs = 50; ; delayMs = Math.min(2 * delayMs, 1_000)) {
      try {
        return this.finish
          ? await this.finish(partition, holder, done, commit)
          : await this.backend.next(partition, holder, done, commit);
      } catch (error) {
        if (this.stopping || Date.now() + delayMs > deadline) throw error;
        this.logger.warn({ err: error, partition }, 'could not commit a turn; trying again');
        await sleep(delayMs);
      }
    }
  }

  /**
   * Writes a failed turn's commit but leaves its entry queued, so its side work runs again. Once the
   * turn's state was saved, its replies are the ones that answer the message (a re-run answers for the
   * state that save advanced; its replies are then skipped by their keys); its transcript keeps the
   * inbound message even when the entry is given up later. A failure here is logged: the re-run retries.
   */
  private async keepTurn(partition: string, commit: TurnCommit): Promise<void> {
    if (commit.transcript.length === 0 && !(commit.saved && commit.replies.length > 0)) return;
    try {
      if (this.keep) await this.keep(commit);
      else await logTranscript(this.backend.transcripts, commit.transcriptWith([]));
    } catch (error) {
      this.logger.warn({ err: error, partition }, "could not keep a failed turn's replies and transcript");
    }
  }

  /** Records a wake-up for the partition, remembered for the drain here that will empty it. */
  private recordWake(partition: string): Promise<string> {
    const wake = this.backend.wake(partition);
    const own = this.ownWakes.get(partition) ?? [];
    own.push(wake.catch(() => undefined));
    this.ownWakes.set(partition, own);
    return wake;
  }
}
