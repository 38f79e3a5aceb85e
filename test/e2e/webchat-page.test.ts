import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';
import { launchChromium } from '../support/browser.js';

const SCREENSHOTS = 'test-output/screenshots';

describe('the storefront page with Microsoft Web Chat', () => {
  let relevo: Relevo;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    relevo = await createRelevo({
      config: loadConfig({ PORT: '0', HOST: '127.0.0.1' }),
      logger: silentLogger,
    });
    base = `http://127.0.0.1:${(await relevo.listen()).port}`;
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await relevo?.close();
  });

  it('walks a customer through an order-status conversation in English', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(base);
    const chat = page.getByTestId('webchat');
    await expect
      .poll(() => chat.getByText('virtual assistant').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);

    const sendBox = chat.getByRole('textbox');
    await sendBox.fill('Where is my order?');
    await sendBox.press('Enter');
    await expect
      .poll(() => chat.getByText('your order number? It looks like ORD-123456').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await sendBox.fill('ORD-100002');
    await sendBox.press('Enter');
    await expect
      .poll(() => chat.getByText('has shipped with Correos Express, tracking number CE123456789ES').count(), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
    await expect
      .poll(() => chat.getByText('Anything else I can help with?').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOTS}/webchat-order-status-en.png` });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('switches the page and the agent to Spanish', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(base);
    await page.getByTestId('lang-es').click();
    await expect.poll(() => page.getByText('Habla con nosotros').count()).toBe(1);
    const chat = page.getByTestId('webchat');
    const sendBox = chat.getByRole('textbox');
    await sendBox.fill('Hola');
    await sendBox.press('Enter');
    await expect
      .poll(() => chat.getByText('asistente virtual').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: `${SCREENSHOTS}/webchat-es.png` });
    await page.close();
  });

  it('keeps the conversation of a tab across a reload', async () => {
    const page = await browser.newPage();
    await page.goto(base);
    const chat = page.getByTestId('webchat');
    const sendBox = chat.getByRole('textbox');
    await expect
      .poll(() => chat.getByText('virtual assistant').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await sendBox.fill('remember me');
    await sendBox.press('Enter');
    await expect.poll(() => chat.getByText('remember me').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.reload();
    await expect
      .poll(() => page.getByTestId('webchat').getByText('remember me').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await page.close();
  });
});
