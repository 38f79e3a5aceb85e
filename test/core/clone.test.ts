import { describe, expect, it } from 'vitest';
import { cloneData } from '../../core/clone.js';

describe('cloneData', () => {
  it('gives a copy of a stored document that a turn can change without changing the original', () => {
    const original = {
      signals: { sentimentScores: [0.1, -0.2], lastConfidence: 0.9 },
      turns: [{ activityId: 'a|1', topIntent: 'order.status', entities: null }],
      activeHandoffId: null,
      eTag: '"abc"',
    };
    const copy = cloneData(original);
    expect(copy).toEqual(original);
    copy.signals.sentimentScores.push(1);
    (copy.turns[0] as { topIntent: string }).topIntent = 'changed';
    copy.eTag = '*';
    expect(original.signals.sentimentScores).toEqual([0.1, -0.2]);
    expect(original.turns[0]?.topIntent).toBe('order.status');
    expect(original.eTag).toBe('"abc"');
  });

  it('copies dates inside a document as dates, not as empty objects', () => {
    const order = { id: 'ORD-1', placedAt: new Date(Date.UTC(2026, 10, 2)), items: [{ name: 'Daypack' }] };
    const copy = cloneData(order);
    expect(copy.placedAt).toBeInstanceOf(Date);
    expect(copy.placedAt.getTime()).toBe(order.placedAt.getTime());
    copy.placedAt.setUTCFullYear(2000);
    expect(order.placedAt.getUTCFullYear()).toBe(2026);
  });

  it('keeps a "__proto__" key of parsed JSON as data instead of turning it into the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"isAdmin": true}, "name": "x"}') as Record<string, unknown>;
    const copy = cloneData(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { isAdmin?: boolean }).isAdmin).toBeUndefined();
    expect(Object.keys(copy)).toEqual(['__proto__', 'name']);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
  });
});
