import type { TurnCommit } from '../core/turn-commit.js';
import type { Holder, InboundBackend, Next, StoredEntry, Wake } from './inbound-backend.js';
import { refuseCommitReplies, turnLockResource } from './inbound-backend.js';
import { INBOUND_RETENTION_MS } from './memory-inbound-backend.js';
import type { RedisConnection } from './redis-connection.js';
import { partitionTag } from './redis-keys.js';
import { lockKey } from './redis-lock.js';
import { RedisScript } from './redis-script.js';
import { type RedisTranscriptStore, TRANSCRIPT_LUA } from './redis-transcript-store.js';

// Both scripts take KEYS = {log, seen, tries, lock} of one partition (one slot) and end by claiming:
// with no holder token (ARGV[1] == '') nothing more; a lock held under another token answers {0}; an
// empty log answers {1} and frees the lock if it was this holder's; otherwise the lock is (re)taken for
// ARGV[2] ms and the oldest entry answered with its run count raised, its failed runs (field
// `<entry>:f`) and when its first run started (field `<entry>:t`, ms on Redis's clock, set by the
// first claim): {2, entry id, runs, fields, failures, first run}.
const CLAIM = `
local function claim(result)
  if ARGV[1] == '' then return result end
  local holder = redis.call('GET', KEYS[4])
  if holder and holder ~= ARGV[1] then result[#result + 1] = 0 return result end
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if not first then
    if holder then redis.call('DEL', KEYS[4]) end
    result[#result + 1] = 1
    return result
  end
  redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[2])
  local attempt = redis.call('HINCRBY', KEYS[3], first[1], 1)
  local failures = tonumber(redis.call('HGET', KEYS[3], first[1] .. ':f') or '0')
  local started = redis.call('HGET', KEYS[3], first[1] .. ':t')
  if not started then
    local now = redis.call('TIME')
    started = tostring(now[1] * 1000 + math.floor(now[2] / 1000))
    redis.call('HSET', KEYS[3], first[1] .. ':t', started)
  end
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  result[#result + 1] = 2
  result[#result + 1] = first[1]
  result[#result + 1] = attempt
  result[#result + 1] = first[2]
  result[#result + 1] = failures
  result[#result + 1] = started
  return result
end
`;

// Dedupe and append in one step: an id seen within the retention (ARGV[3]) is not queued again; the
// seen set is trimmed as it grows. Answers 1 when appended, 0 for a repeat.
const APPEND = `
local function inbound_append(id, json, now)
  if redis.call('ZSCORE', KEYS[2], id) then return 0 end
  local retention = tonumber(ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - retention)
  redis.call('ZADD', KEYS[2], now, id)
  redis.call('PEXPIRE', KEYS[2], retention)
  redis.call('XADD', KEYS[1], '*', 'id', id, 'a', json)
  redis.call('PEXPIRE', KEYS[1], retention)
  return 1
end
`;

/**
 * The Lua functions `inbound_append(id, json, now)` and `claim(result)`, for a script of another store
 * that queues an entry in the same step as its own write on the partition's slot: its KEYS start with
 * {@link RedisInboundBackend.scriptKeys} and its ARGV with {@link RedisInboundBackend.claimArgs}.
 */
export const INBOUND_LUA = `${CLAIM}${APPEND}`;

// Append, then claim: queueing a message and taking its conversation is one round trip.
// ARGV: holder token, lock ms, retention, id, JSON, now. Answers {1 if appended, claim…}.
const appendScript = new RedisScript(`${INBOUND_LUA}
return claim({inbound_append(ARGV[4], ARGV[5], tonumber(ARGV[6]))})
`);

// Removes the finished entry `done` (if any; whoever holds the lock now).
const DONE = `
local function entry_done(done)
  if done ~= '' then
    redis.call('XDEL', KEYS[1], done)
    redis.call('HDEL', KEYS[3], done, done .. ':f', done .. ':t')
  end
end
`;

/**
 * The Lua functions `entry_done(done)` and `claim(result)`, for a script of another store that finishes
 * a turn in the same step as its own writes on the partition's slot (see {@link INBOUND_LUA}).
 */
export const INBOUND_DONE_LUA = `${CLAIM}${DONE}`;

// Removes the finished entry, then claims: one round trip per turn. ARGV: holder token, lock ms,
// retention, finished entry.
const nextScript = new RedisScript(`${INBOUND_DONE_LUA}
entry_done(ARGV[4])
return claim({})
`);

// A turn's commit: its transcript (KEYS 5-7; ARGV[5] entries from ARGV[6] on), the finished entry
// removed and the next claimed, in one step.
const commitScript = new RedisScript(`${INBOUND_DONE_LUA}${TRANSCRIPT_LUA}
transcript_append(4, 6, tonumber(ARGV[5]), {})
entry_done(ARGV[4])
return claim({})
`);

const GROUP = 'relevo';

// Acknowledges and deletes wake-ups: one command instead of MULTI, XACK, XDEL, EXEC. As in a MULTI, the
// deletes happen even if the acknowledgement fails (no group), whose error is then the answer.
// KEYS: the wake-up stream. ARGV: group, then the ids (in slices, within Lua's limit on unpack).
const ackScript = new RedisScript(`
local failed
for i = 2, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  local acked = redis.pcall('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  if type(acked) == 'table' and acked.err then failed = acked end
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
if failed then return failed end
return 0
`);

/**
 * {@link InboundBackend} on Redis. Per partition a stream (its entries in arrival order), a sorted set
 * of the ids seen (dedupe), a hash of attempt counts and the turn lock (`RedisLockManager`'s key of
 * {@link turnLockResource}), all under the conversation's hash tag so the scripts stay on one cluster
 * slot; one stream of wake-ups per queue, read by a consumer group: a wake-up delivered to a process
 * that died stays pending and is taken over with XAUTOCLAIM once idle for the visibility timeout. With
 * `appendonly yes` an acknowledged enqueue survives a Redis restart.
 */
export class RedisInboundBackend implements InboundBackend {
  private readonly prefix: string;
  private readonly base: string;
  private readonly wakeKey: string;
  private readonly retentionMs: number;
  private hasGroup = false;
  readonly transcripts: RedisTranscriptStore | undefined;

  constructor(
    private readonly client: RedisConnection,
    options: {
      prefix?: string;
      name: string;
      retentionMs?: number | undefined;
      /** Where a turn's commit writes its transcript (in the same script as the entry's removal). */
      transcripts?: RedisTranscriptStore | undefined;
    },
  ) {
    this.transcripts = options.transcripts;
    this.retentionMs = options.retentionMs ?? INBOUND_RETENTION_MS;
    this.prefix = options.prefix ?? 'relevo';
    this.base = `${this.prefix}:inq:${options.name}`;
    this.wakeKey = `${this.base}:wake`;
  }

  async append(
    partition: string,
    id: string,
    json: string,
    holder?: Holder,
  ): Promise<{ isNew: boolean; next?: Next }> {
    const reply = (await appendScript.run(this.client, this.scriptKeys(partition), [
      ...this.claimArgs(holder),
      id,
      json,
      String(Date.now()),
    ])) as unknown[];
    return appendedFrom(reply, holder);
  }

  async wake(partition: string): Promise<string> {
    return this.client.xAdd(this.wakeKey, '*', { p: partition });
  }

  async next(partition: string, holder: Holder, done?: string, commit?: TurnCommit): Promise<Next> {
    refuseCommitReplies(commit);
    const transcript = commit?.transcript ?? [];
    const first = transcript[0]?.activity;
    if (!this.transcripts || !first || done === undefined) {
      const reply = (await nextScript.run(this.client, this.scriptKeys(partition), [
        ...this.claimArgs(holder),
        done ?? '',
      ])) as unknown[];
      return claimed(reply);
    }
    const [reply] = await Promise.all([
      commitScript.run(
        this.client,
        [
          ...this.scriptKeys(partition),
          ...this.transcripts.scriptKeys(first.channelId, first.conversation.id),
        ],
        [
          ...this.claimArgs(holder),
          done,
          String(transcript.length),
          ...this.transcripts.scriptArgs(transcript),
        ],
      ),
      this.transcripts.indexBeside(transcript.map((entry) => entry.activity)),
    ]);
    return claimed(reply as unknown[]);
  }

  async fail(partition: string, key: string): Promise<void> {
    await this.client.hIncrBy(this.scriptKeys(partition)[2], `${key}:f`, 1);
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

  async ack(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await ackScript.run(this.client, [this.wakeKey], [GROUP, ...keys]);
  }

  /** The first ARGV of a script using {@link INBOUND_LUA}: holder token (or none), lock ms, retention. */
  claimArgs(holder: Holder | undefined): string[] {
    return [holder?.token ?? '', String(holder?.ttlMs ?? 0), String(this.retentionMs)];
  }

  private async readWakes(consumer: string, count: number, idleMs: number): Promise<Wake[]> {
    if (!this.hasGroup) await this.createGroup();
    // Stalled and new wake-ups are asked for together (one round trip); stalled ones come first, and
    // any beyond `count` stay pending for this consumer until they are idle again.
    const [stalled, fresh] = await Promise.all([
      this.client.xAutoClaim(this.wakeKey, GROUP, consumer, idleMs, '0-0', { COUNT: count }),
      this.client.xReadGroup(GROUP, consumer, { key: this.wakeKey, id: '>' }, { COUNT: count }),
    ]);
    const wakes: Wake[] = [];
    for (const message of stalled.messages) {
      if (message) wakes.push(toWake(message));
    }
    for (const stream of (fresh ?? []) as { messages: { id: string; message: Record<string, string> }[] }[]) {
      for (const message of stream.messages) wakes.push(toWake(message));
    }
    return wakes.slice(0, count);
  }

  private async createGroup(): Promise<void> {
    try {
      await this.client.xGroupCreate(this.wakeKey, GROUP, '0', { MKSTREAM: true });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
    this.hasGroup = true;
  }

  /**
   * The partition's log, seen ids, runs and turn lock (one conversation's tag, one cluster slot): the
   * first KEYS of a script using {@link INBOUND_LUA}.
   */
  scriptKeys(partition: string): [string, string, string, string] {
    const tag = partitionTag(partition);
    return [
      `${this.base}:${tag}:log`,
      `${this.base}:${tag}:seen`,
      `${this.base}:${tag}:tries`,
      lockKey(this.prefix, turnLockResource(partition)),
    ];
  }
}

/** What `inbound_append` then `claim` answered ({appended, claim…}), as `append` resolves. */
export function appendedFrom(reply: unknown[], holder: Holder | undefined): { isNew: boolean; next?: Next } {
  return { isNew: Number(reply[0]) === 1, ...(holder ? { next: claimed(reply.slice(1)) } : {}) };
}

/** A claim's answer ({0} busy, {1} empty, {2, entry…}) as a {@link Next}. */
export function claimed(reply: unknown[]): Next {
  const status = Number(reply[0]);
  if (status === 0) return { kind: 'busy' };
  if (status === 1) return { kind: 'empty' };
  const [, key, attempt, fields, failures, started] = reply as [
    number,
    string,
    number,
    string[],
    number,
    string,
  ];
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i] as string] = fields[i + 1] as string;
  const entry: StoredEntry = {
    key,
    id: values.id ?? '',
    json: values.a ?? '{}',
    attempt: Number(attempt),
    failures: Number(failures),
    firstRunAt: Number(started),
  };
  return { kind: 'entry', entry };
}

/** A stream entry as a wake-up; its id starts with the time it was added. */
function toWake(message: { id: string; message: Record<string, unknown> }): Wake {
  return {
    key: message.id,
    partition: String(message.message.p),
    createdAt: Number(message.id.split('-')[0]),
  };
}
