import { type Browser, chromium, type Page } from 'playwright-core';

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

/** Share of the pixels of the page's `index`-th canvas that are not transparent: 0 for a chart that never drew. */
export const inkOf = (page: Page, index: number): Promise<number> =>
  // A string runs in the page (no DOM types in this Node project).
  page.evaluate(`(() => {
    const canvas = document.querySelectorAll('canvas')[${index}];
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let drawn = 0;
    for (let p = 3; p < data.length; p += 4) if (data[p] > 0) drawn++;
    return drawn / (data.length / 4);
  })()`);
