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
// ARGV: (score, JSON, id or '') triples, appended in order.
const appendScript = new RedisScript(`
for i = 1, #ARGV / 3 do
  local id = ARGV[3 * i]
  if id == '' or redis.call('SADD', KEYS[3], id) == 1 then
    local seq = redis.call('INCR', KEYS[2])
    redis.call('ZADD', KEYS[1], ARGV[3 * i - 2], string.format('%012d', seq) .. ARGV[3 * i - 1])
  end
end
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
    const index = new Map<string, Map<string, number>>();
    for (const activity of activities) {
      const { channelId, conversationId } = requireLoggable(activity);
      const at = timestampOf(activity);
      const json = toJson(conversationId, { ...activity, timestamp: new Date(at) });
      const id = JSON.stringify([channelId, conversationId]);
      const batch = conversations.get(id) ?? { channelId, conversationId, args: [] };
      conversations.set(id, batch);
      batch.args.push(String(at), json, loggedId(activity));
      const channel = index.get(channelId) ?? new Map<string, number>();
      index.set(channelId, channel);
      channel.set(conversationId, Math.min(channel.get(conversationId) ?? at, at));
    }
    if (conversations.size === 0) return;
    await Promise.all([
      ...[...conversations.values()].map(({ channelId, conversationId, args }) =>
        appendScript.run(this.client, this.conversationKeys(channelId, conversationId), args),
      ),
      ...[...index].map(([channelId, entries]) =>
        this.client.zAdd(
          this.indexKey(channelId),
          [...entries].map(([value, score]) => ({ score, value })),
          { condition: 'NX' },
        ),
      ),
    ]);
  }

  async getTranscriptActivities(
    channelId: string,
    conversationId: string,
    continuationToken?: string,
    startDate?: Date,
  ): Promise<PagedResult<Activity>> {
    const offset = decodeToken(continuationToken);
    const [log] = this.conversationKeys(channelId, conversationId);
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
    await this.client.del(this.conversationKeys(channelId, conversationId));
    await this.client.zRem(this.indexKey(channelId), conversationId);
  }

  private conversationKeys(channelId: string, conversationId: string): [string, string, string] {
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
