import { createHmac, randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { type Clock, systemClock } from '../../core/clock.js';
import type { RedisConnection } from '../../storage/redis-connection.js';
import { ERASED_CONVERSATION_TTL_MS, type TurnCommit } from '../../core/turn-commit.js';
import type { Next } from '../../storage/inbound-backend.js';
import {
  appendedFrom as inboundAppended,
  claimed,
  INBOUND_DONE_LUA,
  INBOUND_LUA,
  RedisInboundBackend,
} from '../../storage/redis-inbound-backend.js';
import { conversationTag } from '../../storage/redis-keys.js';
import { publishTarget } from '../../storage/redis-pubsub.js';
import { RedisScript } from '../../storage/redis-script.js';
import { RedisTranscriptStore, TRANSCRIPT_LUA } from '../../storage/redis-transcript-store.js';
import {
  type ActivitySet,
  type Appended,
  type CommitQueue,
  commitInTwoSteps,
  type ConversationRecord,
  type ConversationStore,
  deliveryChannel,
  MAX_ACTIVITIES_PER_SET,
  type Posted,
  type PostQueue,
  postInTwoSteps,
  toAppended,
  toSet,
} from './conversation-store.js';
import { WEBCHAT_CHANNEL_ID } from './inbound.js';
import { TOKEN_LIFETIME_MS } from './verify.js';

// Appends each (key, JSON) pair of ARGV from a + 4 on, in order, to the log KEYS[k + 1] (with the keys
// appended in KEYS[k + 2], the record KEYS[k + 3]); a pair whose key was appended before is skipped and
// answered with minus its first sequence. The last answer is the log's length (the watermark). The new
// activities are announced in the same step as a Delivery (ARGV[a + 1] PUBLISH or SPUBLISH, ARGV[a + 2]
// the channel, ARGV[a + 3] the conversation id; ARGV[a] is the retention): their JSON is spliced as
// text, with the id added last, so nothing is re-encoded.
const LOG_APPEND = `
local function with_id(json, id)
  if json == '{}' then return '{"id":' .. cjson.encode(id) .. '}' end
  return string.sub(json, 1, -2) .. ',"id":' .. cjson.encode(id) .. '}'
end
local function log_append(k, a)
  local out = {}
  local fresh = {}
  for i = a + 4, #ARGV, 2 do
    local key = ARGV[i]
    local seen = false
    if key ~= '' then seen = redis.call('HGET', KEYS[k + 2], key) end
    if seen then
      out[#out + 1] = -tonumber(seen)
    else
      local seq = redis.call('RPUSH', KEYS[k + 1], ARGV[i + 1])
      if key ~= '' then redis.call('HSET', KEYS[k + 2], key, seq) end
      out[#out + 1] = seq
      fresh[#fresh + 1] = with_id(ARGV[i + 1], ARGV[a + 3] .. '|' .. string.format('%07d', seq))
    end
  end
  local length = redis.call('LLEN', KEYS[k + 1])
  for j = 1, 3 do redis.call('PEXPIRE', KEYS[k + j], ARGV[a]) end
  if #fresh > 0 then
    redis.call(ARGV[a + 1], ARGV[a + 2], '{"activities":[' .. table.concat(fresh, ',') .. '],"watermark":' ..
      length .. ',"after":' .. (length - #fresh) .. '}')
  end
  out[#out + 1] = length
  return out
end
`;

const appendScript = new RedisScript(`${LOG_APPEND}
return log_append(0, 1)
`);

// A post in one step: its echo appended (and announced) as above, then its turn — ARGV[4], the JSON of
// the turn activity without its id, which is the echo's — queued and claimed on the conversation's
// inbound queue (KEYS 1-4, ARGV 1-3 as storage/redis-inbound-backend.ts wants; ARGV[5] is the time).
// Answers {log_append's answer, {appended, claim…}}.
const postScript = new RedisScript(`${INBOUND_LUA}${LOG_APPEND}
local logged = log_append(4, 6)
local id = ARGV[9] .. '|' .. string.format('%07d', math.abs(logged[1]))
return {logged, claim({inbound_append(id, with_id(ARGV[4], id), tonumber(ARGV[5]))})}
`);

// A queued turn's commit in one step (see ConversationStore.commit): its held replies appended and
// announced as above (log KEYS 8-10, ARGV from a = 6 + 4n on), its transcript — n entries from ARGV[6],
// replies' ids as the log gave them — on KEYS 5-7, its entry ARGV[4] removed and the next claimed
// (KEYS 1-4, ARGV 1-3 as storage/redis-inbound-backend.ts wants). The log's keys get the retention ARGV[a]
// whether or not replies are appended: a turn that erased its conversation gives them minutes, so a
// process dying before the delete that follows leaves nothing for longer. Answers the claim.
const commitScript = new RedisScript(`${INBOUND_DONE_LUA}${TRANSCRIPT_LUA}${LOG_APPEND}
local n = tonumber(ARGV[5])
local a = 6 + 4 * n
local ids = {}
if #ARGV > a + 3 then
  local logged = log_append(7, a)
  for i = 1, #logged - 1 do ids[i] = ARGV[a + 3] .. '|' .. string.format('%07d', math.abs(logged[i])) end
else
  for j = 1, 3 do redis.call('PEXPIRE', KEYS[7 + j], ARGV[a]) end
end
transcript_append(4, 6, n, ids)
entry_done(ARGV[4])
return claim({})
`);

/** Conversations are kept this long after their last activity. */
const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/** How long a process uses the signing key it read before reading it again. */
export const SIGNING_KEY_CACHE_MS = 60_000;
/** Least time between two reads of the signing key past the cache (a token no known key verifies). */
export const SIGNING_KEY_RECHECK_MS = 1_000;

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
  /** Every signing key this process used, by base64, and until when its tokens may still be alive. */
  private readonly knownKeys = new Map<string, { key: Buffer; until: number }>();
  /** When the signing key was last read past the cache. */
  private lastRecheck = Number.NEGATIVE_INFINITY;
  /** The key derived from `DIRECTLINE_SECRET`, when one is configured: nothing in Redis to lose. */
  private readonly derivedKey: Buffer | undefined;
  /**
   * Records this process created or read recently. A record never changes once created, so every post
   * and every turn's replies need not read it again; only a record that expired (30 days unused) or
   * that Redis lost can outlive its key here, for at most {@link RECORD_CACHE_MS}.
   */
  private readonly records = new Map<string, { record: ConversationRecord; until: number }>();

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string; clock?: Clock; signingSecret?: string | undefined } = {},
  ) {
    this.rootPrefix = options.prefix ?? 'relevo';
    this.prefix = `${this.rootPrefix}:dl`;
    this.clock = options.clock ?? systemClock;
    this.derivedKey =
      options.signingSecret === undefined ? undefined : deriveSigningKey(options.signingSecret);
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
    const reply = (await appendScript.run(
      this.client,
      this.logKeys(conversationId),
      this.logArgs(conversationId, activities, keys),
    )) as number[];
    return appendedFrom(conversationId, reply);
  }

  async post(
    conversationId: string,
    echo: Partial<Activity>,
    key: string | undefined,
    turn: (id: string) => Partial<Activity>,
    queue: PostQueue,
  ): Promise<Posted> {
    const { backend, partition, holder } = queue;
    if (!(backend instanceof RedisInboundBackend)) {
      return postInTwoSteps(this, conversationId, echo, key, turn, queue);
    }
    const [logged, queued] = (await postScript.run(
      this.client,
      [...backend.scriptKeys(partition), ...this.logKeys(conversationId)],
      [
        ...backend.claimArgs(holder),
        JSON.stringify({ ...turn(''), id: undefined }),
        String(Date.now()),
        ...this.logArgs(conversationId, [echo], [key]),
      ],
    )) as [number[], unknown[]];
    const [id = ''] = appendedFrom(conversationId, logged).ids;
    return { id, ...inboundAppended(queued, holder) };
  }

  async commit(conversationId: string, queue: CommitQueue, done: string, commit: TurnCommit): Promise<Next> {
    const { backend, partition, holder } = queue;
    const transcripts = backend.transcripts;
    if (!(backend instanceof RedisInboundBackend) || !(transcripts instanceof RedisTranscriptStore)) {
      return commitInTwoSteps(this, conversationId, queue, done, commit);
    }
    const entries = commit.transcript;
    const [reply] = await Promise.all([
      commitScript.run(
        this.client,
        [
          ...backend.scriptKeys(partition),
          ...transcripts.scriptKeys(WEBCHAT_CHANNEL_ID, conversationId),
          ...this.logKeys(conversationId),
        ],
        [
          ...backend.claimArgs(holder),
          done,
          String(entries.length),
          ...transcripts.scriptArgs(entries),
          ...this.logArgs(
            conversationId,
            commit.replies.map((each) => each.activity),
            commit.replies.map((each) => each.key),
            commit.conversationErased ? ERASED_CONVERSATION_TTL_MS : RETENTION_MS,
          ),
        ],
      ),
      entries.length > 0 ? transcripts.indexBeside(entries.map((entry) => entry.activity)) : undefined,
    ]);
    return claimed(reply as unknown[]);
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
   * One DEL of the three keys (one slot). Another process may serve the record from its cache for up to
   * {@link RECORD_CACHE_MS}: its reads then find the log empty.
   */
  async erase(conversationId: string): Promise<void> {
    this.records.delete(conversationId);
    await this.client.del(this.logKeys(conversationId));
  }

  /**
   * The key every process signs tokens with. With `DIRECTLINE_SECRET` it is derived from the secret, so
   * every process has it and no Redis outage changes it. Without, it is created once in Redis (`SET NX
   * GET`, one step) and then read; every Direct Line request checks a token, so the key is kept for a
   * minute instead of costing a Redis round trip per request.
   */
  signingKey(): Promise<Buffer> {
    if (this.derivedKey) return Promise.resolve(this.derivedKey);
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

  /**
   * The signing key, then every key this process signed with in the last {@link TOKEN_LIFETIME_MS}:
   * if Redis lost the key and a process created another, tokens of both stay valid here. `recheck`
   * reads Redis past the cache (at most once per {@link SIGNING_KEY_RECHECK_MS}), for a token another
   * process signed with a key created since this one last read it.
   */
  async verificationKeys(recheck = false): Promise<Buffer[]> {
    const now = this.clock.now();
    if (recheck && !this.derivedKey && now - this.lastRecheck >= SIGNING_KEY_RECHECK_MS) {
      this.lastRecheck = now;
      this.cachedKey = undefined;
    }
    const current = await this.signingKey();
    const others: Buffer[] = [];
    for (const [name, known] of this.knownKeys) {
      if (known.until <= now) this.knownKeys.delete(name);
      else if (!known.key.equals(current)) others.push(known.key);
    }
    return [current, ...others];
  }

  private async readSigningKey(): Promise<Buffer> {
    const fresh = randomBytes(32).toString('base64');
    // One step: a key created by another process in between is never replaced, never read as empty.
    const stored = await this.client.set(`${this.prefix}:signing-key`, fresh, { condition: 'NX', GET: true });
    const encoded = typeof stored === 'string' ? stored : fresh;
    const key = Buffer.from(encoded, 'base64');
    this.knownKeys.set(encoded, { key, until: this.clock.now() + SIGNING_KEY_CACHE_MS + TOKEN_LIFETIME_MS });
    return key;
  }

  private remember(record: ConversationRecord): void {
    if (this.records.size >= RECORD_CACHE_SIZE) this.records.clear();
    this.records.set(record.id, { record: { ...record }, until: this.clock.now() + RECORD_CACHE_MS });
  }

  /** KEYS of the log's append: log, appended keys, record. */
  private logKeys(conversationId: string): string[] {
    const { meta, log, appended } = this.keys(conversationId);
    return [log, appended, meta];
  }

  /** ARGV of the log's append: retention, how and where to announce, the conversation, (key, JSON) pairs. */
  private logArgs(
    conversationId: string,
    activities: readonly Partial<Activity>[],
    keys: readonly (string | undefined)[],
    retentionMs = RETENTION_MS,
  ): string[] {
    const target = publishTarget(this.client, this.rootPrefix, deliveryChannel(conversationId));
    const args = [String(retentionMs), target.command, target.channel, conversationId];
    activities.forEach((activity, i) => {
      // The log gives each its id: one that has none yet (a held reply, an echo) is not copied to drop it.
      args.push(
        keys[i] ?? '',
        JSON.stringify(activity.id === undefined ? activity : { ...activity, id: undefined }),
      );
    });
    return args;
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

/** The token signing key of a configured secret: HMAC-SHA256 of a fixed label under the secret. */
export function deriveSigningKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('relevo direct line token signing key v1').digest();
}

/** What the log's append script answered (sequences, then the watermark), as an {@link Appended}. */
function appendedFrom(conversationId: string, reply: number[]): Appended {
  return toAppended(conversationId, reply.slice(0, -1).map(Number), Number(reply.at(-1)));
}
