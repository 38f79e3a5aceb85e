import { describe, expect, it } from 'vitest';
import { type AgentPresence, type HandoffQueue, nextFor, type QueueEntry } from '../../handoff/queue.js';

const entry = (handoffId: string, enqueuedAt: number, more: Partial<QueueEntry> = {}): QueueEntry => ({
  handoffId,
  enqueuedAt,
  priority: 0,
  language: 'en',
  topic: '',
  ...more,
});

const agent = (agentId: string, more: Partial<AgentPresence> = {}): AgentPresence => ({
  agentId,
  languages: [],
  topics: [],
  maxChats: 2,
  ...more,
});

/** One suite every {@link HandoffQueue} passes: memory and Redis. */
export function handoffQueueContract(name: string, create: () => Promise<HandoffQueue>): void {
  describe(`handoff queue on ${name}`, () => {
    it('serves the longest waiting first when priorities are equal', async () => {
      const queue = await create();
      await queue.enqueue(entry('b', 2_000));
      await queue.enqueue(entry('a', 1_000));
      await queue.enqueue(entry('c', 3_000));
      expect((await queue.waiting()).map((each) => each.handoffId)).toEqual(['a', 'b', 'c']);
    });

    it('serves a higher tier first unless another has waited longer than the priority is worth', async () => {
      const queue = await create();
      await queue.enqueue(entry('guest-early', 0));
      await queue.enqueue(entry('guest-recent', 100_000));
      // Two points = two minutes of waiting with the default weighting.
      await queue.enqueue(entry('gold', 130_000, { priority: 2 }));
      expect((await queue.waiting()).map((each) => each.handoffId)).toEqual([
        'guest-early',
        'gold',
        'guest-recent',
      ]);
    });

    it('keeps the entry fields as they were enqueued', async () => {
      const queue = await create();
      const queued = entry('x', 5, { priority: 1.5, language: 'es', topic: 'orders' });
      await queue.enqueue(queued);
      expect(await queue.waiting()).toEqual([queued]);
    });

    it('gives a waiting conversation to exactly one of many concurrent claimers', async () => {
      const queue = await create();
      await queue.enqueue(entry('only', 1));
      const claims = await Promise.all(Array.from({ length: 10 }, () => queue.claim('only')));
      expect(claims.filter((claim) => claim !== undefined)).toHaveLength(1);
      expect(await queue.waiting()).toEqual([]);
    });

    it('routes by language and topic skills', async () => {
      const queue = await create();
      await queue.enqueue(entry('en-returns', 1, { topic: 'returns' }));
      await queue.enqueue(entry('es-orders', 2, { language: 'es', topic: 'orders' }));
      const spanishOrders = agent('ana', { languages: ['es'], topics: ['orders'] });
      const englishAny = agent('bob', { languages: ['en'] });
      const ordersOnly = agent('eve', { topics: ['orders'] });
      expect((await nextFor(queue, spanishOrders))?.handoffId).toBe('es-orders');
      expect((await nextFor(queue, englishAny))?.handoffId).toBe('en-returns');
      expect((await nextFor(queue, ordersOnly))?.handoffId).toBe('es-orders');
    });

    it('lists handoffs of a status with the most recent change first, each under one status', async () => {
      const queue = await create();
      await queue.setStatus('h1', 'pending', 10);
      await queue.setStatus('h2', 'pending', 30);
      await queue.setStatus('h3', 'pending', 20);
      await queue.setStatus('h1', 'active', 40);
      expect(await queue.listByStatus('pending', 10)).toEqual(['h2', 'h3']);
      expect(await queue.listByStatus('active', 10)).toEqual(['h1']);
      expect(await queue.listByStatus('pending', 1)).toEqual(['h2']);
      expect(await queue.listByStatus('resolved', 10)).toEqual([]);
    });

    it('shows agents online until their presence expires or they leave', async () => {
      const queue = await create();
      await queue.heartbeat(agent('ana', { languages: ['es'] }), 1_000);
      await queue.heartbeat(agent('bob'), 5_000);
      expect((await queue.onlineAgents(500)).map((each) => each.agentId)).toEqual(['ana', 'bob']);
      expect(await queue.onlineAgents(2_000)).toEqual([agent('bob')]);
      await queue.goOffline('bob');
      expect(await queue.onlineAgents(2_000)).toEqual([]);
    });

    it('never gives an agent more conversations than their capacity, even concurrently', async () => {
      const queue = await create();
      const results = await Promise.all(['h1', 'h2', 'h3', 'h4'].map((id) => queue.assign('ana', id, 2)));
      expect(results.filter(Boolean)).toHaveLength(2);
      expect(await queue.assignedTo('ana')).toHaveLength(2);
      const [held] = await queue.assignedTo('ana');
      expect(await queue.assign('ana', held ?? '', 2)).toBe(true);
      await queue.unassign('ana', held ?? '');
      expect(await queue.assign('ana', 'h9', 2)).toBe(true);
      expect(await queue.assignedTo('ana')).toContain('h9');
    });
  });
}
