import type { Activity, ConversationReference, Storage } from 'botbuilder';
import { hasCode } from '../core/errors.js';
import { StorageErrorCode } from '../storage/errors.js';
import { HandoffErrorCode, handoffError } from './errors.js';
import type { HandoffReason, SignalSummary } from './policy.js';
import type { HandoffStatus } from './queue.js';

/** An internal note an agent left on a handoff (never shown to the customer). */
export interface HandoffNote {
  at: number;
  agentId: string;
  text: string;
}

/** One handoff: who, why, where it stands and who holds it. */
export interface HandoffRecord {
  id: string;
  status: HandoffStatus;
  reason: HandoffReason;
  signals: SignalSummary;
  channelId: string;
  conversationId: string;
  /** Where the desk's replies go, through the customer's own channel adapter. */
  reference: Partial<ConversationReference>;
  identityKeys: string[];
  member: {
    id: string;
    tier: string | null;
    points: number | null;
    displayName: string | null;
    /** Identity's churn flag (3 contacts in 7 days about one intent); absent on older records. */
    churnRisk?: { intent: string; since: number } | null;
  };
  language: string;
  topic: string;
  priority: number;
  createdAt: number;
  acceptedAt: number | null;
  resolvedAt: number | null;
  agentId: string | null;
  notes: HandoffNote[];
  /** When a hub handles the conversation, the last status it reported. */
  hubStatus: string | null;
  /** The customer message whose turn started the handoff (to recognise a re-run of that turn). */
  triggerActivityId: string | null;
  eTag?: string;
}

const recordKey = (id: string) => `handoff/record/${id}`;
const packetKey = (id: string) => `handoff/packet/${id}`;

/** Handoff records and packets in botbuilder `Storage`, every change with the eTag it read. */
export class HandoffRecords {
  constructor(private readonly storage: Storage) {}

  async create(record: HandoffRecord, packet: Activity): Promise<void> {
    await this.storage.write({ [recordKey(record.id)]: record, [packetKey(record.id)]: { packet } });
  }

  async find(id: string): Promise<HandoffRecord | undefined> {
    return (await this.storage.read([recordKey(id)]))[recordKey(id)] as HandoffRecord | undefined;
  }

  async get(id: string): Promise<HandoffRecord> {
    const record = await this.find(id);
    if (!record) throw handoffError(HandoffErrorCode.notFound, `No handoff "${id}"`, 404);
    return record;
  }

  async many(ids: string[]): Promise<HandoffRecord[]> {
    if (ids.length === 0) return [];
    const items = await this.storage.read(ids.map(recordKey));
    return ids.flatMap((id) => {
      const record = items[recordKey(id)] as HandoffRecord | undefined;
      return record ? [record] : [];
    });
  }

  /** Deletes the records and packets of these handoffs (a member's right to be forgotten). */
  async delete(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.storage.delete(ids.flatMap((id) => [recordKey(id), packetKey(id)]));
  }

  async packet(id: string): Promise<Activity | undefined> {
    const item = (await this.storage.read([packetKey(id)]))[packetKey(id)] as
      | { packet: Activity }
      | undefined;
    return item?.packet;
  }

  /**
   * Changes a record with optimistic concurrency, retried on conflicts; `change` throws to refuse
   * (an invalid transition) and returns the new record.
   */
  async update(id: string, change: (record: HandoffRecord) => HandoffRecord): Promise<HandoffRecord> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.get(id);
      const next = change(record);
      try {
        await this.storage.write({ [recordKey(id)]: next });
        return next;
      } catch (error) {
        if (!hasCode(error, StorageErrorCode.conflict) || attempt >= 5) throw error;
      }
    }
  }
}
