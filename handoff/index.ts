/**
 * Relevo's human handoff (issue 6): the policy that decides when a person takes over, the
 * `handoff.initiate` packet with the member's whole transcript, the queue and routing, the
 * "human in control?" middleware, the agent desk REST API and the agent console. See docs/handoff.md.
 */
export {
  type AgentAccount,
  type AgentRole,
  hashAgentPassword,
  parseAgentAccounts,
  verifyAgentPassword,
} from './agent-accounts.js';
export {
  AgentDesk,
  type AgentDeskOptions,
  type CannedResponses,
  defaultCannedResponses,
} from './agent-desk.js';
export { AgentConsole } from './agent-console.js';
export { type AgentSession, AgentSessions, type AgentSessionsOptions } from './agent-sessions.js';
export {
  type ConversationHandoffState,
  ConversationStateStore,
  conversationStateKey,
  type TurnAnnotation,
} from './conversation-state.js';
export {
  type CreateAgentDeskOptions,
  type CreateHandoffsOptions,
  createAgentDesk,
  createHandoffWaypoints,
  createHandoffs,
} from './create-handoffs.js';
export { AGENT_HEADER, CSRF_HEADER, type DeskPrincipal, SESSION_COOKIE } from './desk-auth.js';
export { HandoffErrorCode } from './errors.js';
export { HandoffMiddleware, type HandoffMiddlewareOptions } from './handoff-middleware.js';
export type { HandoffNote, HandoffRecord } from './handoff-record.js';
export { HANDOFF_EVENTS_CHANNEL, type HandoffEvent } from './handoff-events.js';
export { Handoffs } from './handoffs.js';
export type { HandoffResolved, HandoffsOptions, HandoffSummary } from './handoffs-options.js';
export {
  HUB_SIGNATURE_HEADER,
  HUB_TIMESTAMP_HEADER,
  HubWebhook,
  type HubWebhookOptions,
  signHubRequest,
  verifyHubRequest,
} from './hub-webhook.js';
export { type HandoffMessages, handoffMessages, messagesFor } from './messages.js';
export { MemoryHandoffQueue } from './memory-queue.js';
export {
  buildHandoffPacket,
  type ConversationKey,
  collectTranscript,
  defaultRedact,
  type HandoffPacketValue,
  type RedactActivity,
} from './packet.js';
export {
  defaultPolicyOptions,
  emptySignals,
  evaluateTurn,
  type HandoffPolicyOptions,
  type HandoffReason,
  type HandoffTrigger,
  type PolicySignals,
  type SignalSummary,
  summarizeSignals,
  type TurnObservation,
} from './policy.js';
export {
  type AgentPresence,
  canServe,
  defaultPriorityOptions,
  type HandoffQueue,
  type HandoffStatus,
  nextFor,
  type PriorityOptions,
  priorityOf,
  type QueueEntry,
  queueScore,
} from './queue.js';
export { RedisHandoffQueue } from './redis-queue.js';
export { HandoffWaypoints, type HandoffWaypointsOptions } from './waypoints.js';
