import type { Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { StorageErrorCode } from '../../storage/errors.js';
import type { BatchTranscriptStore } from '../../storage/types.js';

function message(conversationId: string, i: number, at: number, channelId = 'test'): Activity {
  return {
    type: 'message',
    id: `a${i}`,
    text: `message ${i}`,
    channelId,
    conversation: { id: conversationId },
    from: { id: 'user', name: 'User' },
    recipient: { id: 'bot' },
    timestamp: new Date(at),
  } as Activity;
}

/** The botbuilder `TranscriptStore` contract, run against every implementation. */
export function transcriptContract(name: string, create: () => Promise<BatchTranscriptStore>): void {
  describe(`${name} transcript store`, () => {
    it('returns an empty page for a conversation it has never seen', async () => {
      const store = await create();
      expect(await store.getTranscriptActivities('test', 'nobody')).toEqual({
        items: [],
        continuationToken: '',
      });
    });

    it('pages through 45 activities oldest first, 20 a page, with continuation tokens', async () => {
      const store = await create();
      const base = Date.UTC(2026, 0, 1);
      for (let i = 0; i < 45; i++) await store.logActivity(message('conv', i, base + i * 1000));
      const texts: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const result = await store.getTranscriptActivities('test', 'conv', token);
        texts.push(...result.items.map((a) => a.text ?? ''));
        token = result.continuationToken || undefined;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(texts).toEqual(Array.from({ length: 45 }, (_, i) => `message ${i}`));
    });

    it('keeps logging order for activities with the same timestamp, and time order for late ones', async () => {
      const store = await create();
      const at = Date.UTC(2026, 0, 1);
      await store.logActivity(message('same', 1, at));
      await store.logActivity(message('same', 2, at));
      await store.logActivity(message('same', 0, at - 5000));
      const { items } = await store.getTranscriptActivities('test', 'same');
      expect(items.map((a) => a.id)).toEqual(['a0', 'a1', 'a2']);
    });

    it('keeps an activity logged again (a turn run again after a crash) once, even after a delete', async () => {
      const store = await create();
      const at = Date.UTC(2026, 0, 1);
      await store.logActivity(message('rerun', 1, at));
      await store.logActivity(message('rerun', 1, at + 1000));
      await store.logActivity(message('rerun', 2, at + 2000));
      // The same id in another conversation is another activity.
      await store.logActivity(message('other', 1, at));
      expect((await store.getTranscriptActivities('test', 'rerun')).items.map((a) => a.id)).toEqual([
        'a1',
        'a2',
      ]);
      expect((await store.getTranscriptActivities('test', 'other')).items).toHaveLength(1);
      await store.deleteTranscript('test', 'rerun');
      await store.logActivity(message('rerun', 1, at));
      expect((await store.getTranscriptActivities('test', 'rerun')).items.map((a) => a.id)).toEqual(['a1']);
    });

    it('returns activities with their fields and Date timestamps intact', async () => {
      const store = await create();
      const original = {
        ...message('fields', 7, Date.UTC(2026, 1, 2, 3, 4, 5)),
        channelData: { x: ['ü', 1] },
      };
      await store.logActivity(original as Activity);
      const [read] = (await store.getTranscriptActivities('test', 'fields')).items;
      expect(read).toEqual(original);
      expect(read?.timestamp).toBeInstanceOf(Date);
    });

    it('filters by start date', async () => {
      const store = await create();
      const base = Date.UTC(2026, 0, 1);
      for (let i = 0; i < 5; i++) await store.logActivity(message('dated', i, base + i * 60_000));
      const { items } = await store.getTranscriptActivities(
        'test',
        'dated',
        undefined,
        new Date(base + 120_000),
      );
      expect(items.map((a) => a.id)).toEqual(['a2', 'a3', 'a4']);
    });

    it('lists the conversations of a channel with the time each started, paged', async () => {
      const store = await create();
      const base = Date.UTC(2026, 0, 1);
      for (let i = 0; i < 23; i++) {
        await store.logActivity(message(`listed-${i}`, 0, base + i, 'listing'));
        await store.logActivity(message(`listed-${i}`, 1, base + 100_000 + i, 'listing'));
      }
      await store.logActivity(message('elsewhere', 0, base, 'other'));
      const first = await store.listTranscripts('listing');
      expect(first.items).toHaveLength(20);
      expect(first.items[0]).toEqual({ channelId: 'listing', id: 'listed-0', created: new Date(base) });
      const second = await store.listTranscripts('listing', first.continuationToken);
      expect(second.items.map((t) => t.id)).toEqual(['listed-20', 'listed-21', 'listed-22']);
      expect(second.continuationToken).toBe('');
    });

    it('deletes one transcript and leaves the others', async () => {
      const store = await create();
      await store.logActivity(message('keep', 0, Date.UTC(2026, 0, 1), 'del'));
      await store.logActivity(message('drop', 0, Date.UTC(2026, 0, 1), 'del'));
      await store.deleteTranscript('del', 'drop');
      expect((await store.getTranscriptActivities('del', 'drop')).items).toEqual([]);
      expect((await store.getTranscriptActivities('del', 'keep')).items).toHaveLength(1);
      expect((await store.listTranscripts('del')).items.map((t) => t.id)).toEqual(['keep']);
    });

    it('logs a batch of activities of two conversations in order, after what was logged before', async () => {
      const store = await create();
      const at = Date.UTC(2026, 0, 1);
      await store.logActivity(message('batch-a', 0, at, 'batch'));
      await store.logActivities(
        [message('batch-a', 1, at), message('batch-b', 0, at + 5, 'batch'), message('batch-a', 2, at)].map(
          (activity) => ({ ...activity, channelId: 'batch' }) as Activity,
        ),
      );
      const a = await store.getTranscriptActivities('batch', 'batch-a');
      expect(a.items.map((activity) => activity.id)).toEqual(['a0', 'a1', 'a2']);
      expect((await store.getTranscriptActivities('batch', 'batch-b')).items.map((x) => x.id)).toEqual([
        'a0',
      ]);
      expect((await store.listTranscripts('batch')).items.map((t) => [t.id, t.created])).toEqual([
        ['batch-a', new Date(at)],
        ['batch-b', new Date(at + 5)],
      ]);
    });

    it('logs nothing of a batch that holds an activity without a conversation', async () => {
      const store = await create();
      await expect(
        store.logActivities([message('half', 0, Date.UTC(2026, 0, 1)), { type: 'message' } as Activity]),
      ).rejects.toSatisfy((error) => hasCode(error, StorageErrorCode.invalidArgument));
      expect((await store.getTranscriptActivities('test', 'half')).items).toEqual([]);
    });

    it('rejects activities without a conversation, and forged continuation tokens, with typed errors', async () => {
      const store = await create();
      await expect(store.logActivity({ type: 'message' } as Activity)).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.invalidArgument),
      );
      await expect(store.getTranscriptActivities('test', 'conv', 'not-a-token!')).rejects.toSatisfy((error) =>
        hasCode(error, StorageErrorCode.invalidArgument),
      );
    });
  });
}
