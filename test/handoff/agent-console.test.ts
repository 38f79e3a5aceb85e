import type { Browser, Frame, Page, WebSocket } from 'playwright-core';
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

/** Opens the console page, logging Ana in unless the page is logged in already. */
async function openConsole(): Promise<void> {
  await page.goto(`${server.base}/agent`);
  const login = page.locator('#login');
  const desk = page.locator('#desk');
  // The page shows one of the two once it knows whether its session cookie is still good.
  await page.locator('#login:visible, #desk:visible').waitFor();
  if (await login.isVisible()) {
    await page.fill('input[name=agentId]', 'ana');
    await page.fill('input[name=password]', 'ana-secret');
    await page.click('#login button[type=submit]');
  }
  await desk.waitFor({ state: 'visible' });
}

/** The id of the waiting handoff of one conversation, once the handoff has started. */
async function pendingHandoffOf(conversationId: string): Promise<string> {
  const find = async () =>
    (await server.handoffs.list('pending')).find(
      (handoff) => handoff.conversation.conversationId === conversationId,
    )?.id;
  await expect.poll(find, { timeout: 10_000 }).toBeDefined();
  return (await find()) as string;
}

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

  it('pushes an angry customer into the open console live, with reason and escaped transcript; the agent replies and resolves', async () => {
    // What the page hears on its console stream.
    const streamed: { type: string; handoffId: string }[] = [];
    const onSocket = (socket: WebSocket) => {
      if (!socket.url().endsWith('/api/agent/stream')) return;
      socket.on('framereceived', ({ payload }) => {
        streamed.push(JSON.parse(String(payload)) as { type: string; handoffId: string });
      });
    };
    let navigations = 0;
    const onNavigated = (frame: Frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    };
    page.on('websocket', onSocket);
    // The page's timers run on a clock the test holds still once the console is open: a customer who
    // shows up then was pushed over the stream, not fetched by a poll.
    await page.clock.install();
    await openConsole();
    await page.clock.pauseAt(Date.now() + 1_000);
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === 'relevo_agent')?.httpOnly).toBe(true);
    // Set on this document: gone if the page reloads or navigates before the customer shows up.
    await page.evaluate(() => {
      (globalThis as { sameConsole?: boolean }).sameConsole = true;
    });
    page.on('framenavigated', onNavigated);

    const customer = openDirectLine({ domain: server.domain, webSocket: true });
    try {
      await customer.say('hi <img src=x onerror="window.pwned=1"> there');
      const echo = await customer.waitFor(
        (a) => a.type === 'message' && (a.text ?? '').startsWith('echo: hi <img'),
      );
      await customer.say('this is terrible service');
      const handoffId = await pendingHandoffOf(echo.conversation?.id ?? '');
      const item = page.locator(`#pending li[data-id="${handoffId}"]`);
      await item.waitFor({ state: 'visible' });
      // Pushed: the stream told the page, which is the same document as before the message.
      await expect
        .poll(() => streamed, { timeout: 10_000 })
        .toContainEqual({ type: 'handoff.requested', handoffId });
      expect(navigations).toBe(0);
      expect(await page.evaluate(() => (globalThis as { sameConsole?: boolean }).sameConsole)).toBe(true);
      await expect
        .poll(() => item.locator('.reason').textContent(), { timeout: 10_000 })
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
        .poll(() => page.locator('#transcript').textContent(), { timeout: 10_000 })
        .toContain('my order 123 never came');

      await page.fill('#note-text', 'Offer a refund');
      await page.click('#note button[type=submit]');
      await expect
        .poll(() => page.locator('#notes').textContent(), { timeout: 10_000 })
        .toContain('ana: Offer a refund');

      await page.click('#resolve');
      await customer.waitFor((a) => a.type === 'message' && /from 1 \(poor\) to 5/.test(a.text ?? ''));
      await customer.say('thank you');
      await customer.waitFor((a) => a.type === 'message' && a.text === 'echo: thank you');
      expect(navigations).toBe(0);
      await page.screenshot({ path: 'test-output/handoff-console.png' });
    } finally {
      customer.end();
      page.off('websocket', onSocket);
      page.off('framenavigated', onNavigated);
      await page.clock.resume();
    }
  });

  it('hands a Microsoft Web Chat customer to the console and back to the bot', async () => {
    const customerPage = await browser.newPage();
    try {
      const token = customerPage.waitForResponse((r) => new URL(r.url()).pathname === '/webchat/token');
      await customerPage.goto(server.base);
      const { conversationId } = (await (await token).json()) as { conversationId: string };
      const chat = customerPage.getByTestId('webchat');
      const sendBox = chat.getByRole('textbox');
      await sendBox.waitFor({ timeout: 15_000 });
      await sendBox.fill('this is the worst shop ever');
      await sendBox.press('Enter');
      await expect
        .poll(() => chat.getByText('person from our team').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);

      // A console opened after the customer asked lists them too.
      await openConsole();
      const handoffId = await pendingHandoffOf(conversationId);
      const item = page.locator(`#pending li[data-id="${handoffId}"]`);
      await item.waitFor({ state: 'visible' });
      await item.click();
      await expect
        .poll(() => page.locator('#transcript').textContent(), { timeout: 10_000 })
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
