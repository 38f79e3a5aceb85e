import { z } from 'zod';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { IdentityErrorCode, identityError } from '../errors.js';
import { MAX_JOURNEY_EVENTS, type MemberConversation, type MemberRecord } from '../member-record.js';
import type { Members } from '../members.js';
import type { DurableTimers } from './durable-timers.js';
import { JOURNEY_EVENT_TYPES, type WaypointRule } from './waypoint-rules.js';

const eventSchema = z
  .object({
    identityKey: z.string().min(3).max(512),
    type: z.enum(JOURNEY_EVENT_TYPES),
    data: z.record(z.string(), z.unknown()).optional(),
    /** ISO 8601 time or epoch milliseconds; now when absent. */
    at: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
  })
  .strict();

/** A waypoint whose timer fired: who, which rule, the message in their language, and where to send it. */
export interface WaypointReached {
  rule: WaypointRule;
  member: MemberRecord;
  message: string;
  /** The member's most recent conversation (its last active channel), if any. */
  conversation: MemberConversation | undefined;
  /** When the starting event happened and when the timer was due. */
  startedAt: number;
  dueAt: number;
}

export type WaypointListener = (reached: WaypointReached) => Promise<void> | void;

export interface JourneyOptions {
  members: Members;
  timers: DurableTimers;
  rules: readonly WaypointRule[];
  logger?: Logger;
  /** How often every process polls for due timers; 1 s by default. */
  pollIntervalMs?: number;
  /** Timers claimed per poll. */
  batchSize?: number;
}

/**
 * Journey events and waypoint rules (issue 9 part 4): `record` keeps an event on the member and
 * starts or cancels the durable timers of the rules it concerns (`cart_remove` starts "abandoned cart",
 * `checkout` within 120 s cancels it); `poll` claims the timers that are due, atomically across
 * processes, and hands each to the `onWaypoint` listeners, which the composition root wires to a
 * proactive message on the member's last active channel.
 */
export class Journey {
  private readonly listeners: WaypointListener[] = [];
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<number> | undefined;

  constructor(private readonly options: JourneyOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  onWaypoint(listener: WaypointListener): void {
    this.listeners.push(listener);
  }

  /** Validates and records one event (400 on a bad body); answers which rules it started or cancelled. */
  async record(input: unknown): Promise<{ memberId: string; started: string[]; cancelled: string[] }> {
    const parsed = eventSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw identityError(
        IdentityErrorCode.invalidRequest,
        `Journey event: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`,
        400,
      );
    }
    const event = parsed.data;
    const { members } = this.options;
    const at = event.at === undefined ? members.clock.now() : new Date(event.at).getTime();
    const member = await members.resolve(event.identityKey);
    const saved = await members.update(member.id, (record) => ({
      ...record,
      journey: [...(record.journey ?? []), { type: event.type, at, data: event.data ?? {} }].slice(
        -MAX_JOURNEY_EVENTS,
      ),
    }));
    const started: string[] = [];
    const cancelled: string[] = [];
    for (const rule of this.options.rules) {
      const id = `${rule.name}:${saved.id}`;
      if (rule.unless === event.type && (await this.options.timers.cancel(id))) cancelled.push(rule.name);
      if (rule.after === event.type) {
        await this.options.timers.schedule(id, at + rule.withinMs, {
          rule: rule.name,
          memberId: saved.id,
          at,
        });
        started.push(rule.name);
      }
    }
    return { memberId: saved.id, started, cancelled };
  }

  /** Claims the due timers once and notifies the listeners; answers how many fired. */
  async poll(): Promise<number> {
    const { members, timers, rules } = this.options;
    const due = await timers.claimDue(members.clock.now(), this.options.batchSize ?? 100);
    for (const timer of due) {
      const rule = rules.find((r) => r.name === timer.payload.rule);
      const member = await this.survivor(String(timer.payload.memberId));
      if (!rule || !member) continue;
      const language = member.profile.language ?? 'en';
      const reached: WaypointReached = {
        rule,
        member,
        message: rule.message[language] ?? rule.message.en ?? '',
        conversation: [...member.conversations].sort((a, b) => b.lastAt - a.lastAt)[0],
        startedAt: Number(timer.payload.at),
        dueAt: timer.dueAt,
      };
      for (const listener of this.listeners) {
        try {
          await listener(reached);
        } catch (error) {
          this.logger.error(
            { err: error, rule: rule.name, memberId: member.id },
            'a waypoint listener failed',
          );
        }
      }
    }
    return due.length;
  }

  /** Polls every `pollIntervalMs` until {@link stop}. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.polling ??= this.poll()
        .catch((error) => {
          this.logger.warn({ err: error }, 'could not poll the waypoint timers');
          return 0;
        })
        .finally(() => {
          this.polling = undefined;
        });
    }, this.options.pollIntervalMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** The member a timer was set for, followed through merges; undefined once erased. */
  private async survivor(id: string): Promise<MemberRecord | undefined> {
    let member = await this.options.members.get(id);
    for (let hops = 0; member?.mergedInto !== undefined && hops < 5; hops++) {
      member = await this.options.members.get(member.mergedInto);
    }
    return member;
  }
}
