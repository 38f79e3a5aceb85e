import { randomUUID } from 'node:crypto';
import type { Activity, TurnContext } from 'botbuilder';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { type MemberSnapshot, turnCommit } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import type { ConversationStateStore, TurnAnnotation } from './conversation-state.js';
import type { HandoffAnnouncer } from './handoff-events.js';
import type { HandoffRecord, HandoffRecords } from './handoff-record.js';
import type { HandoffsOptions } from './handoffs-options.js';
import type { HubWebhook } from './hub-webhook.js';
import { newHandoffRecord, packetValue } from './new-handoff.js';
import { buildHandoffPacket, type ConversationKey, collectTranscript, defaultRedact } from './packet.js';
import { emptySignals, type HandoffReason, summarizeSignals } from './policy.js';
import { defaultPriorityOptions, type HandoffQueue } from './queue.js';

/** What starting a handoff shares with the rest of the handoff service. */
export interface HandoffIntakeParts {
  conversations: ConversationStateStore;
  records: HandoffRecords;
  queue: HandoffQueue;
  clock: Clock;
  logger: Logger;
  events: HandoffAnnouncer;
}

/**
 * Starts handoffs (see `Handoffs.initiate`): claims the conversation, builds the packet with the
 * member's whole transcript, queues the handoff, announces it, runs the listeners and hands the packet
 * to the hub.
 */
export class HandoffIntake {
  private readonly initiatedListeners: ((record: HandoffRecord) => Promise<void>)[] = [];
  private readonly newId: () => string;

  constructor(
    private readonly options: HandoffsOptions,
    private readonly parts: HandoffIntakeParts,
  ) {
    this.newId = options.newId ?? randomUUID;
  }

  /** Runs `listener` in the process that started a handoff, once per handoff (waypoints use it). */
  onInitiated(listener: (record: HandoffRecord) => Promise<void>): void {
    this.initiatedListeners.push(listener);
  }

  /**
   * Starts a handoff for the conversation of this turn, unless one is already pending or active
   * (then `undefined`). Claims the conversation first with an eTag-checked write, so two processes
   * never start two handoffs.
   */
  async initiate(
    context: TurnContext,
    reason: HandoffReason,
    turn: { member?: MemberSnapshot | undefined; nlu?: NluResult | undefined },
  ): Promise<HandoffRecord | undefined> {
    const { channelId, conversation } = context.activity;
    const id = this.newId();
    const lock = await this.options.locks.acquire(`handoff:${channelId}:${conversation.id}`, {
      ttlMs: 10_000,
      waitMs: 10_000,
    });
    let claimed: { signals: ReturnType<typeof summarizeSignals>; turns: TurnAnnotation[] } | undefined;
    try {
      claimed = await this.parts.conversations.update(channelId, conversation.id, (state) =>
        state.activeHandoffId
          ? { result: undefined }
          : {
              state: { ...state, activeHandoffId: id, signals: emptySignals() },
              result: { signals: summarizeSignals(state.signals), turns: state.turns },
            },
      );
    } finally {
      await lock.release();
    }
    if (!claimed) return undefined;

    const now = this.parts.clock.now();
    const record = newHandoffRecord({
      id,
      context,
      reason,
      signals: claimed.signals,
      turn,
      now,
      priority: this.options.priority ?? defaultPriorityOptions,
    });
    const packet = buildHandoffPacket(
      context,
      packetValue(record, turn.nlu, claimed.turns),
      // The turn's own message is written with its commit, after this: it is added from there.
      await this.transcriptOf(record, turnCommit(context)?.pendingTranscript() ?? []),
      now,
    );
    await this.parts.records.create(record, packet);
    await this.parts.queue.enqueue({
      handoffId: id,
      enqueuedAt: now,
      priority: record.priority,
      language: record.language,
      topic: record.topic,
    });
    await this.parts.queue.setStatus(id, 'pending', now);
    await this.parts.events.announce({ type: 'handoff.requested', handoffId: id });
    for (const listener of this.initiatedListeners) {
      await listener(record).catch((error: unknown) => {
        this.parts.logger.warn({ err: error, handoffId: id }, 'a handoff listener failed');
      });
    }
    const { hub, inFlight } = this.options;
    if (hub) {
      // Off the turn: a slow or failing hub must not delay the customer's reply.
      const delivery = () => this.deliverToHub(hub, packet, id);
      void (inFlight ? inFlight.run(delivery) : delivery());
    }
    return record;
  }

  /**
   * Every activity of the member across their conversations, oldest first, redacted; `pending`: the
   * current turn's activities not stored yet.
   */
  async transcriptOf(record: HandoffRecord, pending: readonly Activity[] = []): Promise<Activity[]> {
    const current = { channelId: record.channelId, conversationId: record.conversationId };
    let others: ConversationKey[] = [];
    try {
      others = (await this.options.conversationsOf?.(record.member.id)) ?? [];
    } catch (error) {
      // The current conversation still makes a useful packet; the agent sees the rest in the profile.
      this.parts.logger.warn(
        { err: error, memberId: record.member.id },
        'could not list the member conversations',
      );
    }
    return collectTranscript(
      this.options.transcripts,
      [...others, current],
      this.options.redact ?? defaultRedact,
      pending,
    );
  }

  private async deliverToHub(hub: HubWebhook, packet: Activity, id: string): Promise<void> {
    try {
      await hub.deliver(packet);
    } catch (error) {
      this.parts.logger.error({ err: error, handoffId: id }, 'the agent hub did not take the handoff');
    }
  }
}
