import { randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { type Clock, systemClock } from '../../core/clock.js';
import type { RedisConnection } from '../../storage/redis-connection.js';
import { RedisScript } from '../../storage/redis-script.js';

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

/**
 * What the Direct Line channel keeps per conversation: its record and its activity log, in which
 * each activity's id is `<conversationId>|<7-digit sequence>` and the sequence is the watermark.
 */
export interface ConversationStore {
  create(record: ConversationRecord): Promise<void>;
  get(conversationId: string): Promise<ConversationRecord | undefined>;
  /**
   * Appends activities in order, at once (their `id`s are assigned here), and returns their ids and the
   * new watermark. A turn's replies go in one call, so they cost one write, not one each. An activity
   * given a key (`keys[i]`) is appended once per key: a repeat returns the first one's id and is not
   * `fresh` — a client's retried post, a turn run again after a crash.
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

/** {@link ConversationStore} in process memory. */
export class MemoryConversationStore implements ConversationStore {
  private readonly records = new Map<string, ConversationRecord>();
  private readonly logs = new Map<string, string[]>();
  /** Per conversation, the sequence of each keyed activity appended. */
  private readonly appended = new Map<string, Map<string, number>>();
  private readonly key = randomBytes(32);

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
    return toAppended(conversationId, sequences, log.length);
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
// answered with minus its first sequence. The last reply is the log's length (the watermark).
const appendScript = new RedisScript(`
local out = {}
for i = 2, #ARGV, 2 do
  local key = ARGV[i]
  local seen = false
  if key ~= '' then seen = redis.call('HGET', KEYS[3], key) end
  if seen then
    out[#out + 1] = -tonumber(seen)
  else
    local seq = redis.call('RPUSH', KEYS[2], ARGV[i + 1])
    if key ~= '' then redis.call('HSET', KEYS[3], key, seq) end
    out[#out + 1] = seq
  end
end
local length = redis.call('LLEN', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
out[#out + 1] = length
return out
`);

/** Conversations are kept this long after their last activity. */
const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** How long a process uses the signing key it read before reading it again. */
export const SIGNING_KEY_CACHE_MS = 60_000;

/** {@link ConversationStore} on Redis: a hash per conversation and a list as its log. */
export class RedisConversationStore implements ConversationStore {
  private readonly prefix: string;
  private readonly clock: Clock;
  /** The signing key as last read, and until when it is trusted without asking Redis again. */
  private cachedKey: { key: Promise<Buffer>; until: number } | undefined;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string; clock?: Clock } = {},
  ) {
    this.prefix = `${options.prefix ?? 'relevo'}:dl`;
    this.clock = options.clock ?? systemClock;
  }

  async create(record: ConversationRecord): Promise<void> {
    const [meta] = this.keys(record.id);
    await this.client.multi().set(meta, JSON.stringify(record)).pExpire(meta, RETENTION_MS).exec();
  }

  async get(conversationId: string): Promise<ConversationRecord | undefined> {
    const json = await this.client.get(this.keys(conversationId)[0]);
    return json ? (JSON.parse(json) as ConversationRecord) : undefined;
  }

  async append(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys: readonly (string | undefined)[] = [],
  ): Promise<Appended> {
    const [meta, log, appended] = this.keys(conversationId);
    const args = [String(RETENTION_MS)];
    activities.forEach((activity, i) => {
      args.push(keys[i] ?? '', JSON.stringify(activity));
    });
    const reply = (await appendScript.run(this.client, [meta, log, appended], args)) as number[];
    const watermark = Number(reply.at(-1));
    return toAppended(conversationId, reply.slice(0, -1).map(Number), watermark);
  }

  async since(conversationId: string, watermark: number): Promise<ActivitySet> {
    const entries = await this.client.lRange(
      this.keys(conversationId)[1],
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

  private keys(conversationId: string): [string, string, string] {
    const tag = `{${conversationId}}`;
    return [`${this.prefix}:${tag}:meta`, `${this.prefix}:${tag}:log`, `${this.prefix}:${tag}:appended`];
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
