import { describe, expect, it } from 'vitest';
import { AnalyticsErrorCode, type OutcomeEvent } from '../../analytics/events.js';
import type { OutcomeEvents } from '../../analytics/outcome-events.js';
import { hasCode } from '../../core/errors.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

const started = (id: string, at: number, extra: Partial<OutcomeEvent> = {}): OutcomeEvent =>
  ({
    id,
    at,
    type: 'conversation.started',
    conversation: `c-${id}`,
    channel: 'webchat',
    ...extra,
  }) as OutcomeEvent;

/**
 * The outcome-event store contract, run against every implementation: append-only, idempotent by id,
 * windowed reads in time order, PII-free by construction. `create` returns a fresh, empty store.
 */
export function outcomeEventsContract(name: string, create: () => Promise<OutcomeEvents>): void {
  describe(`${name} outcome events`, () => {
    it('returns nothing for a window in which nothing happened', async () => {
      const events = await create();
      expect(await events.range(T0, T0 + DAY)).toEqual([]);
    });

    it('returns what was appended, field for field', async () => {
      const events = await create();
      const handoff: OutcomeEvent = {
        id: 'h1',
        at: T0,
        type: 'handoff.requested',
        conversation: 'c1',
        channel: 'slack',
        language: 'es',
        member: 'm_0123456789abcdef01234567',
        tier: 'gold',
        handoffId: 'b7f1c0de-1',
        reason: 'negative-sentiment',
        signals: { confidence: 0.42, sentiment: -0.9, trend: -0.5, fallbackStreak: 1 },
      };
      expect(await events.append(handoff)).toBe(true);
      expect(await events.range(T0, T0 + 1)).toEqual([handoff]);
    });

    it('stores an event recorded twice (a retry, another process) once', async () => {
      const events = await create();
      expect(await events.append(started('dup', T0))).toBe(true);
      expect(await events.append(started('dup', T0))).toBe(false);
      expect(await events.range(T0 - DAY, T0 + DAY)).toHaveLength(1);
    });

    it('stores a batch as appending each event would: once per id and day, a bad event refused alone', async () => {
      const events = await create();
      expect(await events.append(started('before', T0))).toBe(true);
      const outcomes = await events.appendAll?.([
        started('a', T0 + 1),
        started('before', T0),
        started('a', T0 + 1),
        started('bad', T0 + 2, { text: 'my card 4111 1111 1111 1111' } as Partial<OutcomeEvent>),
        started('next-day', T0 + DAY),
      ]);
      expect(
        outcomes?.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'refused')),
      ).toEqual([true, false, false, 'refused', true]);
      const rejected = outcomes?.[3];
      expect(
        rejected?.status === 'rejected' && hasCode(rejected.reason, AnalyticsErrorCode.invalidEvent),
      ).toBe(true);
      expect((await events.range(T0 - DAY, T0 + 2 * DAY)).map((event) => event.id)).toEqual([
        'before',
        'a',
        'next-day',
      ]);
    });

    it('returns a window from its start (inclusive) to its end (exclusive), oldest first, ties by id', async () => {
      const events = await create();
      for (const [id, at] of [
        ['e', T0 + 5],
        ['b', T0 + 1],
        ['a', T0],
        ['d', T0 + 1],
        ['c', T0 + 1],
        ['f', T0 + 10],
      ] as const) {
        await events.append(started(id, at));
      }
      const ids = (await events.range(T0, T0 + 10)).map((event) => event.id);
      expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect((await events.range(T0 + 1, T0 + 2)).map((event) => event.id)).toEqual(['b', 'c', 'd']);
      expect(await events.range(T0 + 2, T0 + 2)).toEqual([]);
      expect(await events.range(T0 + 10, T0)).toEqual([]);
    });

    it('reads a window that spans many days, and only the days inside it', async () => {
      const events = await create();
      for (let day = 0; day < 10; day++) await events.append(started(`d${day}`, T0 + day * DAY));
      const ids = (await events.range(T0 + 2 * DAY, T0 + 5 * DAY)).map((event) => event.id);
      expect(ids).toEqual(['d2', 'd3', 'd4']);
      expect(await events.range(0, T0 + 100 * DAY)).toHaveLength(10);
    });

    it('reads more events than one page of a day', async () => {
      const events = await create();
      const count = 1_203;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          events.append(started(`p${String(i).padStart(5, '0')}`, T0 + i)),
        ),
      );
      const all = await events.range(T0, T0 + DAY);
      expect(all).toHaveLength(count);
      expect(all[0]?.id).toBe('p00000');
      expect(all[count - 1]?.id).toBe(`p${String(count - 1).padStart(5, '0')}`);
    });

    it('refuses free text: an unknown field, a sentence in a field, a score out of range', async () => {
      const events = await create();
      const bad = [
        { ...started('t1', T0), text: 'my email is ana@example.com' },
        { ...started('t2', T0), tier: 'gold member Ana García' },
        { id: 't3', at: T0, type: 'csat.answered', score: 6 },
        { id: 't4', at: T0, type: 'something.else' },
      ];
      for (const event of bad) {
        await expect(events.append(event as OutcomeEvent)).rejects.toSatisfy((error) =>
          hasCode(error, AnalyticsErrorCode.invalidEvent),
        );
      }
      expect(await events.range(0, T0 + DAY)).toEqual([]);
    });

    it('keeps what it returned unchanged when the caller mutates it', async () => {
      const events = await create();
      await events.append(started('m1', T0));
      const [first] = await events.range(T0, T0 + 1);
      (first as { channel?: string }).channel = 'x';
      expect((await events.range(T0, T0 + 1))[0]?.channel).toBe('webchat');
    });
  });
}
