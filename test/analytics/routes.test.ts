import { TestAdapter } from 'botbuilder';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnStateKey } from '../../core/turn-state.js';
import { openDirectLine } from '../support/directline-client.js';
import { keywordNlu, TEST_API_TOKEN } from '../support/handoff-server.js';
import { type AnalyticsServer, loginCookie, startAnalyticsServer } from './analytics-server.js';
import { DAY, T0 } from './scenario.js';

/** A JSON response body, loosely typed for assertions. */
const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

let env: AnalyticsServer;
let base: string;
const week = `from=${T0}&to=${T0 + 7 * DAY}`;
const bearer = { authorization: `Bearer ${TEST_API_TOKEN}` };

beforeAll(async () => {
  env = await startAnalyticsServer();
  base = env.server.base;
});
afterAll(async () => {
  await env?.close();
});

describe('GET /api/kpis', () => {
  it('answers the KPIs of a window to the API token', async () => {
    const response = await fetch(`${base}/api/kpis?${week}`, { headers: bearer });
    expect(response.status).toBe(200);
    const kpis = (await response.json()) as Record<string, Record<string, unknown>>;
    expect(kpis).toMatchObject({
      from: T0,
      to: T0 + 7 * DAY,
      conversations: 10,
      containment: { contained: 7, rate: 0.7 },
      escalation: { escalated: 3, rate: 0.3 },
      firstContactResolution: { eligible: 10, resolved: 8, rate: 0.8 },
      nps: { score: 40 },
      live: { queueLength: 0 },
    });
    expect(Object.keys(kpis.byChannel as object)).toEqual(['slack', 'webchat']);
  });

  it('narrows to one channel and accepts ISO dates', async () => {
    const response = await fetch(`${base}/api/kpis?from=2026-11-02&to=2026-11-09&channel=slack`, {
      headers: bearer,
    });
    expect(await json(response)).toMatchObject({ channel: 'slack', conversations: 4 });
  });

  it('refuses callers without a token or a session, with a wrong token, and agents who are not supervisors', async () => {
    const none = await fetch(`${base}/api/kpis?${week}`);
    expect(none.status).toBe(401);
    const wrong = await fetch(`${base}/api/kpis?${week}`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).code).toBe('RELEVO_API_UNAUTHORIZED');
    const agent = await fetch(`${base}/api/kpis?${week}`, {
      headers: { cookie: await loginCookie(base, 'ana', 'ana-secret') },
    });
    expect(agent.status).toBe(403);
    expect((await json(agent)).code).toBe('RELEVO_ANALYTICS_FORBIDDEN');
  });

  it("lets a supervisor read them with the agent console's session", async () => {
    const response = await fetch(`${base}/api/kpis?${week}`, {
      headers: { cookie: await loginCookie(base, 'sam', 'sam-secret') },
    });
    expect(response.status).toBe(200);
    expect((await json(response)).conversations).toBe(10);
  });

  it('answers 400 with a code for a window that makes no sense', async () => {
    for (const query of [
      'from=yesterday',
      `from=${T0}&to=${T0}`,
      `from=0&to=${T0}`,
      `${week}&channel=a%20b`,
    ]) {
      const response = await fetch(`${base}/api/kpis?${query}`, { headers: bearer });
      expect(response.status).toBe(400);
      expect((await json(response)).code).toBe('RELEVO_ANALYTICS_INVALID_QUERY');
    }
  });

  it('exports the KPI table as CSV, one row per segment', async () => {
    const response = await fetch(`${base}/api/kpis?${week}&format=csv`, { headers: bearer });
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      'attachment; filename="relevo-kpis-2026-11-02-2026-11-09.csv"',
    );
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines.map((line) => line.split(',')[0])).toEqual([
      'segment',
      'all',
      'channel:slack',
      'channel:webchat',
      'language:en',
      'language:es',
    ]);
    const header = (lines[0] as string).split(',');
    const all = (lines[1] as string).split(',');
    const cell = (name: string) => all[header.indexOf(name)];
    expect(cell('conversations')).toBe('10');
    expect(cell('containment_rate')).toBe('0.7');
    expect(cell('csat_mean')).toBe('3.8');
    expect(cell('nps')).toBe('40');
    expect(cell('aht_bot_seconds')).toBe('301');
    expect(cell('wait_p90_seconds')).toBe('90');
    expect(cell('abandonment_rate')).toBe('0.3333');
  });

  it('is described in the OpenAPI document', () => {
    const paths = env.openapi.document('test').paths as Record<string, unknown>;
    expect(Object.keys(paths)).toEqual(['/api/kpis', '/dashboard', '/metrics']);
  });
});

describe('the handoff lifecycle as outcome events', () => {
  it('records the request with its reason, the wait until an agent took it, and the time they handled it', async () => {
    const from = Date.now() - 1_000;
    const customer = openDirectLine({ domain: env.server.domain, webSocket: false });
    try {
      await customer.say('this is terrible service');
      const handoffs = env.server.handoffs;
      await expect.poll(async () => (await handoffs.list('pending')).length, { timeout: 5_000 }).toBe(1);
      const [pending] = await handoffs.list('pending');
      const id = pending?.id as string;
      await handoffs.accept(id, 'ana', 2);
      await handoffs.resolve(id);
      const types = async () =>
        (await env.analytics.events.range(from, Date.now() + 1_000)).map((e) => e.type).sort();
      await expect
        .poll(types, { timeout: 5_000 })
        .toEqual(['agent.accepted', 'agent.resolved', 'handoff.requested']);
      const events = await env.analytics.events.range(from, Date.now() + 1_000);
      // Accepted and resolved may fall in one millisecond: find each by type.
      const of = (type: string) => events.find((event) => event.type === type);
      expect(of('handoff.requested')).toMatchObject({
        type: 'handoff.requested',
        channel: 'webchat',
        reason: 'negative-sentiment',
        signals: { sentiment: -0.9 },
        handoffId: id,
      });
      expect(of('agent.accepted')).toMatchObject({ type: 'agent.accepted', waitMs: expect.any(Number) });
      expect(JSON.stringify(events)).not.toContain('terrible');
    } finally {
      customer.end();
    }
  });
});

describe('GET /metrics', () => {
  it('parses as Prometheus text format with turns, latency, handoffs, queue length and NLU confidence', async () => {
    const adapter = new TestAdapter(async (context) => {
      await context.sendActivity('ok');
    });
    adapter.use(env.analytics.middleware);
    adapter.use({
      onTurn: async (context, next) => {
        context.turnState.set(TurnStateKey.nlu, keywordNlu(context.activity.text ?? ''));
        await next();
      },
    });
    await adapter.send('where is my order').assertReply('ok');
    await adapter.send('qwx').assertReply('ok');

    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await response.text());
    const family = (name: string) => families.find((f) => f.name === name);
    expect(family('relevo_turns_total')?.type).toBe('COUNTER');
    expect(family('relevo_turns_total')?.metrics).toEqual(
      expect.arrayContaining([
        { labels: { channel: 'test', outcome: 'recognized' }, value: '1' },
        { labels: { channel: 'test', outcome: 'not_understood' }, value: '1' },
      ]),
    );
    // parse-prometheus-text-format folds a histogram with labels into its buckets (labels, sum and
    // count are dropped); each histogram here has one label set, so the +Inf bucket is the count.
    const latency = family('relevo_turn_duration_seconds');
    expect(latency?.type).toBe('HISTOGRAM');
    expect(latency?.metrics[0]?.buckets?.['+Inf']).toBe('2');
    const confidence = family('relevo_nlu_confidence');
    expect(confidence?.type).toBe('HISTOGRAM');
    // 'where is my order' scores 0.9; 'qwx' is out of scope, its top intent (None) 0.8.
    expect(confidence?.metrics[0]?.buckets).toMatchObject({
      '0.1': '0',
      '0.2': '0',
      '0.8': '1',
      '0.9': '2',
      '+Inf': '2',
    });
    expect(family('relevo_handoffs_total')?.metrics).toEqual([
      { labels: { reason: 'negative-sentiment', channel: 'webchat' }, value: '1' },
    ]);
    expect(family('relevo_handoff_queue_length')).toMatchObject({ type: 'GAUGE', metrics: [{ value: '0' }] });
  });
});
