import { closedError } from './errors.js';
import { isCluster, type RedisConnection } from './redis-connection.js';
import type { MessageHandler, PubSub } from './types.js';

/**
 * How a message on `channel` is published on this client, for a Lua script that publishes in the same
 * step as it writes (the channel must then carry the hash tag of the script's keys on a cluster).
 */
export function publishTarget(
  client: RedisConnection,
  prefix: string,
  channel: string,
): { command: 'PUBLISH' | 'SPUBLISH'; channel: string } {
  return { command: isCluster(client) ? 'SPUBLISH' : 'PUBLISH', channel: `${prefix}:bus:${channel}` };
}

/**
 * {@link PubSub} on Redis. Subscribing needs a connection of its own (a subscribed connection can run
 * no other command), duplicated from the main client; node-redis re-subscribes after a reconnect. On
 * a Redis Cluster it uses sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): a message travels only to
 * the master of its channel's slot instead of being broadcast to every node of the cluster.
 */
export class RedisPubSub implements PubSub {
  private subscriber: RedisConnection | undefined;
  private connecting: Promise<RedisConnection> | undefined;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly prefix: string;
  private readonly rootPrefix: string;
  private readonly sharded: boolean;
  private closed = false;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.rootPrefix = options.prefix ?? 'relevo';
    this.prefix = `${this.rootPrefix}:bus:`;
    this.sharded = isCluster(client);
  }

  async publish(channel: string, message: string): Promise<void> {
    const target = publishTarget(this.client, this.rootPrefix, channel);
    if (target.command === 'SPUBLISH') await this.client.sPublish(target.channel, message);
    else await this.client.publish(target.channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    const subscriber = await this.connectSubscriber();
    // A client destroyed in the meantime never answers (node-redis 6 queues the SUBSCRIBE forever).
    if (this.closed) throw closedError('message bus');
    const entry: MessageHandler = (message) => handler(message);
    const handlers = this.handlers.get(channel);
    if (!handlers) {
      this.handlers.set(channel, new Set([entry]));
      const listener = (message: string) => {
        for (const each of [...(this.handlers.get(channel) ?? [])]) each(message);
      };
      try {
        if (this.sharded) await subscriber.sSubscribe(this.prefix + channel, listener);
        else await subscriber.subscribe(this.prefix + channel, listener);
      } catch (error) {
        throw this.closed ? closedError('message bus') : error;
      }
    } else {
      handlers.add(entry);
    }
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(entry) || current.size > 0) return;
      this.handlers.delete(channel);
      if (this.closed) return;
      try {
        if (this.sharded) await subscriber.sUnsubscribe(this.prefix + channel);
        else await subscriber.unsubscribe(this.prefix + channel);
      } catch (error) {
        // Closing destroys the connection and every subscription with it: nothing is left to end.
        if (!this.closed) throw error;
      }
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber?.isOpen) subscriber.destroy();
  }

  private connectSubscriber(): Promise<RedisConnection> {
    if (this.closed) return Promise.reject(closedError('message bus'));
    if (this.subscriber) return Promise.resolve(this.subscriber);
    this.connecting ??= (async () => {
      const subscriber = this.client.duplicate();
      // Errors are reported by the main client's listener; without one node-redis would crash us.
      subscriber.on('error', () => {});
      await subscriber.connect();
      if (this.closed) {
        // Closed while connecting: a connection kept now would hold the process open.
        subscriber.destroy();
        throw closedError('message bus');
      }
      this.subscriber = subscriber;
      return subscriber;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}
