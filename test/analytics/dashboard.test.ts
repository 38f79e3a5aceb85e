import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inkOf, launchChromium } from '../support/browser.js';
import { type AnalyticsServer, startAnalyticsServer } from './analytics-server.js';

let env: AnalyticsServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [env, browser] = await Promise.all([startAnalyticsServer(), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
});
afterAll(async () => {
  await browser?.close();
  await env?.close();
});

describe('the KPI dashboard in Chromium', () => {
  it('sends a visitor who is not logged in to the agent console login', async () => {
    await page.goto(`${env.server.base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/agent');
    await page.locator('#login').waitFor({ state: 'visible' });
  });

  it('shows a supervisor the week in charts and in the KPI table, and saves a screenshot', async () => {
    await page.goto(`${env.server.base}/agent`);
    await page.fill('input[name=agentId]', 'sam');
    await page.fill('input[name=password]', 'sam-secret');
    await page.click('#login button[type=submit]');
    await page.locator('#desk').waitFor({ state: 'visible' });

    await page.goto(`${env.server.base}/dashboard?from=2026-11-02&to=2026-11-08`);
    await page.locator('body[data-state=ready]').waitFor({ timeout: 10_000 });
    expect(await page.locator('canvas').count()).toBe(5);
    for (let i = 0; i < 5; i++) expect(await inkOf(page, i)).toBeGreaterThan(0.005);

    const all = page.locator('#kpi-table tbody tr').first();
    const cells = await all.locator('td').allTextContents();
    expect(cells.slice(0, 10)).toEqual([
      'All',
      '10',
      '70.0 %',
      '30.0 %',
      '3.80',
      '60.0 %',
      '3.67',
      '4.00',
      '40',
      '80.0 %',
    ]);
    const segments = await page.locator('#kpi-table tbody tr td:first-child').allTextContents();
    expect(segments).toEqual(['All', 'Channel: slack', 'Channel: webchat', 'Language: en', 'Language: es']);
    expect(await page.locator('#channel option').allTextContents()).toEqual([
      'All channels',
      'slack',
      'webchat',
    ]);
    expect(await page.locator('#csv').getAttribute('href')).toContain('format=csv');

    await mkdir('test-output/screenshots', { recursive: true });
    await page.screenshot({ path: 'test-output/screenshots/analytics-dashboard.png', fullPage: true });
  });

  it('narrows every chart and the table to one channel', async () => {
    await page.selectOption('#channel', 'slack');
    await page.click('#filters button[type=submit]');
    await expect
      .poll(() => page.locator('#kpi-table tbody tr').first().locator('td').nth(1).textContent())
      .toBe('4');
    await page.locator('body[data-state=ready]').waitFor();
  });

  it('shows an agent who is not a supervisor no KPIs', async () => {
    const context = await browser.newContext();
    try {
      const agentPage = await context.newPage();
      await agentPage.goto(`${env.server.base}/agent`);
      await agentPage.fill('input[name=agentId]', 'ana');
      await agentPage.fill('input[name=password]', 'ana-secret');
      await agentPage.click('#login button[type=submit]');
      await agentPage.locator('#desk').waitFor({ state: 'visible' });
      const response = await agentPage.goto(`${env.server.base}/dashboard`);
      expect(response?.status()).toBe(403);
    } finally {
      await context.close();
    }
  });
});
