/**
 * Times, inside the page, when a given text first appears on screen: an init
 * script watches added DOM nodes and records `performance.now()` (ms since
 * the navigation started) at the first animation frame after a text node with
 * exactly that text is added. Measured in the page because a locator's wait
 * polls at growing intervals (up to half a second), which would hide the
 * difference being measured.
 */

import type { Page } from 'playwright-core';

/** Installs the watcher on `page` (before it navigates). */
export async function watchForText(page: Page, text: string): Promise<void> {
  // tsx compiles with keepNames, which wraps named functions in page callbacks in `__name(...)`.
  await page.addInitScript('globalThis.__name = (fn) => fn;');
  await page.addInitScript((wanted: string) => {
    const found = (node: Node): boolean => {
      if (node.nodeType === Node.TEXT_NODE) return node.nodeValue?.trim() === wanted;
      const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      for (let at = walker.nextNode(); at; at = walker.nextNode()) if (at.nodeValue?.trim() === wanted) return true;
      return false;
    };
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!found(node)) continue;
          observer.disconnect();
          requestAnimationFrame(() => ((globalThis as unknown as { __firstTextMs: number }).__firstTextMs = performance.now()));
          return;
        }
        if (record.type === 'characterData' && found(record.target)) {
          observer.disconnect();
          requestAnimationFrame(() => ((globalThis as unknown as { __firstTextMs: number }).__firstTextMs = performance.now()));
          return;
        }
      }
    });
    const begin = () => observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
    if (document.documentElement) begin();
    else document.addEventListener('readystatechange', begin, { once: true });
  }, text);
}

/** Waits until the watched text was shown; the ms from navigation start to the frame that showed it. */
export async function firstTextMs(page: Page, timeoutMs: number): Promise<number> {
  const handle = await page.waitForFunction(() => (globalThis as unknown as { __firstTextMs?: number }).__firstTextMs, undefined, { timeout: timeoutMs, polling: 100 });
  return (await handle.jsonValue()) as number;
}
