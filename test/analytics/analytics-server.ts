import { type Analytics, createAnalytics } from '../../analytics/index.js';
import { OpenApiRegistry } from '../../core/openapi.js';
import { createStores } from '../../storage/stores.js';
import { type HandoffServer, startHandoffServer, TEST_API_TOKEN } from '../support/handoff-server.js';
import { scriptedEvents } from './scenario.js';

export interface AnalyticsServer {
  server: HandoffServer;
  analytics: Analytics;
  openapi: OpenApiRegistry;
  close(): Promise<void>;
}

/**
 * The handoff test server (web chat, the agent desk and console with its real logins) with analytics
 * mounted beside it, seeded with the scripted week of tests/analytics/scenario.ts.
 */
export async function startAnalyticsServer(options: { redisUrl?: string; prefix?: string } = {}) {
  const stores = await createStores(options);
  let server: HandoffServer | undefined;
  const analytics = await createAnalytics({
    stores,
    processMetrics: false,
    queueLength: async () => (server ? (await server.handoffs.queue.waiting()).length : 0),
  });
  for (const event of scriptedEvents()) await analytics.events.append(event);
  const openapi = new OpenApiRegistry();
  server = await startHandoffServer({
    ...options,
    mount: (http, desk) =>
      analytics.mount(http, {
        openapi,
        apiToken: TEST_API_TOKEN,
        authenticate: (request) => desk.authenticate(request),
      }),
  });
  await analytics.watchHandoffs(server.handoffs);
  const started = server;
  return {
    server: started,
    analytics,
    openapi,
    close: async () => {
      await analytics.close();
      await started.close();
      await stores.close();
    },
  } satisfies AnalyticsServer;
}

/** Logs an agent in through the desk's own login; resolves with the session cookie. */
export async function loginCookie(base: string, agentId: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/agent/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, password }),
  });
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
}
