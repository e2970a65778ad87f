// Two real workbench windows on one machine, as a person has them: both use
// the same port, so the second window attaches to the inspector process the
// first one started and shows its traces, and a trace sent afterwards appears
// in both trees live. Then a real "Developer: Reload Window": the window's
// extension host restarts, attaches again, and every trace is still there,
// because the process outlived the reload. Runs last (file order): it moves
// the workspace to a fixed port.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { freePort } from '../../../src/extension/inspectorProcess';
import { sendTrace } from '../../support/processes';
import { closeQuickInput, runCommand, screenshot, workbench } from './workbench';

/** The workspace folder the workbench has open (its URL's `folder`). */
function workspaceFolder(page: Page): string {
  const folder = new URL(page.url()).searchParams.get('folder');
  assert.ok(folder, `no folder in ${page.url()}`);
  return folder;
}

/** Sets the workspace's `respanInspector.httpPort`, as a person editing its settings.json would. */
function setWorkspacePort(folder: string, port: number): void {
  const file = join(folder, '.vscode', 'settings.json');
  const text = readFileSync(file, 'utf8');
  const next = text.replace(/("respanInspector\.httpPort":\s*)\d+/, `$1${port}`);
  assert.notEqual(next, text, 'the fixture names the port');
  writeFileSync(file, next);
}

function statusItem(page: Page, port: number): Locator {
  return page.locator('.statusbar-item', { hasText: new RegExp(`Respan :${port} · \\d+ spans?`) });
}

/** The Traces view of `page`, opened from the activity bar when it is not showing. */
async function tracesView(page: Page): Promise<Locator> {
  const view = page.locator('[id="workbench.view.extension.respanInspector"]');
  if (!(await view.isVisible())) await page.locator('.part.activitybar .action-item a[aria-label^="Respan"]').first().click();
  await view.waitFor({ state: 'visible', timeout: 20_000 });
  return view;
}

function treeRow(view: Locator, page: Page, label: string): Locator {
  return view.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
}

/** Opens a second workbench window on the same folder, with the extension loaded the same way. */
async function openSecondWindow(first: Page): Promise<Page> {
  const page = await first.context().newPage();
  await page.goto(first.url());
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

describe('Two windows, one inspector process', function () {
  this.timeout(180_000);
  let port: number;
  let second: Page | undefined;

  before(async () => {
    await closeQuickInput();
    port = (await freePort('127.0.0.1'))!;
    setWorkspacePort(workspaceFolder(workbench()), port);
    // The window moves to an inspector on the new port.
    await statusItem(workbench(), port).waitFor({ state: 'visible', timeout: 60_000 });
  });

  after(async () => {
    await second?.close().catch(() => undefined);
  });

  it('a second window attaches to the same process and shows its traces, and a new trace appears in both live', async () => {
    const first = workbench();
    await sendTrace(`http://127.0.0.1:${port}`, 'before_second_window');
    const firstView = await tracesView(first);
    await treeRow(firstView, first, 'before_second_window-root').waitFor({ state: 'visible', timeout: 30_000 });

    second = await openSecondWindow(first);
    await statusItem(second, port).waitFor({ state: 'visible', timeout: 60_000 });
    const secondView = await tracesView(second);
    // Sent before this window existed: it can only come from the shared process.
    await treeRow(secondView, second, 'before_second_window-root').waitFor({ state: 'visible', timeout: 30_000 });

    await sendTrace(`http://127.0.0.1:${port}`, 'seen_by_both_windows');
    await treeRow(secondView, second, 'seen_by_both_windows-root').waitFor({ state: 'visible', timeout: 30_000 });
    await treeRow(firstView, first, 'seen_by_both_windows-root').waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot('ui-second-window', second);
    // Both windows count the spans of the one process.
    for (const page of [first, second]) await page.locator('.statusbar-item', { hasText: `Respan :${port} · 2 spans` }).waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('a real window reload keeps every trace: the process outlived the reload', async () => {
    await second?.close();
    second = undefined;
    const page = workbench();
    await runCommand('Developer: Reload Window');
    await page.waitForLoadState('domcontentloaded');
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    await statusItem(page, port).waitFor({ state: 'visible', timeout: 60_000 });
    const view = await tracesView(page);
    for (const name of ['before_second_window-root', 'seen_by_both_windows-root']) await treeRow(view, page, name).waitFor({ state: 'visible', timeout: 30_000 });
    await page.locator('.statusbar-item', { hasText: `Respan :${port} · 2 spans` }).waitFor({ state: 'visible', timeout: 30_000 });
    // The panel the reload restored lists the kept traces too (it offers to open one).
    await page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame').getByText('Select a trace to see its spans.').waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot('ui-reloaded-window-keeps-traces');
  });
});
