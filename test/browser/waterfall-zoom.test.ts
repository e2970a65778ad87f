/**
 * Zooming the waterfall's time axis in real Chromium against the standalone
 * command: drag a range on the axis or across the bars, Ctrl + wheel around
 * the pointer, `z` on a span, and back to the whole trace with the Reset
 * button and Escape. Asserts on what is drawn: tick labels, the positions and
 * widths of specific bars, clip and off-window markers, a bounded number of
 * rows. Screenshots land in test-results/screenshots/.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/waterfall-zoom.test.ts
 */

import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { hexId, openTrace, openUi, postOtlp, screenshotThemes, useInspectorInChromium } from './support';

const TRACE_ID = 'd'.repeat(32);
const TOTAL_MS = 10_000;
/** Spans in the batch at the end of the trace, so the waterfall has to virtualise. */
const FILLERS = 1500;
/** Row elements the waterfall may keep in the page: a screenful plus overscan. */
const MAX_ROW_ELEMENTS = 100;

/**
 * A 10 s agent trace: a 20 ms LLM call and a 10 ms tool call inside a 2 s task
 * in the middle, a task near the start and one near the end, and a batch of
 * tiny spans after them.
 */
function zoomTraceRequests(): unknown[] {
  const base = 1_700_000_000_000n * 1_000_000n;
  const nanos = (ms: number) => String(base + BigInt(Math.round(ms * 1e6)));
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const spans: Record<string, unknown>[] = [];
  const span = (id: number, parent: number | null, name: string, startMs: number, endMs: number, attributes: unknown[] = []) =>
    spans.push({
      traceId: TRACE_ID,
      spanId: hexId(id),
      parentSpanId: parent === null ? '' : hexId(parent),
      name,
      kind: 1,
      startTimeUnixNano: nanos(startMs),
      endTimeUnixNano: nanos(endMs),
      attributes,
      status: {},
    });
  span(1, null, 'zoom_root', 0, TOTAL_MS, [text('traceloop.span.kind', 'workflow')]);
  span(2, 1, 'early_task', 100, 900, [text('traceloop.span.kind', 'task')]);
  span(3, 1, 'long_task', 4000, 6000, [text('traceloop.span.kind', 'task')]);
  span(4, 3, 'llm_call', 5000, 5020, [text('gen_ai.system', 'openai'), text('gen_ai.request.model', 'gpt-4o-mini')]);
  span(5, 3, 'tool_call', 5030, 5040, [text('traceloop.span.kind', 'tool')]);
  span(6, 1, 'late_task', 9000, 9500, [text('traceloop.span.kind', 'task')]);
  span(7, 1, 'batch', 9600, 9990);
  for (let i = 0; i < FILLERS; i++) span(100 + i, 7, `filler ${i}`, 9600 + i * 0.25, 9600 + i * 0.25 + 0.2);
  return [{ resourceSpans: [{ resource: { attributes: [text('service.name', 'zoom-agent')] }, scopeSpans: [{ scope: { name: 'zoom-test' }, spans }] }] }];
}

/** A tick label as ms: `0`, `250ms`, `4.5s`. */
function tickMs(label: string): number {
  if (label === '0') return 0;
  if (label.endsWith('ms')) return Number(label.slice(0, -2));
  if (label.endsWith('s')) return Number(label.slice(0, -1)) * 1000;
  throw new Error(`unexpected tick label ${label}`);
}

const tickLabels = (page: Page) => page.locator('.wf-tick-label').allInnerTexts();
const rowElements = (page: Page) => page.locator('.wf-row').count();
const row = (page: Page, name: string): Locator => page.locator('.wf-row', { has: page.locator('.wf-label', { hasText: new RegExp(`^${name}$`) }) });

/** The axis's box: bars share its horizontal extent. */
async function axisBox(page: Page) {
  const box = await page.getByTestId('time-axis').boundingBox();
  assert.ok(box);
  return box;
}

/** A bar's left edge and width as fractions of the axis. */
async function barFractions(page: Page, name: string): Promise<{ left: number; width: number }> {
  const axis = await axisBox(page);
  const bar = await row(page, name).locator('.wf-bar').boundingBox();
  assert.ok(bar, `${name} has a bar`);
  return { left: (bar.x - axis.x) / axis.width, width: bar.width / axis.width };
}

/** Asserts every tick label lies in [fromMs, toMs] and there are at least `min` of them. */
async function assertTicksWithin(page: Page, fromMs: number, toMs: number, min = 3): Promise<string[]> {
  const labels = await tickLabels(page);
  assert.ok(labels.length >= min, `ticks ${labels.join(', ')}`);
  for (const label of labels) assert.ok(tickMs(label) >= fromMs && tickMs(label) <= toMs, `tick ${label} outside ${fromMs}–${toMs} ms (${labels.join(', ')})`);
  return labels;
}

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual.toFixed(4)}, expected ${expected.toFixed(4)} ± ${tolerance}`);

describe('waterfall zoom in Chromium (standalone command)', function () {
  this.timeout(120_000);
  const session = useInspectorInChromium((url) => postOtlp(url, zoomTraceRequests()));

  async function openZoomTrace(): Promise<{ page: Page; errors: string[] }> {
    const { page, errors } = await openUi(session, { width: 1800, height: 900 });
    await openTrace(page, TRACE_ID);
    await row(page, 'llm_call').waitFor();
    return { page, errors };
  }

  it('drag-zooms the axis to a range: ticks, clipped and off-window bars follow; Reset shows the whole trace', async () => {
    const { page, errors } = await openZoomTrace();
    const wholeTicks = await tickLabels(page);
    assert.equal(wholeTicks[0], '0');
    assert.equal(wholeTicks.at(-1), '10s', wholeTicks.join(', '));
    const rowsBefore = await rowElements(page);
    assert.ok(rowsBefore > 20 && rowsBefore <= MAX_ROW_ELEMENTS, `${rowsBefore} rows`);
    const llmWhole = await barFractions(page, 'llm_call');
    assert.ok(llmWhole.width < 0.01, `llm_call is a sliver of the whole trace: ${llmWhole.width}`);

    // Drag from 4.5 s to 5.5 s on the axis.
    const axis = await axisBox(page);
    const xOf = (ms: number) => axis.x + (ms / TOTAL_MS) * axis.width;
    await page.mouse.move(xOf(4500), axis.y + axis.height / 2);
    await page.mouse.down();
    await page.mouse.move(xOf(5000), axis.y + axis.height / 2, { steps: 4 });
    assert.equal(await page.locator('.wf-zoom-range').count(), 2, 'the range shows over the axis and the bars while dragging');
    await page.mouse.move(xOf(5500), axis.y + axis.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.getByTestId('reset-zoom').waitFor();
    assert.equal(await page.locator('.wf-zoom-range').count(), 0);

    await assertTicksWithin(page, 4450, 5550, 4);
    // The 20 ms call is now a fiftieth of the axis, halfway across.
    const llm = await barFractions(page, 'llm_call');
    near(llm.left, 0.5, 0.01, 'llm_call left');
    near(llm.width, 0.02, 0.004, 'llm_call width');
    // The 2 s task runs past both ends: cut, with both edges marked; the tasks before and after are arrows at the edges.
    assert.deepEqual(await row(page, 'long_task').locator('.wf-bar').evaluate((bar) => [bar.classList.contains('clip-start'), bar.classList.contains('clip-end')]), [true, true]);
    near((await barFractions(page, 'long_task')).width, 1, 0.002, 'long_task fills the axis');
    assert.equal(await row(page, 'early_task').locator('.wf-bar').count(), 0);
    assert.equal((await row(page, 'early_task').locator('.wf-offscreen.before').innerText()).trim(), '◂ 800ms');
    assert.equal((await row(page, 'late_task').locator('.wf-offscreen.after').innerText()).trim(), '500ms ▸');
    assert.match(await page.getByTestId('zoom-window').innerText(), /^4\.\d+s – 5\.\d+s of 10s$/);
    assert.equal(await rowElements(page), rowsBefore, 'zooming renders the same rows in view, no more');

    // In a narrow window the Reset button keeps its label whole, clear of the zoom window's text.
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: 1000, height: viewport.height });
    const reset = (await page.getByTestId('reset-zoom').boundingBox())!;
    const zoomWindow = (await page.getByTestId('zoom-window').boundingBox())!;
    assert.ok(reset.x + reset.width <= zoomWindow.x, `Reset zoom ${JSON.stringify(reset)} overlaps the zoom window ${JSON.stringify(zoomWindow)}`);
    assert.ok(await page.getByTestId('reset-zoom').evaluate((button) => button.scrollWidth <= button.clientWidth), 'the Reset zoom label is cut');
    await page.setViewportSize(viewport);

    // A click right after the drag selects as usual.
    await row(page, 'llm_call').click();
    assert.equal(await page.locator('.wf-row.selected .wf-label').innerText(), 'llm_call');
    const bars = await page.locator('.waterfall').boundingBox();
    assert.ok(bars);
    await screenshotThemes(page, session.shots, 'waterfall-zoomed');
    await screenshotThemes(page, session.shots, 'waterfall-zoomed-detail', { clip: { x: bars.x, y: bars.y, width: bars.width, height: 300 } });

    await page.getByTestId('reset-zoom').click();
    assert.deepEqual(await tickLabels(page), wholeTicks);
    assert.equal(await page.getByTestId('reset-zoom').count(), 0);
    near((await barFractions(page, 'llm_call')).width, llmWhole.width, 0.001, 'llm_call width after reset');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('drag-zooms across the bars without selecting the row under the pointer', async () => {
    const { page } = await openZoomTrace();
    await row(page, 'tool_call').click();
    const axis = await axisBox(page);
    const lateRow = await row(page, 'late_task').boundingBox();
    assert.ok(lateRow);
    const y = lateRow.y + lateRow.height / 2;
    await page.mouse.move(axis.x + 0.4 * axis.width, y);
    await page.mouse.down();
    await page.mouse.move(axis.x + 0.6 * axis.width, y, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('reset-zoom').waitFor();
    await assertTicksWithin(page, 3950, 6050);
    near((await barFractions(page, 'long_task')).width, 1, 0.01, 'long_task spans the 4–6 s window');
    assert.ok((await page.locator('.wf-row.selected .wf-label').innerText()) === 'tool_call', 'the drag did not select late_task');
    await page.close();
  });

  it('Ctrl + wheel zooms around the pointer; Escape shows the whole trace', async () => {
    const { page } = await openZoomTrace();
    const axis = await axisBox(page);
    const pointerX = axis.x + (5000 / TOTAL_MS) * axis.width;
    const llmRow = await row(page, 'llm_call').boundingBox();
    assert.ok(llmRow);
    await page.mouse.move(pointerX, llmRow.y + llmRow.height / 2);
    await page.keyboard.down('Control');
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -500);
    await page.keyboard.up('Control');
    await page.getByTestId('reset-zoom').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="zoom-window"]')?.textContent ?? '').includes('of'));
    // 4 × 500 px of wheel: e^-4 of the trace, about 183 ms, with 5 s (the call's start) still under the pointer.
    const llmBar = await row(page, 'llm_call').locator('.wf-bar').boundingBox();
    assert.ok(llmBar);
    near(llmBar.x, pointerX, 2, 'llm_call starts under the pointer');
    near(llmBar.width / axis.width, 20 / (TOTAL_MS * Math.exp(-4)), 0.01, 'llm_call width');
    await assertTicksWithin(page, 4900, 5100);
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);
    // Wheel without Ctrl scrolls the rows, not the zoom.
    const zoomText = await page.getByTestId('zoom-window').innerText();
    await page.mouse.wheel(0, 200);
    assert.equal(await page.getByTestId('zoom-window').innerText(), zoomText);

    await page.getByTestId('waterfall').focus();
    await page.keyboard.press('Escape');
    await page.getByTestId('reset-zoom').waitFor({ state: 'detached' });
    assert.equal((await tickLabels(page))[0], '0');
    await page.close();
  });

  it('z zooms to the selected span with a margin; 0 and Reset return to the whole trace', async () => {
    const { page } = await openZoomTrace();
    await row(page, 'llm_call').click();
    await page.keyboard.press('z');
    await page.getByTestId('reset-zoom').waitFor();
    // 20 ms with 8% either side: 23.2 ms from 4998.4 ms.
    const llm = await barFractions(page, 'llm_call');
    near(llm.left, 1.6 / 23.2, 0.004, 'llm_call left');
    near(llm.width, 20 / 23.2, 0.004, 'llm_call width');
    await assertTicksWithin(page, 4998, 5022, 3);
    assert.equal(await row(page, 'tool_call').locator('.wf-offscreen.after').count(), 1, 'the tool call is after the window');
    // Duration labels of the zoomed bar stay inside the row, readable.
    const axis = await axisBox(page);
    const label = await row(page, 'llm_call').locator('.wf-duration').boundingBox();
    const rowBox = await row(page, 'llm_call').boundingBox();
    assert.ok(label && rowBox && label.x >= axis.x && label.x + label.width <= rowBox.x + rowBox.width, 'the duration label is inside the bars area');
    await page.keyboard.press('0');
    await page.getByTestId('reset-zoom').waitFor({ state: 'detached' });

    // The toolbar button does the same as the key.
    await page.getByTestId('zoom-to-span').click();
    await page.getByTestId('reset-zoom').click();
    await page.getByTestId('reset-zoom').waitFor({ state: 'detached' });
    assert.equal((await tickLabels(page))[0], '0');
    await page.close();
  });
});
