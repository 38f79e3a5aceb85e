import type { InboundBackend, StoredEntry, Wake } from './inbound-queue.js';
import { INBOUND_RETENTION_MS } from './memory-inbound-backend.js';
import type { RedisConnection } from './redis-connection.js';
import { conversationTag } from './redis-keys.js';
import { RedisScript } from './redis-script.js';

// Dedupe and append in one step: an id seen within the retention is not queued again. The seen set
// is trimmed as it grows, so a long conversation does not keep every id for ever.
const appendScript = new RedisScript(`
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local now = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - retention)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], retention)
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'a', ARGV[2])
redis.call('PEXPIRE', KEYS[1], retention)
return 1
`);

// Removes the finished entry ARGV[2] (if any), then answers the oldest one with its run count raised
// and its failed runs (field `<id>:f`): one round trip per turn.
const nextScript = new RedisScript(`
if ARGV[2] ~= '' then
  redis.call('XDEL', KEYS[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2], ARGV[2] .. ':f')
end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
if not first then return false end
local attempt = redis.call('HINCRBY', KEYS[2], first[1], 1)
local failures = tonumber(redis.call('HGET', KEYS[2], first[1] .. ':f') or '0')
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {first[1], attempt, first[2], failures}
`);

const GROUP = 'relevo';

/**
 * {@link InboundBackend} on Redis. Per partition a stream (its entries in arrival order), a sorted set
 * of the ids seen (dedupe) and a hash of attempt counts, all under one hash tag so the scripts stay on
 * one cluster slot; one stream of wake-ups per queue, read by a consumer group: a wake-up delivered to
 * a process that died stays pending and is taken over with XAUTOCLAIM once idle for the visibility
 * timeout. With `appendonly yes` an acknowledged enqueue survives a Redis restart.
 */
export class RedisInboundBackend implements InboundBackend {
  private readonly base: string;
  private readonly wakeKey: string;
  private readonly retentionMs: number;
  private hasGroup = false;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string; name: string; retentionMs?: number },
  ) {
    this.retentionMs = options.retentionMs ?? INBOUND_RETENTION_MS;
    this.base = `${options.prefix ?? 'relevo'}:inq:${options.name}`;
    this.wakeKey = `${this.base}:wake`;
  }

  async append(partition: string, id: string, json: string): Promise<boolean> {
    const { log, seen } = this.keys(partition);
    const added = await appendScript.run(
      this.client,
      [log, seen],
      [id, json, String(Date.now()), String(this.retentionMs)],
    );
    return Number(added) === 1;
  }

  async wake(partition: string): Promise<string> {
    return this.client.xAdd(this.wakeKey, '*', { p: partition });
  }

  async next(partition: string, done?: string): Promise<StoredEntry | undefined> {
    const { log, tries } = this.keys(partition);
    const reply = (await nextScript.run(this.client, [log, tries], [String(this.retentionMs), done ?? ''])) as
      | [string, number, string[], number]
      | null;
    if (!reply) return undefined;
    const [key, attempt, fields, failures] = reply;
    const values: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i] as string] = fields[i + 1] as string;
    return {
      key,
      id: values.id ?? '',
      json: values.a ?? '{}',
      attempt: Number(attempt),
      failures: Number(failures),
    };
  }

  async fail(partition: string, key: string): Promise<void> {
    const { tries } = this.keys(partition);
    await this.client.hIncrBy(tries, `${key}:f`, 1);
  }

  async claimWakes(consumer: string, count: number, idleMs: number): Promise<Wake[]> {
    try {
      return await this.readWakes(consumer, count, idleMs);
    } catch (error) {
      // The group is made on first use, and again if Redis lost its data.
      if (!(error instanceof Error) || !error.message.startsWith('NOGROUP')) throw error;
      this.hasGroup = false;
      return this.readWakes(consumer, count, idleMs);
    }
  }

  async ack(key: string): Promise<void> {
    await this.client.multi().xAck(this.wakeKey, GROUP, key).xDel(this.wakeKey, key).exec();
  }

  private async readWakes(consumer: string, count: number, idleMs: number): Promise<Wake[]> {
    if (!this.hasGroup) await this.createGroup();
    const wakes: Wake[] = [];
    const stalled = await this.client.xAutoClaim(this.wakeKey, GROUP, consumer, idleMs, '0-0', {
      COUNT: count,
    });
    for (const message of stalled.messages) {
      if (message) wakes.push(toWake(message));
    }
    if (wakes.length >= count) return wakes;
    const fresh = await this.client.xReadGroup(
      GROUP,
      consumer,
      { key: this.wakeKey, id: '>' },
      { COUNT: count - wakes.length },
    );
    for (const stream of (fresh ?? []) as { messages: { id: string; message: Record<string, string> }[] }[]) {
      for (const message of stream.messages) wakes.push(toWake(message));
    }
    return wakes;
  }

  private async createGroup(): Promise<void> {
    try {
      await this.client.xGroupCreate(this.wakeKey, GROUP, '0', { MKSTREAM: true });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
    this.hasGroup = true;
  }

  private keys(partition: string): { log: string; seen: string; tries: string } {
    // A partition is `<channel>:<conversation id>`: its keys share the conversation's tag with its
    // transcript and state, so everything of one conversation stays on one cluster slot.
    const split = partition.indexOf(':');
    const tag = conversationTag(partition.slice(0, split), partition.slice(split + 1));
    return {
      log: `${this.base}:${tag}:log`,
      seen: `${this.base}:${tag}:seen`,
      tries: `${this.base}:${tag}:tries`,
    };
  }
}

/** A stream entry as a wake-up; its id starts with the time it was added. */
function toWake(message: { id: string; message: Record<string, unknown> }): Wake {
  return {
    key: message.id,
    partition: String(message.message.p),
    createdAt: Number(message.id.split('-')[0]),
  };
}
