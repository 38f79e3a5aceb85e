import { createHash } from 'node:crypto';
import type { Activity, PagedResult, TranscriptInfo, TranscriptStore } from 'botbuilder';
import { toJson } from './errors.js';
import type { RedisConnection } from './redis-connection.js';
import { RedisScript } from './redis-script.js';
import {
  decodeToken,
  page,
  requireLoggable,
  reviveActivity,
  TRANSCRIPT_PAGE_SIZE,
  timestampOf,
} from './transcript-paging.js';

// One sorted set per conversation, scored by timestamp; each member is a 12-digit sequence number
// followed by the activity JSON, so equal timestamps keep their logging order and members stay unique.
// The sequence counter shares the conversation's hash tag, so the script stays on one cluster slot.
const appendScript = new RedisScript(`
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ARGV[1], string.format('%012d', seq) .. ARGV[2])
return seq
`);
const SEQUENCE_DIGITS = 12;

/**
 * botbuilder `TranscriptStore` on Redis: activities oldest first, 20 a page with continuation tokens,
 * `startDate` answered by the sorted set's score range; a per-channel index lists conversations by
 * the time they started.
 */
export class RedisTranscriptStore implements TranscriptStore {
  private readonly prefix: string;

  constructor(
    private readonly client: RedisConnection,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'relevo';
  }

  async logActivity(activity: Activity): Promise<void> {
    const { channelId, conversationId } = requireLoggable(activity);
    const at = timestampOf(activity);
    const json = toJson(conversationId, { ...activity, timestamp: new Date(at) });
    const [log, sequence] = this.conversationKeys(channelId, conversationId);
    await appendScript.run(this.client, [log, sequence], [String(at), json]);
    await this.client.zAdd(
      this.indexKey(channelId),
      { score: at, value: conversationId },
      { condition: 'NX' },
    );
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

  private conversationKeys(channelId: string, conversationId: string): [string, string] {
    // The hash tag is a digest, so braces inside ids can neither end it early nor make two ids collide.
    const id = JSON.stringify([channelId, conversationId]);
    const tag = `{${createHash('sha1').update(id).digest('hex').slice(0, 16)}}`;
    return [`${this.prefix}:tx:${tag}:${id}`, `${this.prefix}:txseq:${tag}:${id}`];
  }

  private indexKey(channelId: string): string {
    return `${this.prefix}:txindex:${channelId}`;
  }
}
