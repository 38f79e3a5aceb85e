import type { Activity, PagedResult, TranscriptInfo } from 'botbuilder';
import { toJson } from './errors.js';
import {
  decodeToken,
  page,
  requireLoggable,
  reviveActivity,
  TRANSCRIPT_PAGE_SIZE,
  loggedId,
  timestampOf,
} from './transcript-paging.js';
import type { BatchTranscriptStore } from './types.js';

interface Transcript {
  created: number;
  entries: { at: number; json: string }[];
  /** Ids logged so far: an activity logged again (a turn run again) is kept once. */
  ids: Set<string>;
}

/**
 * botbuilder `TranscriptStore` in process memory, with the same paging, ordering and copying rules as
 * {@link RedisTranscriptStore}: activities come back oldest first, as copies, 20 a page.
 */
export class MemoryTranscriptStore implements BatchTranscriptStore {
  private readonly channels = new Map<string, Map<string, Transcript>>();

  async logActivity(activity: Activity): Promise<void> {
    const { channelId, conversationId } = requireLoggable(activity);
    const at = timestampOf(activity);
    const json = toJson(conversationId, { ...activity, timestamp: new Date(at) });
    const conversations = this.channels.get(channelId) ?? new Map<string, Transcript>();
    this.channels.set(channelId, conversations);
    const transcript = conversations.get(conversationId) ?? { created: at, entries: [], ids: new Set() };
    conversations.set(conversationId, transcript);
    const id = loggedId(activity);
    if (id !== '' && transcript.ids.has(id)) return;
    if (id !== '') transcript.ids.add(id);
    // Keep time order even when an activity arrives late: insert after every entry not newer than it.
    let index = transcript.entries.length;
    while (index > 0 && (transcript.entries[index - 1]?.at ?? 0) > at) index--;
    transcript.entries.splice(index, 0, { at, json });
  }

  async logActivities(activities: Activity[]): Promise<void> {
    for (const activity of activities) requireLoggable(activity);
    for (const activity of activities) await this.logActivity(activity);
  }

  async getTranscriptActivities(
    channelId: string,
    conversationId: string,
    continuationToken?: string,
    startDate?: Date,
  ): Promise<PagedResult<Activity>> {
    const offset = decodeToken(continuationToken);
    const entries = this.channels.get(channelId)?.get(conversationId)?.entries ?? [];
    const from = startDate?.getTime() ?? Number.NEGATIVE_INFINITY;
    const selected = entries
      .filter((entry) => entry.at >= from)
      .slice(offset, offset + TRANSCRIPT_PAGE_SIZE + 1);
    return page(
      selected.map((entry) => reviveActivity(entry.json)),
      offset,
    );
  }

  async listTranscripts(channelId: string, continuationToken?: string): Promise<PagedResult<TranscriptInfo>> {
    const offset = decodeToken(continuationToken);
    const all = [...(this.channels.get(channelId) ?? new Map<string, Transcript>()).entries()]
      .sort(([, a], [, b]) => a.created - b.created)
      .slice(offset, offset + TRANSCRIPT_PAGE_SIZE + 1)
      .map(([id, transcript]) => ({ channelId, id, created: new Date(transcript.created) }));
    return page(all, offset);
  }

  async deleteTranscript(channelId: string, conversationId: string): Promise<void> {
    this.channels.get(channelId)?.delete(conversationId);
  }
}
