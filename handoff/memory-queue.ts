import {
  type AgentPresence,
  defaultPriorityOptions,
  HANDOFF_STATUSES,
  type HandoffQueue,
  type HandoffStatus,
  type QueueEntry,
  queueScore,
} from './queue.js';

/**
 * The handoff queue in process memory, for a single process without Redis. Same ordering and
 * atomicity as {@link RedisHandoffQueue} (JavaScript runs one call at a time between awaits).
 */
export class MemoryHandoffQueue implements HandoffQueue {
  private readonly entries = new Map<string, QueueEntry>();
  private readonly statuses = new Map<HandoffStatus, Map<string, number>>(
    HANDOFF_STATUSES.map((status) => [status, new Map()]),
  );
  private readonly agents = new Map<string, { agent: AgentPresence; expiresAt: number }>();
  private readonly chats = new Map<string, Set<string>>();

  constructor(private readonly msPerPriorityPoint = defaultPriorityOptions.msPerPriorityPoint) {}

  async enqueue(entry: QueueEntry): Promise<void> {
    this.entries.set(entry.handoffId, { ...entry });
  }

  async waiting(): Promise<QueueEntry[]> {
    return [...this.entries.values()]
      .map((entry) => ({ entry, score: queueScore(entry, this.msPerPriorityPoint) }))
      .sort((a, b) => a.score - b.score || (a.entry.handoffId < b.entry.handoffId ? -1 : 1))
      .map(({ entry }) => ({ ...entry }));
  }

  async claim(handoffId: string): Promise<QueueEntry | undefined> {
    const entry = this.entries.get(handoffId);
    this.entries.delete(handoffId);
    return entry;
  }

  async setStatus(handoffId: string, status: HandoffStatus, at: number): Promise<void> {
    for (const ids of this.statuses.values()) ids.delete(handoffId);
    this.statuses.get(status)?.set(handoffId, at);
  }

  async listByStatus(status: HandoffStatus, limit: number): Promise<string[]> {
    return [...(this.statuses.get(status) ?? new Map<string, number>()).entries()]
      .sort((a, b) => b[1] - a[1] || (b[0] < a[0] ? -1 : 1))
      .slice(0, limit)
      .map(([id]) => id);
  }

  async heartbeat(agent: AgentPresence, expiresAt: number): Promise<void> {
    this.agents.set(agent.agentId, { agent: { ...agent }, expiresAt });
  }

  async goOffline(agentId: string): Promise<void> {
    this.agents.delete(agentId);
  }

  async onlineAgents(now: number): Promise<AgentPresence[]> {
    return [...this.agents.values()]
      .filter(({ expiresAt }) => expiresAt > now)
      .map(({ agent }) => ({ ...agent }))
      .sort((a, b) => (a.agentId < b.agentId ? -1 : 1));
  }

  async assign(agentId: string, handoffId: string, maxChats: number): Promise<boolean> {
    const held = this.chats.get(agentId) ?? new Set<string>();
    if (held.has(handoffId)) return true;
    if (held.size >= maxChats) return false;
    held.add(handoffId);
    this.chats.set(agentId, held);
    return true;
  }

  async unassign(agentId: string, handoffId: string): Promise<void> {
    this.chats.get(agentId)?.delete(handoffId);
  }

  async assignedTo(agentId: string): Promise<string[]> {
    return [...(this.chats.get(agentId) ?? [])].sort();
  }
}
