import type { Activity, TranscriptStore } from 'botbuilder';
import type { MemberConversation } from './member-record.js';

/** One conversation of a member with its activities, as the transcript store kept them. */
export interface ConversationTranscript {
  channelId: string;
  conversationId: string;
  activities: Activity[];
}

/** Most activities read per conversation, so one endless conversation cannot exhaust memory. */
const MAX_ACTIVITIES_PER_CONVERSATION = 1_000;

/** Reads every page of each conversation's transcript (botbuilder's continuation tokens). */
export async function readTranscripts(
  store: TranscriptStore,
  conversations: readonly MemberConversation[],
): Promise<ConversationTranscript[]> {
  const result: ConversationTranscript[] = [];
  for (const { channelId, conversationId } of conversations) {
    const activities: Activity[] = [];
    let token: string | undefined;
    do {
      const page = await store.getTranscriptActivities(channelId, conversationId, token);
      activities.push(...page.items);
      token = page.continuationToken || undefined;
    } while (token && activities.length < MAX_ACTIVITIES_PER_CONVERSATION);
    result.push({ channelId, conversationId, activities });
  }
  return result;
}

/** All activities of all conversations in one timeline, oldest first (ties keep their order). */
export function timeline(transcripts: readonly ConversationTranscript[]): Activity[] {
  const all = transcripts.flatMap((t) => t.activities.map((activity, i) => ({ activity, i })));
  all.sort((a, b) => timeOf(a.activity) - timeOf(b.activity) || a.i - b.i);
  return all.map((each) => each.activity);
}

function timeOf(activity: Activity): number {
  const at = activity.timestamp ? new Date(activity.timestamp).getTime() : Number.NaN;
  return Number.isNaN(at) ? 0 : at;
}
