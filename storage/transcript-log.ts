import type { Activity, TranscriptStore } from 'botbuilder';
import type { BatchTranscriptStore } from './types.js';

/** Logs `activities` to `store` in order (all in one go when the store can), if there is a store. */
export async function logTranscript(
  store: TranscriptStore | undefined,
  activities: Activity[],
): Promise<void> {
  if (!store || activities.length === 0) return;
  if ('logActivities' in store) await (store as BatchTranscriptStore).logActivities(activities);
  else for (const activity of activities) await store.logActivity(activity);
}
