import type { HandoffStatus } from './queue.js';

/** Pub/sub channel on which every process announces handoff changes to its agent consoles. */
export const HANDOFF_EVENTS_CHANNEL = 'handoff:events';

/** What agent consoles are told, in real time, across processes. */
export type HandoffEvent =
  | { type: 'handoff.requested'; handoffId: string }
  | { type: 'handoff.updated'; handoffId: string; status: HandoffStatus; agentId: string | null }
  | { type: 'handoff.message'; handoffId: string; from: 'customer' | 'agent'; text: string; at: number }
  | { type: 'handoff.note'; handoffId: string; agentId: string; text: string; at: number };
