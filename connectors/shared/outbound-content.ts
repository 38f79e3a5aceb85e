import type { Activity } from 'botbuilder';

/** The kinds of outbound activity every connector must decide about; anything else is skipped visibly. */
export type OutboundContent =
  | { kind: 'message'; activity: Partial<Activity> }
  | { kind: 'typing' }
  | { kind: 'delay'; ms: number }
  | { kind: 'other'; type: string };

/**
 * Sorts an outbound activity into what a channel renders (a message), shows if it can (typing),
 * honours (a delay, botbuilder's default 1 s) or skips, so each connector's `outbound.ts` is one
 * exhaustive switch over the same four cases.
 */
export function classifyOutbound(activity: Partial<Activity>): OutboundContent {
  switch (activity.type) {
    case 'message':
      return { kind: 'message', activity };
    case 'typing':
      return { kind: 'typing' };
    case 'delay':
      return { kind: 'delay', ms: typeof activity.value === 'number' ? activity.value : 1000 };
    default:
      return { kind: 'other', type: String(activity.type) };
  }
}
