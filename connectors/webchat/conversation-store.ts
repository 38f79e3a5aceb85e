import { randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { type Clock, systemClock } from '../../core/clock.js';
import type { RedisConnection } from '../../storage/redis-connection.js';
import { conversationTag } from '../../storage/redis-keys.js';
import { publishTarget } from '../../storage/redis-pubsub.js';
import { RedisScript } from '../../storage/redis-script.js';
import type { PubSub } from '../../storage/types.js';

/** A Direct Line conversation: who it belongs to. */
export interface ConversationRecord {
  id: string;
  /** The browser user's id (the part after `webchat:` in the identity key). */
  userId: string;
  userName?: string | undefined;
  locale?: string | undefined;
  createdAt: number;
}

/** A page of activities after a watermark. */
export interface ActivitySet {
  activities: Partial<Activity>[];
  /** The sequence number of the last activity of the conversation seen so far. */
  watermark: number;
}

/** What is published on a conversation's delivery channel: the activities just appended. */
export interface Delivery extends ActivitySet {
  /** Watermark before these activities, so a listener can tell whether it missed any. */
  after: number;
}

/**
 * The pub/sub channel announcing new activities of one conversation to every process. It carries the
 * conversation's hash tag, so on a Redis Cluster the log's append script can publish on it (sharded
 * pub/sub, same slot).
 */
export function deliveryChannel(conversationId: string): string {
  return `webchat:${conversationTag('webchat', conversationId)}:${conversationId}`;
}

/**
 * What the Direct Line channel keeps per conversation: its record and its activity log, in which
 * each activity's id is `<conversationId>|<7-digit sequence>` and the sequence is the watermark.
 * Every append announces its new activities on {@link deliveryChannel} (on Redis in the same script),
 * so whichever process holds the conversation's socket pushes them.
 */
export interface ConversationStore {
  create(record: ConversationRecord): Promise<void>;
  get(conversationId: string): Promise<ConversationRecord | undefined>;
  /**
   * Appends activities in order, at once (their `id`s are assigned here), and returns their ids and the
   * new watermark. A turn's replies go in one call, so they cost one write, not one each. An activity
   * given a key (`keys[i]`) is appended once per key: a repeat returns the first one's id and is not
   * `fresh` — a client's retried post, a turn run again after a crash. The fresh ones are announced
   * (one {@link Delivery}) before the promise resolves.
   */
  append(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys?: readonly (string | undefined)[],
  ): Promise<Appended>;
  since(conversationId: string, watermark: number): Promise<ActivitySet>;
  /** The key tokens are signed with: one for every process sharing the store. */
  signingKey(): Promise<Buffer>;
}

/** What an append did: each activity's id, whether it was new, and the log's watermark after it. */
export interface Appended {
  ids: string[];
  /** `false` for an activity whose key was appended before (it was not appended again). */
  fresh: boolean[];
  watermark: number;
}

/** Most activities one poll returns; a client with more to fetch polls again from the new watermark. */
export const MAX_ACTIVITIES_PER_SET = 500;

export function activityId(conversationId: string, sequence: number): string {
  return `${conversationId}|${String(sequence).padStart(7, '0')}`;
}

/** {@link ConversationStore} in process memory; announces on `pubsub` when given. */
export class MemoryConversationStore implements ConversationStore {
  private readonly records = new Map<string, ConversationRecord>();
  private readonly logs = new Map<string, string[]>();
  /** Per conversation, the sequence of each keyed activity appended. */
  private readonly appended = new Map<string, Map<string, number>>();
  private readonly key = randomBytes(32);
  private readonly pubsub: PubSub | undefined;

  constructor(options: { pubsub?: PubSub } = {}) {
    this.pubsub = options.pubsub;
  }

  async create(record: ConversationRecord): Promise<void> {
    this.records.set(record.id, { ...record });
    this.logs.set(record.id, []);
  }

  async get(conversationId: string): Promise<ConversationRecord | undefined> {
    const record = this.records.get(conversationId);
    return record && { ...record };
  }

  async append(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys: readonly (string | undefined)[] = [],
  ): Promise<Appended> {
    const log = this.logs.get(conversationId) ?? [];
    this.logs.set(conversationId, log);
    const appended = this.appended.get(conversationId) ?? new Map<string, number>();
    this.appended.set(conversationId, appended);
    const sequences = activities.map((activity, i) => {
      const key = keys[i];
      const existing = key === undefined ? undefined : appended.get(key);
      if (existing !== undefined) return -existing;
      log.push(JSON.stringify(activity));
      if (key !== undefined) appended.set(key, log.length);
      return log.length;
    });
    const result = toAppended(conversationId, sequences, log.length);
    // New activities of one append are the log's last ones, in order: announce those only.
    const announced = activities.flatMap((activity, i) =>
      result.fresh[i] ? [{ ...activity, id: result.ids[i] }] : [],
    );
    if (this.pubsub && announced.length > 0) {
      const delivery: Delivery = {
        activities: announced,
        watermark: log.length,
        after: log.length - announced.length,
      };
      await this.pubsub.publish(deliveryChannel(conversationId), JSON.stringify(delivery));
    }
    return result;
  }

  async since(conversationId: string, watermark: number): Promise<ActivitySet> {
    const log = this.logs.get(conversationId) ?? [];
    return toSet(conversationId, log.slice(watermark, watermark + MAX_ACTIVITIES_PER_SET), watermark);
  }

  async signingKey(): Promise<Buffer> {
    return this.key;
  }
}

// Appends each (key, JSON) pair of ARGV in order; a pair whose key was appended before is skipped and
// answered with minus its first sequence. The last reply is the log's length (the watermark). The new
// activities are announced in the same step as a Delivery (ARGV[2] PUBLISH or SPUBLISH, ARGV[3] the
// channel): their JSON is spliced as text, with the id added last, so nothing is re-encoded.
const appendScript = new RedisScript(`
local out = {}
local fresh = {}
for i = 5, #ARGV, 2 do
  local key = ARGV[i]
  local seen = false
  if key ~= '' then seen = redis.call('HGET', KEYS[2], key) end
  if seen then
    out[#out + 1] = -tonumber(seen)
  else
    local json = ARGV[i + 1]
    local seq = redis.call('RPUSH', KEYS[1], json)
    if key ~= '' then redis.call('HSET', KEYS[2], key, seq) end
    out[#out + 1] = seq
    local id = '"id":' .. cjson.encode(ARGV[4] .. '|' .. string.format('%07d', seq))
    if json == '{}' then
      fresh[#fresh + 1] = '{' .. id .. '}'
    else
      fresh[#fresh + 1] = string.sub(json, 1, -2) .. ',' .. id .. '}'
    end
  end
end
local length = redis.call('LLEN', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
if #fresh > 0 then
  redis.call(ARGV[2], ARGV[3], '{"activities":[' .. table.concat(fresh, ',') .. '],"watermark":' ..
    length .. ',"after":' .. (length - #fresh) .. '}')
end
out[#out + 1] = length
return out
`);

/** Conversations are kept this long after their last activity. */
const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** How long a process uses the signing key it read before reading it again. */
export const SIGNING_KEY_CACHE_MS = 60_000;

/** How long a process uses a conversation record it read before reading it again. */
export const RECORD_CACHE_MS = 60_000;
/** Most records a process keeps; it starts afresh rather than grow without bound. */
const RECORD_CACHE_SIZE = 10_000;

/**
 * {@link ConversationStore} on Redis: per conversation a record, a list as its log and a hash of the
 * keys appended, under the conversation's hash tag (`storage/redis-keys.ts`, shared with its inbound
 * queue, transcript and state), and its delivery channel on the same slot.
 */
export class RedisConversationStore implements ConversationStore {
  private readonly prefix: string;
  private readonly rootPrefix: string;
  private readonly clock: Clock;
  /** The signing key as last read, and until when it is trusted without asking Redis again. */
  private cachedKey: { key: Promise<Buffer>; until: number } | undefined;
  /**
   * Records this process created or read recently. A record never changes once created, so every post
   * and every turn's replies need not read it again; only a record that expired (30 days unused) or
   * that Redis lost can outlive its key here, for at most {@link RECORD_CACHE_MS}.
   */
  private readonly records = new Map<string, { record: ConversationRecord; until: number }>();

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string; clock?: Clock } = {},
  ) {
    this.rootPrefix = options.prefix ?? 'relevo';
    this.prefix = `${this.rootPrefix}:dl`;
    this.clock = options.clock ?? systemClock;
  }

  async create(record: ConversationRecord): Promise<void> {
    const { meta } = this.keys(record.id);
    await this.client.multi().set(meta, JSON.stringify(record)).pExpire(meta, RETENTION_MS).exec();
    this.remember(record);
  }

  async get(conversationId: string): Promise<ConversationRecord | undefined> {
    const cached = this.records.get(conversationId);
    if (cached && this.clock.now() < cached.until) return { ...cached.record };
    const json = await this.client.get(this.keys(conversationId).meta);
    if (!json) return undefined;
    const record = JSON.parse(json) as ConversationRecord;
    this.remember(record);
    return { ...record };
  }

  async append(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys: readonly (string | undefined)[] = [],
  ): Promise<Appended> {
    const { meta, log, appended } = this.keys(conversationId);
    const target = publishTarget(this.client, this.rootPrefix, deliveryChannel(conversationId));
    const args = [String(RETENTION_MS), target.command, target.channel, conversationId];
    activities.forEach((activity, i) => {
      args.push(keys[i] ?? '', JSON.stringify({ ...activity, id: undefined }));
    });
    const reply = (await appendScript.run(this.client, [log, appended, meta], args)) as number[];
    const watermark = Number(reply.at(-1));
    return toAppended(conversationId, reply.slice(0, -1).map(Number), watermark);
  }

  async since(conversationId: string, watermark: number): Promise<ActivitySet> {
    const entries = await this.client.lRange(
      this.keys(conversationId).log,
      watermark,
      watermark + MAX_ACTIVITIES_PER_SET - 1,
    );
    return toSet(conversationId, entries, watermark);
  }

  /**
   * The key every process signs tokens with: created once (`SET NX`), then read. Every Direct Line
   * request checks a token, so the key is kept for a minute instead of costing two Redis round trips
   * per request; it never changes unless Redis loses its data, and then processes agree again within
   * {@link SIGNING_KEY_CACHE_MS}.
   */
  signingKey(): Promise<Buffer> {
    const now = this.clock.now();
    if (this.cachedKey && now < this.cachedKey.until) return this.cachedKey.key;
    const key = this.readSigningKey();
    this.cachedKey = { key, until: now + SIGNING_KEY_CACHE_MS };
    // A failed read is not kept: the next request asks Redis again.
    key.catch(() => {
      if (this.cachedKey?.key === key) this.cachedKey = undefined;
    });
    return key;
  }

  private async readSigningKey(): Promise<Buffer> {
    const key = `${this.prefix}:signing-key`;
    await this.client.set(key, randomBytes(32).toString('base64'), { condition: 'NX' });
    const stored = await this.client.get(key);
    return Buffer.from(stored ?? '', 'base64');
  }

  private remember(record: ConversationRecord): void {
    if (this.records.size >= RECORD_CACHE_SIZE) this.records.clear();
    this.records.set(record.id, { record: { ...record }, until: this.clock.now() + RECORD_CACHE_MS });
  }

  private keys(conversationId: string): { meta: string; log: string; appended: string } {
    const tag = conversationTag('webchat', conversationId);
    return {
      meta: `${this.prefix}:${tag}:meta`,
      log: `${this.prefix}:${tag}:log`,
      appended: `${this.prefix}:${tag}:appended`,
    };
  }
}

/** Ids from sequences (negative: appended before under the same key). */
function toAppended(conversationId: string, sequences: number[], watermark: number): Appended {
  return {
    ids: sequences.map((sequence) => activityId(conversationId, Math.abs(sequence))),
    fresh: sequences.map((sequence) => sequence > 0),
    watermark,
  };
}

function toSet(conversationId: string, entries: string[], watermark: number): ActivitySet {
  const activities = entries.map((json, i) => ({
    ...(JSON.parse(json) as Partial<Activity>),
    id: activityId(conversationId, watermark + i + 1),
  }));
  return { activities, watermark: watermark + entries.length };
}
