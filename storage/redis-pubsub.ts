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
    const entry: MessageHandler = (message) => handler(message);
    const handlers = this.handlers.get(channel);
    if (!handlers) {
      this.handlers.set(channel, new Set([entry]));
      const listener = (message: string) => {
        for (const each of [...(this.handlers.get(channel) ?? [])]) each(message);
      };
      if (this.sharded) await subscriber.sSubscribe(this.prefix + channel, listener);
      else await subscriber.subscribe(this.prefix + channel, listener);
    } else {
      handlers.add(entry);
    }
    return async () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(entry) || current.size > 0) return;
      this.handlers.delete(channel);
      if (this.sharded) await subscriber.sUnsubscribe(this.prefix + channel);
      else await subscriber.unsubscribe(this.prefix + channel);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber?.isOpen) subscriber.destroy();
  }

  private connectSubscriber(): Promise<RedisConnection> {
    if (this.subscriber) return Promise.resolve(this.subscriber);
    this.connecting ??= (async () => {
      const subscriber = this.client.duplicate();
      // Errors are reported by the main client's listener; without one node-redis would crash us.
      subscriber.on('error', () => {});
      await subscriber.connect();
      this.subscriber = subscriber;
      return subscriber;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}
