import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inkOf, launchChromium } from '../support/browser.js';
import { ENGLISH, OVERALL, SLACK, SPANISH, sentimentOf, WEBCHAT } from './demo-expected.js';
import { type DemoAgent, DAY, MINUTE, startDemoAgent } from './demo-session.js';

let demo: DemoAgent;
let browser: Browser | undefined;
/** The demo's two days, as the dashboard's date fields select them. */
const twoDays = () => `from=${demo.day}&to=${demo.day + 2 * DAY}`;

beforeAll(async () => {
  demo = await startDemoAgent(inject('redisUrl'));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** The desk's pending handoff of a customer, once it is there. */
async function pendingHandoff(identityKey: string): Promise<string> {
  type Listed = { id: string; identityKeys: string[] };
  let found: Listed | undefined;
  await expect
    .poll(async () => {
      const { handoffs } = (await (await demo.desk('/api/handoffs?status=pending', 'ana')).json()) as {
        handoffs: Listed[];
      };
      found = handoffs.find((h) => h.identityKeys.includes(identityKey));
      return found !== undefined;
    })
    .toBe(true);
  return (found as Listed).id;
}

async function memberId(identityKey: string): Promise<string> {
  const response = await demo.api(`/api/members/by-key/${encodeURIComponent(identityKey)}`);
  return ((await response.json()) as { id: string }).id;
}

/** The admin API's write, sent twice as a client retrying after a lost answer would. */
async function twice(path: string, key: string, body: unknown): Promise<{ entry: { id: string } }> {
  const first = await demo.api(path, {
    method: 'POST',
    headers: { 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  expect(first.status).toBe(201);
  const again = await demo.api(path, {
    method: 'POST',
    headers: { 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  expect(again.status).toBe(200);
  return (await first.json()) as { entry: { id: string } };
}

describe('a demo session across web chat and Slack, as the KPIs report it', () => {
  it('plays the session: contained, handed off, surveyed, a repeat contact, points moved', async () => {
    // Day 1, 09:00. Web chat in English: order status, resolved by the bot, CSAT 5, NPS 9.
    const w1 = await demo.webchat('en-US');
    for (const [minute, text] of [
      [0, 'Hi'],
      [1, 'Where is my order?'],
      [2, 'ORD-100002'],
      [3, 'no thanks'],
      [4, '5'],
      [5, '9'],
    ] as const) {
      demo.at(minute);
      await w1.say(text);
    }
    expect(await w1.replies()).toContain('Thank you, that helps us a lot.');

    // Web chat in Spanish: the same, CSAT 4, NPS 8.
    const w2 = await demo.webchat('es-ES');
    for (const [minute, text] of [
      [10, 'Hola'],
      [11, '¿Dónde está mi pedido?'],
      [12, 'ORD-100002'],
      [13, 'gracias'],
      [14, '4'],
      [15, '8'],
    ] as const) {
      demo.at(minute);
      await w2.say(text);
    }
    expect(await w2.replies()).toContain('Gracias, nos ayuda mucho.');

    // Web chat: a customer asks for a person; Ana accepts after 2 minutes and resolves 6 minutes later.
    const w3 = await demo.webchat('en-US');
    demo.at(20);
    await w3.say('Hi');
    demo.at(21);
    await w3.say('Talk to a person');
    const explicit = await pendingHandoff(w3.identityKey);
    demo.at(23);
    expect((await demo.desk(`/api/handoffs/${explicit}/accept`, 'ana', { method: 'POST' })).status).toBe(200);
    demo.at(24);
    const message = { method: 'POST', body: JSON.stringify({ text: 'Hi, Ana here. Let me check that.' }) };
    expect((await demo.desk(`/api/handoffs/${explicit}/messages`, 'ana', message)).status).toBe(201);
    demo.at(25);
    await w3.say('thanks', { toBot: false });
    demo.at(29);
    expect((await demo.desk(`/api/handoffs/${explicit}/resolve`, 'ana', { method: 'POST' })).status).toBe(
      200,
    );
    await expect.poll(() => w3.replies()).toContain('How would you rate this conversation?');
    demo.at(30);
    await w3.say('2');
    demo.at(31);
    await w3.say('6');

    // Slack, Uma: order tracking resolved by the bot, CSAT 3, NPS 10.
    const uma = demo.slackDm('U0UMA');
    for (const [minute, text] of [
      [40, 'Where is my order?'],
      [41, 'ORD-100001'],
      [42, 'no thanks'],
      [43, '3'],
      [44, '10'],
    ] as const) {
      demo.at(minute);
      await uma.say(text);
    }

    // Slack, Carl: angry; the handoff waits 4 minutes and ends before anyone took it.
    const carl = demo.slackDm('U0CARL');
    demo.at(49);
    await carl.say('Hi');
    demo.at(50);
    await carl.say('my package never arrived and nobody answers, this is terrible service');
    const angry = await pendingHandoff(carl.identityKey);
    demo.at(54);
    const failed = await demo.api(`/api/handoffs/${angry}/status`, {
      method: 'POST',
      body: JSON.stringify({ state: 'failed' }),
    });
    expect(failed.status).toBe(200);

    // Loyalty desk, 10:00: goodwill for the first customer, a redemption, a manual debit, a mistaken
    // credit reversed, and a one-day promotion that will expire. Every request is sent twice.
    const member = await memberId(w1.identityKey);
    const points = `/api/members/${member}/points`;
    demo.at(60);
    await twice(points, 'goodwill-1', { delta: 300, reason: 'goodwill gesture' });
    await twice(`/api/members/${member}/redemptions`, 'redeem-1', { rewardId: 'free-shipping' });
    await twice(points, 'fix-1', { delta: -15, reason: 'manual fix' });
    const mistaken = await twice(points, 'mistake-1', { delta: 40, reason: 'typo' });
    await twice(`${points}/reversals`, 'undo-1', { entryId: mistaken.entry.id, reason: 'typo' });
    await twice(points, 'promo-1', { delta: 50, reason: 'one-day promotion', validForDays: 1 });

    // Day 2, 09:00: Uma is back on Slack about her order (a repeat contact), with one message the bot
    // cannot make sense of; the loyalty desk looks at the first customer's points (the promotion expired).
    demo.at(DAY / MINUTE);
    await uma.say('Where is my order?');
    demo.at(DAY / MINUTE + 1);
    await uma.say('ORD-100001');
    demo.at(DAY / MINUTE + 2);
    await uma.say('blorp fizzle wump');
    demo.at(DAY / MINUTE + 120);
    for (let i = 0; i < 2; i++) {
      const profile = (await (await demo.api(points)).json()) as { points: number };
      expect(profile.points).toBe(25 + 300 - 200 - 15);
    }
  }, 120_000);

  it('reports every KPI of the session in /api/kpis, overall, per channel and per language', async () => {
    const kpis = (await (await demo.api(`/api/kpis?${twoDays()}`)).json()) as Record<string, unknown>;
    // Six conversations: W1, W2, W3 on web chat; Uma's two and Carl's on Slack. W3 (explicit request)
    // and Carl (negative sentiment) reached a person; the other four stayed with the bot.
    expect(kpis).toMatchObject({
      ...OVERALL,
      byChannel: { webchat: WEBCHAT, slack: SLACK },
      byLanguage: { en: ENGLISH, es: SPANISH },
    });
    expect(Object.keys(kpis.byChannel as object)).toEqual(['slack', 'webchat']);
    expect(Object.keys(kpis.byLanguage as object)).toEqual(['en', 'es']);
    const sentiment = kpis.sentiment as { turns: number; mean: number; trendPerDay: number };
    const expected = sentimentOf(demo.recognizer, demo.botTurns);
    expect(sentiment.turns).toBe(26);
    expect(sentiment.mean).toBeCloseTo(expected.mean, 9);
    expect(sentiment.trendPerDay).toBeCloseTo(expected.trendPerDay, 6);
    expect((kpis.live as { queueLength: number }).queueLength).toBe(0);
  });

  it('exports the same figures as CSV, one row per segment', async () => {
    const response = await demo.api(`/api/kpis?${twoDays()}&format=csv`);
    const [header, ...rows] = (await response.text())
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(','));
    const row = (segment: string) => {
      const cells = rows.find((r) => r[0] === segment) as string[];
      return (column: string) => cells[(header as string[]).indexOf(column)];
    };
    expect(rows.map((r) => r[0])).toEqual([
      'all',
      'channel:slack',
      'channel:webchat',
      'language:en',
      'language:es',
    ]);
    const all = row('all');
    expect(
      [
        'conversations',
        'containment_rate',
        'escalation_rate',
        'escalation_rate:explicit-request',
        'escalation_rate:negative-sentiment',
        'csat_mean',
        'csat_4_5_share',
        'csat_bot_mean',
        'csat_human_mean',
        'nps',
        'fcr_rate',
        'aht_bot_seconds',
        'aht_human_seconds',
        'wait_p50_seconds',
        'wait_p90_seconds',
        'abandonment_rate',
        'not_understood_share',
        'points_issued',
        'points_debited',
        'points_redeemed',
        'points_expired',
      ].map(all),
    ).toEqual([
      '6',
      '0.6667',
      '0.3333',
      '0.1667',
      '0.1667',
      '3.5',
      '0.5',
      '4',
      '2',
      '25',
      '0.8333',
      '180',
      '360',
      '120',
      '120',
      '0.5',
      '0.0385',
      '500',
      '55',
      '200',
      '50',
    ]);
    expect(Number(all('sentiment_mean'))).toBeCloseTo(sentimentOf(demo.recognizer, demo.botTurns).mean, 4);
    const slack = row('channel:slack');
    expect(
      [
        'conversations',
        'escalation_rate:negative-sentiment',
        'escalation_rate:explicit-request',
        'aht_bot_seconds',
        'abandonment_rate',
      ].map(slack),
    ).toEqual(['3', '0.3333', '0', '140', '1']);
    expect(['conversations', 'csat_mean', 'nps', 'fcr_rate'].map(row('language:es'))).toEqual([
      '1',
      '4',
      '0',
      '1',
    ]);
  });

  it('shows a supervisor every KPI of the live session on /dashboard, with the charts drawn', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    await page.goto(`${demo.base}/agent`);
    await page.fill('input[name=agentId]', 'sam');
    await page.fill('input[name=password]', 'sam-secret');
    await page.click('#login button[type=submit]');
    await page.locator('#desk').waitFor({ state: 'visible' });

    const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await page.goto(`${demo.base}/dashboard?from=${date(demo.day)}&to=${date(demo.day + DAY)}`);
    await page.locator('body[data-state=ready]').waitFor({ timeout: 15_000 });
    const sentiment = sentimentOf(demo.recognizer, demo.botTurns);
    const mean = sentiment.mean.toFixed(2);
    const trend = sentiment.trendPerDay.toFixed(3);

    // Each card: its value, then its label.
    expect(await texts(page, '#cards .card', '.value, .label')).toEqual([
      '6 | Conversations',
      '66.7 % | Containment',
      '33.3 % | Escalation',
      '3.50 | CSAT',
      '50.0 % | CSAT 4–5',
      '4.00 / 2.00 | CSAT bot / human',
      '25 | NPS',
      '83.3 % | First-contact resolution',
      '180.0 s / 360.0 s | AHT bot / human',
      '120.0 s / 120.0 s | Wait p50 / p90',
      '50.0 % | Abandoned while waiting',
      '3.8 % | Not understood',
      `${mean} | Mean sentiment`,
      `${trend} | Sentiment trend / day`,
      '500 / 55 | Points issued / debited',
      '200 / 50 | Points redeemed / expired',
    ]);
    expect(await texts(page, '#reasons-table tbody tr', 'td')).toEqual([
      'explicit-request | 1 | 16.7 %',
      'negative-sentiment | 1 | 16.7 %',
    ]);
    // Segment, conversations, containment, escalation, CSAT, CSAT 4–5, CSAT bot, CSAT human, NPS, FCR,
    // AHT bot, AHT human, wait p50, wait p90, abandoned, not understood, sentiment, its trend, points
    // issued, debited, redeemed, expired. Sentiment is checked overall (the cards); segments skip it.
    const table = await texts(page, '#kpi-table tbody tr', 'td');
    expect(table[0]).toBe(
      `All | 6 | 66.7 % | 33.3 % | 3.50 | 50.0 % | 4.00 | 2.00 | 25 | 83.3 % | 180.0 s | 360.0 s | 120.0 s | 120.0 s | 50.0 % | 3.8 % | ${mean} | ${trend} | 500 | 55 | 200 | 50`,
    );
    const withoutSentiment = (row: string) =>
      row.replace(/ \| [^|]+ \| [^|]+( \| \d+ \| \d+ \| \d+ \| \d+)$/, '$1');
    expect(table.slice(1).map(withoutSentiment)).toEqual([
      'Channel: slack | 3 | 66.7 % | 33.3 % | 3.00 | 0.0 % | 3.00 | – | 100 | 66.7 % | 140.0 s | – | – | – | 100.0 % | 10.0 % | 35 | 0 | 0 | 0',
      'Channel: webchat | 3 | 66.7 % | 33.3 % | 3.67 | 66.7 % | 4.50 | 2.00 | 0 | 100.0 % | 220.0 s | 360.0 s | 120.0 s | 120.0 s | 0.0 % | 0.0 % | 75 | 0 | 0 | 0',
      'Language: en | 5 | 60.0 % | 40.0 % | 3.33 | 33.3 % | 4.00 | 2.00 | 33 | 80.0 % | 156.0 s | 360.0 s | 120.0 s | 120.0 s | 50.0 % | 5.0 % | 85 | 0 | 0 | 0',
      'Language: es | 1 | 100.0 % | 0.0 % | 4.00 | 100.0 % | 4.00 | – | 0 | 100.0 % | 300.0 s | – | – | – | – | 0.0 % | 25 | 0 | 0 | 0',
    ]);
    expect(await page.locator('#live').textContent()).toBe('Waiting now: 0');
    expect(await page.locator('#channel option').allTextContents()).toEqual([
      'All channels',
      'slack',
      'webchat',
    ]);

    expect(await page.locator('canvas').count()).toBe(5);
    for (let i = 0; i < 5; i++) expect(await inkOf(page, i)).toBeGreaterThan(0.005);
    await mkdir('test-output/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-output/screenshots/demo-session-dashboard.png', fullPage: true });

    // The channel filter narrows the table to Slack.
    await page.selectOption('#channel', 'slack');
    await page.click('#filters button[type=submit]');
    await expect
      .poll(async () => (await texts(page, '#kpi-table tbody tr', 'td'))[0]?.split(' | ')[1])
      .toBe('3');
  }, 60_000);
});

/**
 * The text of each element matching `selector`, made of its `parts` joined by " | ". The expression
 * runs in the page (there are no DOM types in this Node project).
 */
async function texts(page: Page, selector: string, parts: string): Promise<string[]> {
  const found = (await page.evaluate(
    `Array.from(document.querySelectorAll(${JSON.stringify(selector)}), (node) =>
      Array.from(node.querySelectorAll(${JSON.stringify(parts)}), (part) => part.textContent))`,
  )) as string[][];
  return found.map((cells) => cells.join(' | '));
}
