import type { Activity, ResourceResponse, TurnContext } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { RelevoAdapter } from '../../../connectors/shared/relevo-adapter.js';
import type { InboundDelivery } from '../../../core/turn-state.js';
import { InboundQueue } from '../../../storage/inbound-queue.js';
import type { InboundEntry } from '../../../storage/inbound-queue-options.js';
import { MemoryIdempotencyStore } from '../../../storage/memory-idempotency.js';
import { MemoryInboundBackend } from '../../../storage/memory-inbound-backend.js';
import { MemoryLockManager } from '../../../storage/memory-lock.js';
import { abortReason } from '../../contract/inbound-queue-contract.js';

/** A platform that records what it was sent, through the adapter's once-per-turn send (a public post). */
class PostingAdapter extends RelevoAdapter {
  readonly posted: string[] = [];

  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    const sent: ResourceResponse[] = [];
    for (const activity of activities) {
      const id = await this.sendOnce(
        context,
        async () => {
          this.posted.push(String(activity.text));
          return `post-${this.posted.length}`;
        },
        { atMostOnce: true },
      );
      sent.push({ id });
    }
    return sent;
  }
}

const delivery = (entry: InboundEntry): InboundDelivery => ({
  id: entry.id,
  attempt: entry.attempt,
  signal: entry.signal,
});

/** Customer message `m1` of conversation `c1` on the test channel. */
function customerMessage(text: string): Partial<Activity> {
  return {
    type: 'message',
    id: 'm1',
    text,
    channelId: 'test',
    conversation: { id: 'c1' } as Activity['conversation'],
    from: { id: 'test:user-1', name: 'Ana' },
    recipient: { id: 'relevo', name: 'Relevo' },
  };
}
describe('a queued turn cut short while it sends', () => {
  const started: InboundQueue[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((queue) => queue.stop()));
  });

  it('is not committed when a stage swallows the refused send, and the next process sends its reply', async () => {
    const store = new MemoryIdempotencyStore();
    const adapter = new PostingAdapter({ sentReplies: store });
    // As the handoff stage does around its policy: any error is logged and the turn goes on.
    adapter.use({
      onTurn: async (_context, next) => {
        await next().catch(() => undefined);
      },
    });
    const locks = new MemoryLockManager();
    const backend = new MemoryInboundBackend(undefined, undefined, locks);
    const queueOf = (logic: (context: TurnContext, entry: InboundEntry) => Promise<void>) => {
      const queue = new InboundQueue({
        backend,
        locks,
        visibilityMs: 300,
        pollMs: 20,
        maxAttempts: 1,
        handler: (entry) =>
          adapter.processActivity(entry.activity, (context) => logic(context, entry), delivery(entry)),
      });
      started.push(queue);
      queue.start();
      return queue;
    };
    const activity = customerMessage('I want a person');
    let cut = false;
    const first = queueOf(async (context, entry) => {
      cut = true;
      await abortReason(entry.signal);
      await context.sendActivity('An agent is joining the conversation.');
    });
    await first.enqueue('test:c1', 'm1', activity);
    const running = first.drain('test:c1');
    await expect.poll(() => cut, { timeout: 5_000, interval: 5 }).toBe(true);
    await first.stop();
    await expect(running).rejects.toMatchObject({ code: 'RELEVO_TURN_INCOMPLETE' });
    expect(adapter.posted).toEqual([]);

    queueOf(async (context) => {
      await context.sendActivity('An agent is joining the conversation.');
    });
    await expect
      .poll(() => adapter.posted, { timeout: 5_000 })
      .toEqual(['An agent is joining the conversation.']);
  });

  it('leaves no claim of a public post it refused, so its rerun posts without asking the platform', async () => {
    const store = new MemoryIdempotencyStore();
    const adapter = new PostingAdapter({ sentReplies: store });
    const stopping = new AbortController();
    stopping.abort(new Error('the queue is stopping'));
    const turn = adapter.processActivity(
      customerMessage('play'),
      async (context) => {
        await context.sendActivity('You are invited to the game.');
      },
      { id: 'm1', attempt: 1, signal: stopping.signal },
    );

    await expect(turn).rejects.toThrow('the queue is stopping');
    expect(adapter.posted).toEqual([]);
    // Unclaimed: a claim left behind would make the rerun look the post up, and not post on a failed look.
    expect(await store.claim('reply:test:m1:0:claim', 60_000)).toBe(true);
  });
});
