import type { Activity, PagedResult, TranscriptInfo } from 'botbuilder';
import { toJson } from './errors.js';
import type { RedisConnection } from './redis-connection.js';
import { conversationTag } from './redis-keys.js';
import { RedisScript } from './redis-script.js';
import type { BatchTranscriptStore } from './types.js';
import {
  decodeToken,
  page,
  requireLoggable,
  reviveActivity,
  TRANSCRIPT_PAGE_SIZE,
  loggedId,
  timestampOf,
} from './transcript-paging.js';

// One sorted set per conversation, scored by timestamp; each member is a 12-digit sequence number
// followed by the activity JSON, so equal timestamps keep their logging order and members stay unique.
// An activity id already logged in the conversation is not logged again (a turn run again after a
// crash). The counter and the id set share the conversation's hash tag: the script stays on one slot.
// `transcript_append(k, a, n, ids)` appends the n (score, JSON, logged id, reply) quadruples of ARGV
// from a on to KEYS k + 1 to k + 3; a reply r > 0 is an activity whose id is ids[r], known only in the
// calling script (a web chat reply's log id): it is added to the JSON and to the logged id.
export const TRANSCRIPT_LUA = `
local function transcript_append(k, a, n, ids)
  for i = a, a + 4 * (n - 1), 4 do
    local json = ARGV[i + 1]
    local id = ARGV[i + 2]
    local reply = tonumber(ARGV[i + 3])
    if reply > 0 then
      json = string.sub(json, 1, -2) .. ',"id":' .. cjson.encode(ids[reply]) .. '}'
      id = id .. ids[reply]
    end
    if id == '' or redis.call('SADD', KEYS[k + 3], id) == 1 then
      local seq = redis.call('INCR', KEYS[k + 2])
      redis.call('ZADD', KEYS[k + 1], ARGV[i], string.format('%012d', seq) .. json)
    end
  end
end
`;
const appendScript = new RedisScript(`${TRANSCRIPT_LUA}
transcript_append(0, 1, #ARGV / 4, {})
return 0
`);
const SEQUENCE_DIGITS = 12;

/**
 * botbuilder `TranscriptStore` on Redis: activities oldest first, 20 a page with continuation tokens,
 * `startDate` answered by the sorted set's score range; a per-channel index lists conversations by
 * the time they started.
 */
export class RedisTranscriptStore implements BatchTranscriptStore {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
  }

  async logActivity(activity: Activity): Promise<void> {
    await this.logActivities([activity]);
  }

  /**
   * Logs several activities in order in one round trip: one append script per conversation and the
   * channel index, all issued together so node-redis pipelines them (in a cluster, one per node).
   */
  async logActivities(activities: Activity[]): Promise<void> {
    const conversations = new Map<string, { channelId: string; conversationId: string; args: string[] }>();
    for (const activity of activities) {
      const { channelId, conversationId } = requireLoggable(activity);
      const id = JSON.stringify([channelId, conversationId]);
      const batch = conversations.get(id) ?? { channelId, conversationId, args: [] };
      conversations.set(id, batch);
      batch.args.push(...this.scriptArgs([{ activity }]));
    }
    if (conversations.size === 0) return;
    await Promise.all([
      ...[...conversations.values()].map(({ channelId, conversationId, args }) =>
        appendScript.run(this.client, this.scriptKeys(channelId, conversationId), args),
      ),
      this.index(activities),
    ]);
  }

  /**
   * ARGV of {@link TRANSCRIPT_LUA} for `entries` of one conversation: an entry with a `reply` gets its id
   * in the script (the id it has here is ignored).
   */
  scriptArgs(entries: readonly { activity: Activity; reply?: number }[]): string[] {
    const args: string[] = [];
    for (const { activity, reply } of entries) {
      const { conversationId } = requireLoggable(activity);
      const at = timestampOf(activity);
      if (reply === undefined) {
        args.push(String(at), toJson(conversationId, { ...activity, timestamp: new Date(at) }));
        args.push(loggedId(activity), '0');
      } else {
        const json = toJson(conversationId, { ...activity, id: undefined, timestamp: new Date(at) });
        args.push(String(at), json, `${activity.type ?? ''}:`, String(reply + 1));
      }
    }
    return args;
  }

  /**
   * Lists the activities' conversations in their channel's index (a conversation once, by the time it
   * started); another slot than the conversation's, so it travels beside its script, not in it.
   */
  async index(activities: readonly Activity[]): Promise<void> {
    const index = new Map<string, Map<string, number>>();
    for (const activity of activities) {
      const { channelId, conversationId } = requireLoggable(activity);
      const at = timestampOf(activity);
      const channel = index.get(channelId) ?? new Map<string, number>();
      index.set(channelId, channel);
      channel.set(conversationId, Math.min(channel.get(conversationId) ?? at, at));
    }
    await Promise.all(
      [...index].map(([channelId, entries]) =>
        this.client.zAdd(
          this.indexKey(channelId),
          [...entries].map(([value, score]) => ({ score, value })),
          { condition: 'NX' },
        ),
      ),
    );
  }

  /**
   * {@link index} beside a commit script that wrote the activities: its failure is no reason to run the
   * turn again, as the conversation's next commit lists it (ZADD NX).
   */
  indexBeside(activities: readonly Activity[]): Promise<void> {
    return this.index(activities).catch(() => undefined);
  }

  async getTranscriptActivities(
    channelId: string,
    conversationId: string,
    continuationToken?: string,
    startDate?: Date,
  ): Promise<PagedResult<Activity>> {
    const offset = decodeToken(continuationToken);
    const [log] = this.scriptKeys(channelId, conversationId);
    const members = await this.client.zRange(log, startDate ? startDate.getTime() : '-inf', '+inf', {
      BY: 'SCORE',
      LIMIT: { offset, count: TRANSCRIPT_PAGE_SIZE + 1 },
    });
    return page(
      members.map((member) => reviveActivity(member.slice(SEQUENCE_DIGITS))),
      offset,
    );
  }

  async listTranscripts(channelId: string, continuationToken?: string): Promise<PagedResult<TranscriptInfo>> {
    const offset = decodeToken(continuationToken);
    const entries = await this.client.zRangeWithScores(
      this.indexKey(channelId),
      offset,
      offset + TRANSCRIPT_PAGE_SIZE,
    );
    return page(
      entries.map((entry) => ({ channelId, id: entry.value, created: new Date(entry.score) })),
      offset,
    );
  }

  async deleteTranscript(channelId: string, conversationId: string): Promise<void> {
    await this.client.del(this.scriptKeys(channelId, conversationId));
    await this.client.zRem(this.indexKey(channelId), conversationId);
  }

  /** A conversation's log, sequence and logged ids (its hash tag): KEYS of {@link TRANSCRIPT_LUA}. */
  scriptKeys(channelId: string, conversationId: string): [string, string, string] {
    const id = JSON.stringify([channelId, conversationId]);
    const tag = conversationTag(channelId, conversationId);
    return [
      `${this.prefix}:tx:${tag}:${id}`,
      `${this.prefix}:txseq:${tag}:${id}`,
      `${this.prefix}:txids:${tag}:${id}`,
    ];
  }

  private indexKey(channelId: string): string {
    return `${this.prefix}:txindex:${channelId}`;
  }
}
