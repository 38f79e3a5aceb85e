import type { Activity, BotAdapter, TurnContext } from 'botbuilder';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { MemberSnapshot } from '../core/turn-state.js';
import type { NluResult } from '../nlu-models/recognizer/types.js';
import { ConversationStateStore, type TurnAnnotation } from './conversation-state.js';
import { CustomerChannels } from './customer-channels.js';
import { HandoffErrorCode, handoffError } from './errors.js';
import { HandoffAnnouncer, type HandoffEvent } from './handoff-events.js';
import { HandoffIntake } from './handoff-intake.js';
import { type HandoffRecord, HandoffRecords } from './handoff-record.js';
import type { HandoffsOptions, HandoffSummary } from './handoffs-options.js';
import { messagesFor } from './messages.js';
import { emptySignals, type HandoffReason } from './policy.js';
import { HANDOFF_STATUSES, type HandoffQueue, type HandoffStatus } from './queue.js';

/**
 * The handoff service every part shares: starts handoffs with their packet (handoff-intake.ts), queues
 * and assigns them, carries agent replies to the customer's own channel with `continueConversation`
 * (customer-channels.ts), and hands the conversation back to the bot. State lives in storage and the
 * queue, so any process can serve any call.
 */
export class Handoffs {
  readonly conversations: ConversationStateStore;
  readonly records: HandoffRecords;
  readonly queue: HandoffQueue;
  readonly clock: Clock;
  private readonly events: HandoffAnnouncer;
  private readonly channels: CustomerChannels;
  private readonly intake: HandoffIntake;

  constructor(private readonly options: HandoffsOptions) {
    this.conversations = new ConversationStateStore(options.storage);
    this.records = new HandoffRecords(options.storage);
    this.queue = options.queue;
    this.clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    this.events = new HandoffAnnouncer(options.pubsub, logger);
    this.channels = new CustomerChannels(options.adapters);
    this.intake = new HandoffIntake(options, {
      conversations: this.conversations,
      records: this.records,
      queue: this.queue,
      clock: this.clock,
      logger,
      events: this.events,
    });
  }

  /** Runs `listener` in the process that started a handoff, once per handoff (waypoints use it). */
  onInitiated(listener: (record: HandoffRecord) => Promise<void>): void {
    this.intake.onInitiated(listener);
  }

  /** Sends the customer of a handoff a message from the bot, through their own channel. */
  async tellCustomer(record: HandoffRecord, text: string): Promise<void> {
    await this.channels.continueWith(record, async (context) => {
      await context.sendActivity(text);
    });
  }

  /** Remembers the adapter a channel's turns run on, for channels the composition root did not map. */
  learnAdapter(channelId: string, adapter: BotAdapter): void {
    this.channels.learn(channelId, adapter);
  }

  /**
   * Starts a handoff for the conversation of this turn, unless one is already pending or active
   * (then `undefined`). Claims the conversation first with an eTag-checked write, so two processes
   * never start two handoffs.
   */
  initiate(
    context: TurnContext,
    reason: HandoffReason,
    turn: { member?: MemberSnapshot | undefined; nlu?: NluResult | undefined },
  ): Promise<HandoffRecord | undefined> {
    return this.intake.initiate(context, reason, turn);
  }

  /**
   * Every activity of the member across their conversations, oldest first, redacted; `pending`: the
   * current turn's activities not stored yet.
   */
  transcriptOf(record: HandoffRecord, pending: readonly Activity[] = []): Promise<Activity[]> {
    return this.intake.transcriptOf(record, pending);
  }
  /** What the bot understood per turn of the handoff's conversation. */
  async annotationsOf(record: HandoffRecord): Promise<TurnAnnotation[]> {
    return (await this.conversations.read(record.channelId, record.conversationId)).turns;
  }

  /**
   * Erases every handoff of a member: record (identity keys, name, notes) and packet (the transcript).
   * The queue keeps only ids, which then point at nothing. Answers how many handoffs were erased.
   */
  async eraseMember(memberId: string): Promise<number> {
    const ids = (
      await Promise.all(HANDOFF_STATUSES.map((status) => this.queue.listByStatus(status, 10_000)))
    ).flat();
    const records = await this.records.many([...new Set(ids)]);
    const theirs = records.filter((record) => record.member?.id === memberId).map((record) => record.id);
    await this.records.delete(theirs);
    return theirs.length;
  }

  /** The handoff pending or active on a conversation, if any. */
  async activeFor(channelId: string, conversationId: string): Promise<HandoffRecord | undefined> {
    const { activeHandoffId } = await this.conversations.readShared(channelId, conversationId);
    const record = activeHandoffId ? await this.records.find(activeHandoffId) : undefined;
    // A pointer left behind by a resolve that stopped half-way must not hold the bot silent for ever.
    return record && (record.status === 'pending' || record.status === 'active') ? record : undefined;
  }

  /** Handoffs of one status, most recently changed first. */
  async list(status: HandoffStatus, limit = 100): Promise<HandoffSummary[]> {
    return (await this.records.many(await this.queue.listByStatus(status, limit))).map((record) =>
      this.summarize(record),
    );
  }

  /** A handoff as the desk lists it: without its conversation reference, with its waiting time. */
  summarize(record: HandoffRecord): HandoffSummary {
    const { reference: _reference, eTag: _eTag, ...rest } = record;
    return {
      ...rest,
      conversation: { channelId: record.channelId, conversationId: record.conversationId },
      waitingMs: (record.acceptedAt ?? record.resolvedAt ?? this.clock.now()) - record.createdAt,
    };
  }

  /** An agent takes a waiting conversation: exactly one agent gets it, within their capacity. */
  async accept(id: string, agentId: string, maxChats: number): Promise<HandoffRecord> {
    const record = await this.records.get(id);
    if (record.status !== 'pending') {
      throw handoffError(HandoffErrorCode.alreadyTaken, `Handoff "${id}" is ${record.status}`, 409);
    }
    const entry = await this.queue.claim(id);
    if (!entry) throw handoffError(HandoffErrorCode.alreadyTaken, `Handoff "${id}" was taken`, 409);
    if (!(await this.queue.assign(agentId, id, maxChats))) {
      await this.queue.enqueue(entry);
      throw handoffError(
        HandoffErrorCode.capacity,
        `Agent "${agentId}" holds ${maxChats} chats already`,
        409,
      );
    }
    return this.activate(id, agentId);
  }

  private async activate(id: string, agentId: string, hubStatus?: string): Promise<HandoffRecord> {
    const now = this.clock.now();
    const updated = await this.records.update(id, (current) => ({
      ...current,
      status: 'active',
      agentId,
      acceptedAt: current.acceptedAt ?? now,
      hubStatus: hubStatus ?? current.hubStatus,
    }));
    await this.queue.setStatus(id, 'active', now);
    await this.events.announce({ type: 'handoff.updated', handoffId: id, status: 'active', agentId });
    return updated;
  }

  /** Sends the agent's words to the customer through the customer's own channel. */
  async reply(id: string, agent: { id: string; name: string }, text: string): Promise<void> {
    const record = await this.requireActive(id);
    await this.channels.continueWith(record, async (context) => {
      // TurnContext stamps the bot's account on what it sends; show the agent's name instead.
      context.onSendActivities(async (_context, activities, next) => {
        for (const activity of activities)
          if (activity.from) activity.from = { ...activity.from, name: agent.name };
        return next();
      });
      await context.sendActivity({
        type: 'message',
        text,
        from: { id: context.activity.recipient?.id ?? 'relevo', name: agent.name },
        channelData: { relevoAgent: { id: agent.id, name: agent.name } },
      });
    });
    await this.events.announce({
      type: 'handoff.message',
      handoffId: id,
      from: 'agent',
      text,
      at: this.clock.now(),
    });
  }

  /** Shows the customer that the agent is typing. */
  async typing(id: string): Promise<void> {
    const record = await this.requireActive(id);
    await this.channels.continueWith(record, async (context) => {
      await context.sendActivity({ type: 'typing' });
    });
  }

  /** Adds an agent's note to the handoff's record (the desk shows it; the customer does not get it). */
  async note(id: string, agentId: string, text: string): Promise<HandoffRecord> {
    const at = this.clock.now();
    const updated = await this.records.update(id, (current) => ({
      ...current,
      notes: [...current.notes, { at, agentId, text }],
    }));
    await this.events.announce({ type: 'handoff.note', handoffId: id, agentId, text, at });
    return updated;
  }

  /** Moves an active conversation to another agent (within their capacity) or back to the queue. */
  async transfer(
    id: string,
    target: { agentId: string; maxChats: number } | { language?: string; topic?: string },
  ): Promise<HandoffRecord> {
    const record = await this.requireActive(id);
    if ('agentId' in target) {
      if (!(await this.queue.assign(target.agentId, id, target.maxChats))) {
        throw handoffError(HandoffErrorCode.capacity, `Agent "${target.agentId}" has no free slot`, 409);
      }
      if (record.agentId && record.agentId !== target.agentId) await this.queue.unassign(record.agentId, id);
      return this.activate(id, target.agentId);
    }
    if (record.agentId) await this.queue.unassign(record.agentId, id);
    const now = this.clock.now();
    const updated = await this.records.update(id, (current) => ({
      ...current,
      status: 'pending',
      agentId: null,
      language: target.language ?? current.language,
      topic: target.topic ?? current.topic,
    }));
    // The customer keeps their place: waiting time counts from the original request.
    await this.queue.enqueue({
      handoffId: id,
      enqueuedAt: record.createdAt,
      priority: record.priority,
      language: updated.language,
      topic: updated.topic,
    });
    await this.queue.setStatus(id, 'pending', now);
    await this.events.announce({ type: 'handoff.updated', handoffId: id, status: 'pending', agentId: null });
    return updated;
  }

  /** Ends the handoff: the bot takes the conversation back and runs the `handoff.resolved` hook. */
  async resolve(
    id: string,
    status: 'resolved' | 'failed' = 'resolved',
    options: { hubStatus?: string; context?: TurnContext } = {},
  ): Promise<HandoffRecord> {
    const { hubStatus, context: turn } = options;
    const record = await this.records.get(id);
    if (record.status === 'resolved' || record.status === 'failed') {
      throw handoffError(HandoffErrorCode.invalidState, `Handoff "${id}" is already ${record.status}`, 409);
    }
    const now = this.clock.now();
    await this.queue.claim(id);
    if (record.agentId) await this.queue.unassign(record.agentId, id);
    const updated = await this.records.update(id, (current) => ({
      ...current,
      status,
      resolvedAt: now,
      hubStatus: hubStatus ?? current.hubStatus,
    }));
    await this.conversations.update(record.channelId, record.conversationId, (state) =>
      state.activeHandoffId === id
        ? { state: { ...state, activeHandoffId: null, signals: emptySignals() }, result: undefined }
        : { result: undefined },
    );
    await this.queue.setStatus(id, status, now);
    await this.events.announce({ type: 'handoff.updated', handoffId: id, status, agentId: record.agentId });
    const handBack = async (context: TurnContext) => {
      if (status === 'failed') {
        await context.sendActivity(messagesFor(updated.language).hubFailed);
      } else if (this.options.onResolved) {
        await this.options.onResolved({ record: updated }, context);
      } else {
        await context.sendActivity(messagesFor(updated.language).csat);
      }
    };
    // Inside a turn of this very conversation (a hub's status event) a proactive turn would wait for
    // the conversation lock that turn holds: answer on the turn itself.
    if (turn?.activity.conversation?.id === record.conversationId) await handBack(turn);
    else await this.channels.continueWith(updated, handBack);
    return updated;
  }

  /** Applies a hub's `handoff.status` (`accepted`, `failed`, `completed`) to the conversation's handoff. */
  async applyHubStatus(context: TurnContext, state: string): Promise<void> {
    const { channelId, conversation } = context.activity;
    const record = await this.activeFor(channelId, conversation.id);
    if (record) await this.applyHubStatusTo(record, state, context);
  }

  /**
   * Applies a hub's status to one handoff (from the hub's signed callback, outside any turn). A status
   * for a handoff that already ended is ignored: hubs retry their callbacks.
   */
  async applyHubStatusTo(record: HandoffRecord, state: string, context?: TurnContext): Promise<void> {
    if (record.status === 'resolved' || record.status === 'failed') return;
    const turn = context ? { context } : {};
    if (state === 'accepted') {
      await this.queue.claim(record.id);
      await this.activate(record.id, 'hub', state);
    } else if (state === 'failed') {
      await this.resolve(record.id, 'failed', { hubStatus: state, ...turn });
    } else if (state === 'completed') {
      await this.resolve(record.id, 'resolved', { hubStatus: state, ...turn });
    }
  }

  /**
   * Tells the consoles what the customer wrote while a person is in control. `inboundId`, the message's
   * id in the durable inbound queue, makes it once: a turn run again does not forward it again.
   */
  async customerMessage(record: HandoffRecord, text: string, inboundId?: string): Promise<void> {
    const forwarded = this.options.forwarded;
    if (inboundId !== undefined && forwarded) {
      if (!(await forwarded.claim(`handoff-forward:${record.id}:${inboundId}`))) return;
    }
    await this.events.announce({
      type: 'handoff.message',
      handoffId: record.id,
      from: 'customer',
      text,
      at: this.clock.now(),
    });
  }

  /** Subscribes to handoff events from every process; resolves with the unsubscribe function. */
  subscribe(listener: (event: HandoffEvent) => void): Promise<() => Promise<void>> {
    return this.events.subscribe(listener);
  }

  private async requireActive(id: string): Promise<HandoffRecord> {
    const record = await this.records.get(id);
    if (record.status !== 'active') {
      throw handoffError(
        HandoffErrorCode.invalidState,
        `Handoff "${id}" is ${record.status}, not active`,
        409,
      );
    }
    return record;
  }
}
