// Drives the real workbench as a person would: run the demo from the Traces
// view's welcome button, click the trace in the tree, see the inspector panel
// with the waterfall, click a span, jump to source from the panel, in the
// light and the dark theme. Screenshots go to test-results/screenshots.
import * as assert from 'node:assert/strict';
import type { FrameLocator, Locator } from 'playwright-core';
import { closeQuickInput, findCommand, runCommand, screenshot, workbench } from './workbench';

/** The Traces view container in the side bar. */
function tracesView(): Locator {
  return workbench().locator('[id="workbench.view.extension.respanInspector"]');
}

/** The inspector UI inside the panel's webview (VS Code nests the page in two iframes). */
function inspectorFrame(): FrameLocator {
  return workbench().frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** A row of the Traces tree by its label. */
function treeRow(label: string): Locator {
  return tracesView().locator('.monaco-list-row', { has: workbench().locator('.label-name', { hasText: label }) }).first();
}

async function switchTheme(theme: 'Dark Modern' | 'Light Modern'): Promise<void> {
  const page = workbench();
  // The command opens a second quick pick (the theme list) in the same widget.
  await (await findCommand('Preferences: Color Theme')).click();
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: /Modern/ }).first().waitFor({ state: 'visible' });
  await input.fill(theme);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await page.locator(`.monaco-workbench.${theme === 'Dark Modern' ? 'vs-dark' : 'vs'}`).waitFor({ state: 'attached', timeout: 10_000 });
}

describe('Traces view and inspector panel', () => {
  beforeEach(closeQuickInput);

  it('shows the listener in the status bar', async () => {
    const item = workbench().locator('.statusbar-item', { hasText: /Respan :\d+/ });
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await item.innerText(), /Respan :\d+ · \d+ spans?/);
  });

  it('runs the demo from the welcome view and lists its traces live', async () => {
    const page = workbench();
    await switchTheme('Light Modern');
    // Clicking the icon of the container already showing would close the side bar.
    if (!(await tracesView().isVisible())) await page.locator('.part.activitybar .action-item a[aria-label^="Respan"]').first().click();
    const run = tracesView().getByRole('button', { name: 'Run Demo Agent' });
    await run.waitFor({ state: 'visible', timeout: 20_000 });
    await screenshot('ui-traces-welcome-light');
    await run.click();
    await treeRow('joke_workflow.workflow').waitFor({ state: 'visible', timeout: 30_000 });
    // The demo sends three traces over a few seconds; wait for all of them.
    await page.waitForFunction(
      () => document.querySelectorAll('[id="workbench.view.extension.respanInspector"] .monaco-list-row[aria-level="1"]').length >= 3,
      undefined,
      { timeout: 30_000 },
    );
    await screenshot('ui-traces-tree-light');
  });

  it('opens the inspector panel with the waterfall when the trace is clicked', async () => {
    await treeRow('joke_workflow.workflow').click();
    const frame = inspectorFrame();
    await frame.locator('[data-testid="waterfall"]').waitFor({ state: 'visible', timeout: 30_000 });
    await frame.locator('[data-testid="span-details"]').waitFor({ state: 'visible' });
    assert.match(await frame.locator('[data-testid="trace-header"]').innerText(), /joke_workflow/);
    await screenshot('ui-trace-panel-light');
  });

  it('selects in the panel the span clicked in the tree', async () => {
    const page = workbench();
    const trace = treeRow('joke_workflow.workflow');
    // Expanded traces show their spans; the root span opens expanded.
    if ((await trace.getAttribute('aria-expanded')) !== 'true') await trace.locator('.monaco-tl-twistie').click();
    const span = treeRow('pirate_translation.task');
    await span.waitFor({ state: 'visible', timeout: 10_000 });
    await span.click();
    const title = inspectorFrame().locator('[data-testid="span-details"] .details-title');
    await title.filter({ hasText: 'pirate_translation.task' }).waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot('ui-span-selected-light');
  });

  it('jumps from the panel’s source link to the line that made the span', async () => {
    const page = workbench();
    await treeRow('joke_workflow.workflow').click();
    const frame = inspectorFrame();
    await frame.locator('[data-testid="span-details"] .details-title', { hasText: 'joke_workflow.workflow' }).waitFor({ state: 'visible', timeout: 15_000 });
    await frame.locator('[data-testid="span-details"] button.link-button').first().click();
    // The demo's code.* attributes name its compiled bundle; the source map beside it leads to the TypeScript.
    const tab = page.locator('.tabs-container .tab', { hasText: 'demo.ts' });
    await tab.waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.monaco-editor .current-line').first().waitFor({ state: 'visible' });
    await screenshot('ui-jump-to-source-light');
  });

  it('looks right in the dark theme', async () => {
    // The panel alone in the editor area again, as after a click in the tree.
    await runCommand('View: Close All Editor Groups');
    await switchTheme('Dark Modern');
    await treeRow('joke_workflow.workflow').click();
    await inspectorFrame().locator('[data-testid="waterfall"]').waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot('ui-trace-panel-dark');
  });

  it('restores the panel after a window reload (its serializer), on a fresh listener', async () => {
    const page = workbench();
    // The workbench's own reload saves the open editors first (a bare page reload may not get to).
    await runCommand('Developer: Reload Window');
    await page.waitForLoadState('domcontentloaded');
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    // The panel is back, its view speaks to the new extension host: traces lived in the old one's memory.
    await workbench().locator('.tabs-container .tab', { hasText: 'Respan Traces' }).waitFor({ state: 'visible', timeout: 30_000 });
    const frame = inspectorFrame();
    await frame.locator('[data-testid="empty-state"], [data-testid="trace-header"]').first().waitFor({ state: 'visible', timeout: 30_000 });
    await workbench().locator('.statusbar-item', { hasText: /Respan :\d+ · 0 spans/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot('ui-panel-restored-dark');
  });
});
