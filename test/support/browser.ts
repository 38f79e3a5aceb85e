import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core, headless, with the flags this closed network needs
 * (no background connections that would be refused) — see STACK.md.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
