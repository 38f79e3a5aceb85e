import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { TurnCommit } from '../core/turn-commit.js';
import type { Holder, InboundBackend, Next, StoredEntry, Wake } from './inbound-backend.js';
import { refuseCommitReplies, turnLockResource } from './inbound-backend.js';
import { MemoryLockManager } from './memory-lock.js';
import type { BatchTranscriptStore } from './types.js';

/** How long an inbound id is remembered after it was queued, so a late retry is not queued again. */
export const INBOUND_RETENTION_MS = 24 * 60 * 60 * 1000;

interface Partition {
  entries: StoredEntry[];
  /** When each id was queued: the dedupe record, kept for the retention after the entry is done. */
  seen: Map<string, number>;
}

/**
 * {@link InboundBackend} in process memory, for the embedded mode: the same order, dedupe, turn lock
 * and wake-up semantics as on Redis (several queues sharing one backend behave like several
 * processes), but nothing survives a restart. `locks` must be the lock manager the pipeline's
 * conversation lock uses, so that the turn lock the backend takes is the same lock.
 */
export class MemoryInboundBackend implements InboundBackend {
  private readonly partitions = new Map<string, Partition>();
  private readonly wakes = new Map<string, { partition: string; createdAt: number; deliveredAt?: number }>();
  private sequence = 0;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly retentionMs = INBOUND_RETENTION_MS,
    private readonly locks = new MemoryLockManager(clock),
    /** Where a turn's commit writes its transcript, as the entry is removed. */
    readonly transcripts?: BatchTranscriptStore,
  ) {}

  async append(
    partition: string,
    id: string,
    json: string,
    holder?: Holder,
  ): Promise<{ isNew: boolean; next?: Next }> {
    const isNew = this.add(partition, id, json);
    return { isNew, ...(holder ? { next: this.claim(partition, holder) } : {}) };
  }

  async wake(partition: string): Promise<string> {
    const key = String(++this.sequence);
    this.wakes.set(key, { partition, createdAt: this.clock.now() });
    return key;
  }

  async next(partition: string, holder: Holder, done?: string, commit?: TurnCommit): Promise<Next> {
    refuseCommitReplies(commit);
    // One process: nothing can come between the transcript's write and the entry's removal.
    if (this.transcripts && commit && commit.transcript.length > 0 && done !== undefined) {
      await this.transcripts.logActivities(commit.transcriptWith([]));
    }
    const state = this.partitions.get(partition);
    if (state && done !== undefined) state.entries = state.entries.filter((entry) => entry.key !== done);
    return this.claim(partition, holder);
  }

  async fail(partition: string, key: string): Promise<void> {
    const entry = this.partitions.get(partition)?.entries.find((stored) => stored.key === key);
    if (entry) entry.failures++;
  }

  async claimWakes(_consumer: string, count: number, idleMs: number): Promise<Wake[]> {
    const now = this.clock.now();
    const claimed: Wake[] = [];
    for (const [key, wake] of this.wakes) {
      if (claimed.length >= count) break;
      const isIdle = wake.deliveredAt === undefined || now - wake.deliveredAt >= idleMs;
      if (!isIdle) continue;
      wake.deliveredAt = now;
      claimed.push({ key, partition: wake.partition, createdAt: wake.createdAt });
    }
    return claimed;
  }

  async ack(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.wakes.delete(key);
  }

  private add(partition: string, id: string, json: string): boolean {
    const now = this.clock.now();
    const state = this.partitions.get(partition) ?? { entries: [], seen: new Map<string, number>() };
    this.partitions.set(partition, state);
    for (const [seenId, at] of state.seen) if (at <= now - this.retentionMs) state.seen.delete(seenId);
    if (state.seen.has(id)) return false;
    state.seen.set(id, now);
    state.entries.push({ key: String(++this.sequence), id, json, attempt: 0, failures: 0, firstRunAt: 0 });
    return true;
  }

  /** As the Redis scripts' claim: the lock for `holder` and the oldest entry, or why not. */
  private claim(partition: string, holder: Holder): Next {
    const resource = turnLockResource(partition);
    const current = this.locks.holderOf(resource);
    if (current !== undefined && current !== holder.token) return { kind: 'busy' };
    const first = this.partitions.get(partition)?.entries[0];
    if (!first) {
      if (current !== undefined) this.locks.setHolder(resource, undefined);
      return { kind: 'empty' };
    }
    this.locks.setHolder(resource, holder.token, holder.ttlMs);
    first.attempt++;
    if (first.attempt === 1) first.firstRunAt = this.clock.now();
    return { kind: 'entry', entry: { ...first } };
  }
}
