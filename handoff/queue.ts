/** Where a handoff is in its life. */
export type HandoffStatus = 'pending' | 'active' | 'resolved' | 'failed';

export const HANDOFF_STATUSES: readonly HandoffStatus[] = ['pending', 'active', 'resolved', 'failed'];

/** A conversation waiting for a person, as the queue orders and routes it. */
export interface QueueEntry {
  handoffId: string;
  enqueuedAt: number;
  /** Higher is served sooner; one point is worth `msPerPriorityPoint` of waiting. */
  priority: number;
  language: string;
  /** The customer's topic (the domain of the top intent, `orders`, `returns`…), or '' if unknown. */
  topic: string;
}

/** An agent online in the desk, with the skills routing matches. */
export interface AgentPresence {
  agentId: string;
  /** Languages the agent answers in; empty = any. */
  languages: string[];
  /** Topics the agent handles; empty = any. */
  topics: string[];
  /** Most conversations the agent holds at once. */
  maxChats: number;
}

/**
 * The handoff queue and routing state, shared by every process (Redis) or held by one (memory). Both
 * implementations pass `test/contract/handoff-queue-contract.ts`.
 */
export interface HandoffQueue {
  /** Adds (or re-adds, after a transfer to the queue) a waiting conversation. */
  enqueue(entry: QueueEntry): Promise<void>;
  /** Waiting conversations, the one to serve first first. */
  waiting(): Promise<QueueEntry[]>;
  /** Takes an entry off the queue; exactly one concurrent caller gets it, the others `undefined`. */
  claim(handoffId: string): Promise<QueueEntry | undefined>;
  /** Files a handoff under its status (it leaves every other status), with the time of the change. */
  setStatus(handoffId: string, status: HandoffStatus, at: number): Promise<void>;
  /** Handoff ids of one status, the most recently changed first. */
  listByStatus(status: HandoffStatus, limit: number): Promise<string[]>;
  /** Marks an agent online until `expiresAt` (the console renews it while open). */
  heartbeat(agent: AgentPresence, expiresAt: number): Promise<void>;
  goOffline(agentId: string): Promise<void>;
  /** Agents whose presence has not expired at `now`. */
  onlineAgents(now: number): Promise<AgentPresence[]>;
  /** Gives a conversation to an agent unless that agent already holds `maxChats`; atomic. */
  assign(agentId: string, handoffId: string, maxChats: number): Promise<boolean>;
  unassign(agentId: string, handoffId: string): Promise<void>;
  /** Handoff ids an agent holds now. */
  assignedTo(agentId: string): Promise<string[]>;
}

/** How the queue weighs who waits less. */
export interface PriorityOptions {
  /** Priority points per tier (case-insensitive); absent tiers weigh 0. */
  tierWeights: Record<string, number>;
  /** Points per 1,000 loyalty points, capped at `maxValueWeight`. */
  valueWeightPerThousand: number;
  maxValueWeight: number;
  /** Points for a sentiment score of -1 (scaled linearly; positive scores weigh 0). */
  negativeSentimentWeight: number;
  /**
   * Points for a member identity flagged at churn risk (3 contacts in 7 days about one intent):
   * someone coming back about the same problem should not wait behind first-time questions.
   * Optional so options written before it keep compiling; absent = the default.
   */
  churnRiskWeight?: number;
  /** What one priority point is worth in waiting time. */
  msPerPriorityPoint: number;
}

export const defaultPriorityOptions: PriorityOptions = {
  tierWeights: { vip: 3, platinum: 3, gold: 2, silver: 1 },
  valueWeightPerThousand: 0.5,
  maxValueWeight: 2,
  negativeSentimentWeight: 2,
  churnRiskWeight: 2,
  msPerPriorityPoint: 60_000,
};

/** The priority of a handoff from the member's tier, value and churn risk and the customer's sentiment. */
export function priorityOf(
  input: {
    tier?: string | undefined;
    points?: number | undefined;
    sentiment?: number | null | undefined;
    isChurnRisk?: boolean | undefined;
  },
  options: PriorityOptions = defaultPriorityOptions,
): number {
  const tier = options.tierWeights[input.tier?.toLowerCase() ?? ''] ?? 0;
  const value = Math.min(
    options.maxValueWeight,
    ((input.points ?? 0) / 1000) * options.valueWeightPerThousand,
  );
  const mood = Math.max(0, -(input.sentiment ?? 0)) * options.negativeSentimentWeight;
  const churn = input.isChurnRisk
    ? (options.churnRiskWeight ?? defaultPriorityOptions.churnRiskWeight ?? 0)
    : 0;
  return Math.round((tier + value + mood + churn) * 1000) / 1000;
}

/**
 * The sorted-set score of an entry: lower is served first. Waiting time raises everyone's effective
 * priority at the same rate, so `enqueuedAt - priority × msPerPoint` orders the queue for all times
 * at once and never needs rescoring: a gold member (2 points) is served before a guest who came up
 * to two minutes earlier, not before one waiting longer.
 */
export function queueScore(
  entry: QueueEntry,
  msPerPriorityPoint = defaultPriorityOptions.msPerPriorityPoint,
) {
  return entry.enqueuedAt - entry.priority * msPerPriorityPoint;
}

/** Whether an agent's skills cover a waiting conversation. */
export function canServe(agent: AgentPresence, entry: QueueEntry): boolean {
  const language = agent.languages.length === 0 || agent.languages.includes(entry.language);
  const topic = agent.topics.length === 0 || entry.topic === '' || agent.topics.includes(entry.topic);
  return language && topic;
}

/** The first waiting conversation the agent can serve, in queue order. */
export async function nextFor(queue: HandoffQueue, agent: AgentPresence): Promise<QueueEntry | undefined> {
  return (await queue.waiting()).find((entry) => canServe(agent, entry));
}
