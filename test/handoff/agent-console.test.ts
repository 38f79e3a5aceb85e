import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { openDirectLine } from '../support/directline-client.js';
import { type HandoffServer, startHandoffServer } from '../support/handoff-server.js';

let server: HandoffServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [server, browser] = await Promise.all([startHandoffServer({ demoPage: true }), launchChromium()]);
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the agent console in Chromium', () => {
  it('refuses a WebSocket from a page that is not logged in', async () => {
    await page.goto(`${server.base}/agent`);
    await page.locator('#login').waitFor({ state: 'visible' });
    const refused = await page.evaluate(
      (url) =>
        new Promise<boolean>((resolve) => {
          const socket = new WebSocket(url);
          socket.onopen = () => resolve(false);
          socket.onerror = () => resolve(true);
        }),
      `${server.base.replace('http', 'ws')}/api/agent/stream`,
    );
    expect(refused).toBe(true);
  });

  it('shows an angry customer within a second, with reason and escaped transcript; the agent replies and resolves', async () => {
    await page.goto(`${server.base}/agent`);
    await page.fill('input[name=agentId]', 'ana');
    await page.fill('input[name=password]', 'ana-secret');
    await page.click('#login button[type=submit]');
    await page.locator('#desk').waitFor({ state: 'visible' });
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'relevo_agent')?.httpOnly).toBe(true);

    const customer = openDirectLine({ domain: server.domain, webSocket: true });
    try {
      await customer.say('hi <img src=x onerror="window.pwned=1"> there');
      await customer.waitFor((a) => a.type === 'message' && (a.text ?? '').startsWith('echo: hi <img'));
      const saidAt = Date.now();
      await customer.say('this is terrible service');
      const item = page.locator('#pending li').first();
      await item.waitFor({ state: 'visible', timeout: 1_000 });
      const latencyMs = Date.now() - saidAt;
      expect(latencyMs).toBeLessThan(1_000);
      await expect
        .poll(() => item.locator('.reason').textContent())
        .toContain('negative-sentiment (score=-0.9');

      await item.click();
      await page.locator('#transcript li').first().waitFor();
      const transcript = await page.locator('#transcript').textContent();
      expect(transcript).toContain('hi <img src=x onerror="window.pwned=1"> there');
      expect(transcript).toContain('sentiment -0.9 (negative)');
      expect(await page.locator('#transcript img').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator('#keys').textContent()).toMatch(/^webchat:/);

      await page.click('#accept');
      await page.locator('#reply').waitFor({ state: 'visible' });
      await page.selectOption('#canned', { index: 1 });
      await page.fill('#reply-text', 'Hello, this is Ana from the team.');
      await page.click('#reply button[type=submit]');
      await customer.waitFor((a) => a.type === 'message' && a.text === 'Hello, this is Ana from the team.');

      await customer.say('my order 123 never came');
      await expect
        .poll(() => page.locator('#transcript').textContent(), { timeout: 2_000 })
        .toContain('my order 123 never came');

      await page.fill('#note-text', 'Offer a refund');
      await page.click('#note button[type=submit]');
      await expect.poll(() => page.locator('#notes').textContent()).toContain('ana: Offer a refund');

      await page.click('#resolve');
      await customer.waitFor((a) => a.type === 'message' && /from 1 \(poor\) to 5/.test(a.text ?? ''));
      await customer.say('thank you');
      await customer.waitFor((a) => a.type === 'message' && a.text === 'echo: thank you');
      await page.screenshot({ path: 'test-output/handoff-console.png' });
    } finally {
      customer.end();
    }
  });

  it('hands a Microsoft Web Chat customer to the console and back to the bot', async () => {
    const customerPage = await browser.newPage();
    try {
      await customerPage.goto(server.base);
      const chat = customerPage.getByTestId('webchat');
      const sendBox = chat.getByRole('textbox');
      await sendBox.waitFor({ timeout: 15_000 });
      await sendBox.fill('this is the worst shop ever');
      await sendBox.press('Enter');
      await expect
        .poll(() => chat.getByText('person from our team').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);

      await page.reload();
      await page.locator('#desk').waitFor({ state: 'visible' });
      const item = page.locator('#pending li').first();
      await item.waitFor({ state: 'visible' });
      await item.click();
      await expect
        .poll(() => page.locator('#transcript').textContent())
        .toContain('this is the worst shop ever');
      await page.click('#accept');
      await page.locator('#reply').waitFor({ state: 'visible' });
      await page.fill('#reply-text', 'Ana here: I will sort this out.');
      await page.click('#reply button[type=submit]');
      await expect
        .poll(() => chat.getByText('Ana here: I will sort this out.').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);

      await page.click('#resolve');
      await expect
        .poll(() => chat.getByText('How would you rate the help you got').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);
      await sendBox.fill('hello bot');
      await sendBox.press('Enter');
      await expect
        .poll(() => chat.getByText('echo: hello bot').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);
      await customerPage.screenshot({ path: 'test-output/handoff-webchat.png' });
    } finally {
      await customerPage.close();
    }
  });
});
