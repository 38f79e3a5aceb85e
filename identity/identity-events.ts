import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';

/** Payloads of the identity events, named in the past tense (STYLE.md rule 6). */
export interface IdentityEventMap {
  /** A member was merged into another; the ledger moves the merged member's points to the survivor. */
  'member.merged': { auditId: string; fromMemberId: string; toMemberId: string; actor: string; at: number };
  /** A merge was undone; the ledger moves the points back. */
  'member.unmerged': { auditId: string; fromMemberId: string; toMemberId: string; actor: string; at: number };
  /** A member proved an email address with a one-time code. */
  'member.verified': { memberId: string; email: string; at: number };
  /** A member's personal data was erased; the ledger anonymises its entries. */
  'member.erased': { auditId: string; memberId: string; actor: string; at: number };
}

export type IdentityEventName = keyof IdentityEventMap;
export type IdentityListener<E extends IdentityEventName> = (
  event: IdentityEventMap[E],
) => Promise<void> | void;

/**
 * A typed list of callbacks per identity event, so other folders (the ledger, analytics) react to
 * merges without identity importing them. Listeners run in order and are awaited; one that throws is
 * logged and does not stop the others or undo the change (side work, STYLE.md rule 5).
 */
export class IdentityEvents {
  private readonly listeners: { [E in IdentityEventName]?: IdentityListener<E>[] } = {};

  constructor(private readonly logger: Logger = silentLogger) {}

  /** Adds a listener; returns a function that removes it. */
  on<E extends IdentityEventName>(name: E, listener: IdentityListener<E>): () => void {
    const list = (this.listeners[name] ?? []) as IdentityListener<E>[];
    (this.listeners as Record<string, unknown>)[name] = list;
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    };
  }

  async emit<E extends IdentityEventName>(name: E, event: IdentityEventMap[E]): Promise<void> {
    for (const listener of [...((this.listeners[name] ?? []) as IdentityListener<E>[])]) {
      try {
        await listener(event);
      } catch (error) {
        this.logger.error({ err: error, event: name }, 'an identity event listener failed');
      }
    }
  }
}
