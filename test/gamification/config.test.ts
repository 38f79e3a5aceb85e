import { describe, expect, it } from 'vitest';
import { hasCode } from '../../core/errors.js';
import { isoWeek, localDay, previousDay } from '../../gamification/calendar.js';
import {
  GamificationConfigErrorCode,
  loadGamificationConfig,
  parseGamificationConfig,
} from '../../gamification/config/schema.js';

describe('loyalty configuration', () => {
  it('loads the shipped file with its rules, tiers, badges and rewards', () => {
    const config = loadGamificationConfig();
    expect(config.rules.map((rule) => rule.id)).toContain('first-contact-of-day');
    expect(config.tiers.map((tier) => tier.id)).toEqual(['bronze', 'silver', 'gold']);
    expect(config.rules.find((rule) => rule.id === 'csat-answered')?.once).toBe('event');
  });

  it('names every problem of a bad file with its path in one error', () => {
    let thrown: unknown;
    try {
      parseGamificationConfig({
        timeZone: 'Mars/Olympus',
        rules: [
          { id: 'a', event: 'csat.answered', points: -5 },
          {
            id: 'a',
            event: 'nodots',
            points: 5,
            validFrom: '2027-01-01T00:00:00Z',
            validUntil: '2026-01-01T00:00:00Z',
          },
        ],
        tiers: [{ id: 'silver', minLifetimePoints: 100 }],
        surprise: true,
      });
    } catch (error) {
      thrown = error;
    }
    expect(hasCode(thrown, GamificationConfigErrorCode)).toBe(true);
    const problems = (thrown as { details: { problems: string[] } }).details.problems.join('\n');
    for (const path of ['timeZone', 'rules[0].points', 'rules[1].event', 'rules[1].validUntil', '(root)']) {
      expect(problems).toContain(`${path}:`);
    }
    expect(() =>
      parseGamificationConfig({
        rules: [
          { id: 'a', event: 'csat.answered', points: 5 },
          { id: 'a', event: 'csat.answered', points: 5 },
        ],
        tiers: [
          { id: 'bronze', minLifetimePoints: 0 },
          { id: 'silver', minLifetimePoints: 0 },
        ],
      }),
    ).toThrow(/rules\[1\]\.id: duplicate id "a"[\s\S]*tiers\[1\]\.minLifetimePoints/);
  });

  it('flips the day at the member’s own midnight and numbers ISO weeks across the new year', () => {
    const instant = Date.UTC(2026, 10, 22, 23, 30);
    expect(localDay(instant, 'UTC')).toBe('2026-11-22');
    expect(localDay(instant, 'Europe/Madrid')).toBe('2026-11-23');
    expect(localDay(instant, 'America/Mexico_City')).toBe('2026-11-22');
    expect(previousDay('2026-03-01')).toBe('2026-02-28');
    expect(isoWeek('2026-11-22')).toBe('2026-W47');
    expect(isoWeek('2027-01-01')).toBe('2026-W53');
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
  });
});
