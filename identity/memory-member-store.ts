import type { MemberRecord, VersionedMember } from './member-record.js';
import type { AuditRecord, MemberStore } from './member-store.js';

/**
 * {@link MemberStore} in process memory, for tests and single-process use. Values are copied in and
 * out, so callers can never change a stored record by accident. Expiry uses real time: it only bounds
 * memory; expiry rules that matter are checked by the callers against their injected clock.
 */
export class MemoryMemberStore implements MemberStore {
  private readonly members = new Map<string, VersionedMember>();
  private readonly keys = new Map<string, string>();
  private readonly audits = new Map<string, AuditRecord>();
  private readonly secrets = new Map<string, { value: Record<string, unknown>; until: number }>();
  private readonly counters = new Map<string, { count: number; until: number }>();

  async get(id: string): Promise<VersionedMember | undefined> {
    const found = this.members.get(id);
    return found && { record: structuredClone(found.record), version: found.version };
  }

  async version(id: string): Promise<number | undefined> {
    return this.members.get(id)?.version;
  }

  async create(record: MemberRecord): Promise<boolean> {
    if (this.members.has(record.id)) return false;
    this.members.set(record.id, { record: structuredClone(record), version: 1 });
    return true;
  }

  async replace(record: MemberRecord, expectedVersion: number): Promise<boolean> {
    const found = this.members.get(record.id);
    if (!found || found.version !== expectedVersion) return false;
    this.members.set(record.id, { record: structuredClone(record), version: expectedVersion + 1 });
    return true;
  }

  async delete(id: string): Promise<void> {
    this.members.delete(id);
  }

  async ownerOf(key: string): Promise<string | undefined> {
    return this.keys.get(key);
  }

  async claimKey(key: string, memberId: string): Promise<string> {
    const owner = this.keys.get(key);
    if (owner !== undefined) return owner;
    this.keys.set(key, memberId);
    return memberId;
  }

  async moveKey(key: string, from: string, to: string): Promise<boolean> {
    if (this.keys.get(key) !== from) return false;
    this.keys.set(key, to);
    return true;
  }

  async releaseKey(key: string, memberId: string): Promise<boolean> {
    if (this.keys.get(key) !== memberId) return false;
    this.keys.delete(key);
    return true;
  }

  async putAudit(audit: AuditRecord): Promise<void> {
    this.audits.set(audit.id, structuredClone(audit));
  }

  async getAudit(id: string): Promise<AuditRecord | undefined> {
    const found = this.audits.get(id);
    return found && structuredClone(found);
  }

  async putSecret(name: string, value: Record<string, unknown>, ttlMs: number): Promise<void> {
    this.secrets.set(name, { value: structuredClone(value), until: Date.now() + ttlMs });
  }

  async getSecret(name: string): Promise<Record<string, unknown> | undefined> {
    const found = this.secrets.get(name);
    if (!found) return undefined;
    if (found.until <= Date.now()) {
      this.secrets.delete(name);
      return undefined;
    }
    return structuredClone(found.value);
  }

  async deleteSecret(name: string): Promise<void> {
    this.secrets.delete(name);
  }

  async hit(counter: string, ttlMs: number): Promise<number> {
    const found = this.counters.get(counter);
    if (!found || found.until <= Date.now()) {
      this.counters.set(counter, { count: 1, until: Date.now() + ttlMs });
      return 1;
    }
    found.count++;
    return found.count;
  }
}
