import type { Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { collectTranscript } from '../../handoff/packet.js';
import { MemoryTranscriptStore } from '../../storage/memory-transcript-store.js';

function activity(channelId: string, conversationId: string, text: string, at: number): Activity {
  return {
    type: 'message',
    id: `${conversationId}-${at}`,
    channelId,
    conversation: { id: conversationId },
    from: { id: `${channelId}:ana` },
    recipient: { id: 'relevo' },
    text,
    timestamp: new Date(at),
  } as Activity;
}

describe('the handoff transcript', () => {
  it('merges every conversation of the member across channels, oldest first, across pages, redacted', async () => {
    const store = new MemoryTranscriptStore();
    const base = Date.UTC(2026, 0, 1);
    // Enough activities to need more than one page of the transcript store.
    for (let i = 0; i < 60; i++) {
      await store.logActivity(activity('webchat', 'w1', `web ${i}`, base + i * 2_000));
    }
    await store.logActivity(activity('email', 'e1', 'mail me at ana@example.com', base + 1_000));
    await store.logActivity(activity('slack', 's1', 'not hers', base + 3_000));

    const activities = await collectTranscript(store, [
      { channelId: 'email', conversationId: 'e1' },
      { channelId: 'webchat', conversationId: 'w1' },
      { channelId: 'webchat', conversationId: 'w1' },
    ]);
    expect(activities).toHaveLength(61);
    expect(activities.slice(0, 3).map((a) => a.text)).toEqual(['web 0', 'mail me at [email]', 'web 1']);
    expect(activities.at(-1)?.text).toBe('web 59');
  });
});
