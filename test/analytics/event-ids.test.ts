import { createHmac } from 'node:crypto';
import { MemoryStorage } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { AnalyticsService } from '../../analytics/analytics.js';
import { AnalyticsMetrics } from '../../analytics/metrics.js';
import { MemoryOutcomeEvents } from '../../analytics/outcome-events.js';
import { ConversationSessions } from '../../analytics/sessions.js';

describe('analytics ids', () => {
  it('names events and members by HMAC-SHA-256 under the deployment key, as every earlier version did', () => {
    const key = 'deployment-key-ñ€';
    const service = new AnalyticsService({
      events: new MemoryOutcomeEvents(),
      sessions: new ConversationSessions(new MemoryStorage()),
      metrics: new AnalyticsMetrics(),
      hashKey: key,
    });
    const hmac = (text: string) => createHmac('sha256', key).update(text);
    // A turn run again after an upgrade must name its events as its first run did, or they count twice.
    expect(service.eventId('webchat', 'conversation-1', 'activity-7', 'nlu')).toBe(
      hmac('webchat\u0000conversation-1\u0000activity-7\u0000nlu').digest('base64url').slice(0, 27),
    );
    expect(service.hashMember('member-42')).toBe(`m_${hmac('member-42').digest('hex').slice(0, 24)}`);
  });
});
