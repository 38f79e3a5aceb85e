import { closedError } from './errors.js';
import type { MessageHandler, PubSub } from './types.js';

/** {@link PubSub} within one process. Delivery is asynchronous, as it is over Redis. */
export class MemoryPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private closed = false;

  async publish(channel: string, message: string): Promise<void> {
    const handlers = this.handlers.get(channel);
    if (!handlers) return;
    for (const handler of [...handlers]) queueMicrotask(() => handler(message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.closed) throw closedError('message bus');
    const handlers = this.handlers.get(channel) ?? new Set<MessageHandler>();
    this.handlers.set(channel, handlers);
    // Wrap, so subscribing the same function twice yields two independent subscriptions.
    const entry: MessageHandler = (message) => handler(message);
    handlers.add(entry);
    return async () => {
      handlers.delete(entry);
      if (handlers.size === 0) this.handlers.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }
}
