import { describe, expect, it } from 'vitest';
import { localDay } from '../../gamification/calendar.js';

describe('localDay', () => {
  it("flips at the member's own midnight, also when asked seconds apart and in other zones meanwhile", () => {
    // 2026-11-02 23:59:30 in Madrid (UTC+1) is 22:59:30 UTC.
    const beforeMidnight = Date.UTC(2026, 10, 2, 22, 59, 30);
    expect(localDay(beforeMidnight, 'Europe/Madrid')).toBe('2026-11-02');
    expect(localDay(beforeMidnight + 20_000, 'Europe/Madrid')).toBe('2026-11-02');
    expect(localDay(beforeMidnight + 30_000, 'Europe/Madrid')).toBe('2026-11-03');
    expect(localDay(beforeMidnight + 30_000, 'America/New_York')).toBe('2026-11-02');
    expect(localDay(beforeMidnight + 30_000, 'Asia/Kathmandu')).toBe('2026-11-03');
    expect(localDay(beforeMidnight, 'Europe/Madrid')).toBe('2026-11-02');
    // Kathmandu is UTC+5:45: its midnight falls at 18:15 UTC.
    expect(localDay(Date.UTC(2026, 10, 2, 18, 14, 59), 'Asia/Kathmandu')).toBe('2026-11-02');
    expect(localDay(Date.UTC(2026, 10, 2, 18, 15, 0), 'Asia/Kathmandu')).toBe('2026-11-03');
  });
});
