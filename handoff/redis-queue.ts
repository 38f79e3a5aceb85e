import type { RedisConnection } from '../storage/redis-connection.js';
import { sharedTag } from '../storage/redis-keys.js';
import { RedisScript } from '../storage/redis-script.js';
import {
  type AgentPresence,
  defaultPriorityOptions,
  HANDOFF_STATUSES,
  type HandoffQueue,
  type HandoffStatus,
  type QueueEntry,
  queueScore,
} from './queue.js';

// ZREM answers 1 to exactly one caller, so only that caller reads and deletes the entry.
const claimScript = new RedisScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  local entry = redis.call('HGET', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return entry
end
return false
`);

// Check and add in one script: two processes cannot both give an agent their last free slot.
const assignScript = new RedisScript(`
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`);

/**
 * The handoff queue on Redis, shared by every Relevo process: waiting conversations in a sorted set
 * scored by {@link queueScore}, handoff ids per status in sorted sets scored by the time of the last
 * change, agent presence in a sorted set scored by expiry, each agent's chats in a set. Every key
 * carries the `{handoff}` hash tag, so on Redis Cluster the scripts touch one slot.
 */
export class RedisHandoffQueue implements HandoffQueue {
  private readonly base: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string; msPerPriorityPoint?: number } = {},
    private readonly msPerPriorityPoint = options.msPerPriorityPoint ??
      defaultPriorityOptions.msPerPriorityPoint,
  ) {
    this.base = `${options.prefix ?? 'relevo'}:${sharedTag('handoff')}`;
  }

  private key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }

  async enqueue(entry: QueueEntry): Promise<void> {
    await this.client
      .multi()
      .hSet(this.key('entries'), entry.handoffId, JSON.stringify(entry))
      .zAdd(this.key('queue'), { score: queueScore(entry, this.msPerPriorityPoint), value: entry.handoffId })
      .exec();
  }

  async waiting(): Promise<QueueEntry[]> {
    const ids = await this.client.zRange(this.key('queue'), 0, -1);
    if (ids.length === 0) return [];
    const values = await this.client.hmGet(this.key('entries'), ids);
    return values.flatMap((value) => (typeof value === 'string' ? [JSON.parse(value) as QueueEntry] : []));
  }

  async claim(handoffId: string): Promise<QueueEntry | undefined> {
    const value = await claimScript.run(this.client, [this.key('queue'), this.key('entries')], [handoffId]);
    return typeof value === 'string' ? (JSON.parse(value) as QueueEntry) : undefined;
  }

  async setStatus(handoffId: string, status: HandoffStatus, at: number): Promise<void> {
    const transaction = this.client.multi();
    for (const other of HANDOFF_STATUSES) {
      if (other !== status) transaction.zRem(this.key('status', other), handoffId);
    }
    transaction.zAdd(this.key('status', status), { score: at, value: handoffId });
    await transaction.exec();
  }

  async listByStatus(status: HandoffStatus, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return this.client.zRange(this.key('status', status), 0, limit - 1, { REV: true });
  }

  async heartbeat(agent: AgentPresence, expiresAt: number): Promise<void> {
    await this.client
      .multi()
      .hSet(this.key('agent-info'), agent.agentId, JSON.stringify(agent))
      .zAdd(this.key('agents'), { score: expiresAt, value: agent.agentId })
      .exec();
  }

  async goOffline(agentId: string): Promise<void> {
    await this.client.multi().zRem(this.key('agents'), agentId).hDel(this.key('agent-info'), agentId).exec();
  }

  async onlineAgents(now: number): Promise<AgentPresence[]> {
    const ids = await this.client.zRangeByScore(this.key('agents'), `(${now}`, '+inf');
    if (ids.length === 0) return [];
    const values = await this.client.hmGet(this.key('agent-info'), ids);
    return values
      .flatMap((value) => (typeof value === 'string' ? [JSON.parse(value) as AgentPresence] : []))
      .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }

  async assign(agentId: string, handoffId: string, maxChats: number): Promise<boolean> {
    const reply = await assignScript.run(
      this.client,
      [this.key('chats', agentId)],
      [handoffId, String(maxChats)],
    );
    return Number(reply) === 1;
  }

  async unassign(agentId: string, handoffId: string): Promise<void> {
    await this.client.sRem(this.key('chats', agentId), handoffId);
  }

  async assignedTo(agentId: string): Promise<string[]> {
    return (await this.client.sMembers(this.key('chats', agentId))).sort();
  }
}
