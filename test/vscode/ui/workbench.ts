// The live workbench for UI tests. scripts/vscode-test.mjs opens code-server in
// Chromium, hands the page over with setWorkbench, then runs test/vscode/ui/*.test.ts
// in its own process; the tests reach the page through workbench().
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

let current: Page | undefined;
let screenshotDir = join(process.cwd(), 'test-results', 'screenshots');

/** Called by the harness: the page the UI tests drive, and where screenshots go. */
export function setWorkbench(page: Page | undefined, directory: string): void {
  current = page;
  screenshotDir = directory;
}

/** The Playwright page showing the VS Code workbench with the extension loaded. */
export function workbench(): Page {
  if (current === undefined) throw new Error('No workbench: UI tests run only under scripts/vscode-test.mjs');
  return current;
}

/** Saves a screenshot of the whole workbench (or of another window's `page`) as `<name>.png` and returns its path. */
export async function screenshot(name: string, page: Page = workbench()): Promise<string> {
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Closes any open quick input (command palette, quick pick) and waits until it is gone. */
export async function closeQuickInput(): Promise<void> {
  const page = workbench();
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible()) await page.keyboard.press('Escape');
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Opens a fresh command palette and returns its input box. */
export async function openCommandPalette(): Promise<Locator> {
  const page = workbench();
  await closeQuickInput();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  return input;
}

/**
 * Types `label` into the command palette and returns its row once listed.
 * Retries because contributed commands appear only after the extension host has
 * registered the extension, and an open palette does not pick them up.
 */
export async function findCommand(label: string, attempts = 5): Promise<Locator> {
  const page = workbench();
  for (let attempt = 1; ; attempt += 1) {
    const input = await openCommandPalette();
    await input.fill(`>${label}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      return row;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}

/** Runs a command by its palette label (`Category: Title`), as a person would. */
export async function runCommand(label: string): Promise<void> {
  const row = await findCommand(label);
  await row.click();
  await workbench().locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
}

/**
 * Opens the notification center and returns its messages. With the smoke-test
 * driver on (which loading an extension through the URL needs) the workbench
 * never shows toasts, so the center is where notifications become visible.
 */
export async function showNotifications(): Promise<Locator> {
  const page = workbench();
  const center = page.locator('.notifications-center');
  if (!(await center.isVisible())) await runCommand('Notifications: Show Notifications');
  await center.waitFor({ state: 'visible', timeout: 10_000 });
  return center.locator('.notification-list-item-message');
}
