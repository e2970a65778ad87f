/**
 * One span the UI cannot render must not take the UI down. In real Chromium
 * against the standalone command, the page's own service calls are intercepted and
 * answered with trace details that are valid JSON but that parts of the UI
 * cannot render (a null where an object belongs), as a bug meeting hostile
 * span content would. Each part that fails shows "This section could not be
 * shown: <error>" in its place; the trace list, the waterfall and the other
 * sections keep working, and a reload with the saved selection comes back
 * usable. Also: the UI refetches when the live stream says it dropped events.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/ui-resilience.test.ts
 */

import assert from 'node:assert/strict';
import type { Page, Route } from 'playwright-core';
import type { SpanJson, TraceDetailJson } from '../../src/protocol/api';
import { hexId, openTrace, openUi, postOtlp, useInspectorInChromium } from './support';

/** Header fails (its summary has no token counts); one span's Events section fails; another span's details fail. */
const FRAGILE = 'f7a611e0000000000000000000000001';
const HEALTHY = 'a0a1a2a3000000000000000000000002';
/** Its only span is an error without a status: the waterfall row fails. */
const BREAKER = 'b7ea4e70000000000000000000000003';

const MESSAGE = 'This section could not be shown:';

function traceRequests(): unknown[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  const ms = (n: number) => String(now + BigInt(n) * 1_000_000n);
  const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const span = (traceId: string, id: number, parent: number | null, name: string, attributes: unknown[], extra: Record<string, unknown> = {}) => ({
    traceId,
    spanId: hexId(id),
    parentSpanId: parent === null ? '' : hexId(parent),
    name,
    kind: 1,
    startTimeUnixNano: ms(id * 10),
    endTimeUnixNano: ms(id * 10 + 100),
    attributes,
    status: {},
    ...extra,
  });
  const spans = [
    span(FRAGILE, 1, null, 'fragile_workflow', [text('traceloop.span.kind', 'workflow'), text('fragile.marker', 'root-ok')]),
    span(FRAGILE, 2, 1, 'event_span', [text('tool.name', 'lookup')], { events: [{ name: 'tool.result', timeUnixNano: ms(25), attributes: [text('result', 'ok')] }] }),
    span(FRAGILE, 3, 1, 'status_span', [text('detail.marker', 'x')]),
    span(HEALTHY, 11, null, 'healthy_run', [text('healthy.marker', 'fine')]),
    span(BREAKER, 21, null, 'breaker_run', [text('breaker.marker', 'x')], { status: { code: 2, message: 'failed' } }),
  ];
  return [{ resourceSpans: [{ resource: { attributes: [text('service.name', 'resilience-test')] }, scopeSpans: [{ scope: { name: 'browser-test' }, spans }] }] }];
}

/** The malformed-but-JSON answers: what each trace's details become on the way to the page. */
function corrupt(detail: TraceDetailJson): void {
  const named = (name: string) => detail.spans.find((span) => span.name === name) as SpanJson;
  const nulled = <T>(): T => null as unknown as T;
  if (detail.traceId === FRAGILE) {
    detail.summary.tokens = nulled();
    named('event_span').events[0].attributes = nulled();
    named('status_span').status = nulled();
  } else if (detail.traceId === BREAKER) {
    named('breaker_run').status = nulled();
  }
}

async function interceptTraceDetails(page: Page): Promise<void> {
  await page.route(/\/api\/service\/getTrace$/, async (route: Route) => {
    const response = await route.fetch();
    const detail = (await response.json()) as TraceDetailJson;
    corrupt(detail);
    await route.fulfill({ response, json: detail });
  });
}

const part = (page: Page, name: string) => page.locator(`[data-testid="part-error"][data-part="${name}"]`);
const row = (page: Page, name: string) => page.locator('.wf-row', { has: page.locator('.wf-label', { hasText: name }) });

async function expectHealthyTraceWorks(page: Page): Promise<void> {
  await openTrace(page, HEALTHY);
  await page.locator('.trace-title', { hasText: 'healthy_run' }).waitFor();
  await page.getByTestId('attributes').getByText('healthy.marker').waitFor();
  assert.equal(await page.getByTestId('part-error').count(), 0);
}

describe('UI resilience in Chromium (standalone command)', function () {
  this.timeout(180_000);
  const session = useInspectorInChromium((url) => postOtlp(url, traceRequests()));

  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const { page, errors } = await openUi(session, { width: 1500, height: 900 }, interceptTraceDetails);
    await page.locator(`.trace-item[data-trace-id="${HEALTHY}"]`).waitFor();
    return { page, errors };
  }

  it('shows a message in place of each part that fails, and the rest keeps working', async () => {
    const { page, errors } = await newPage();
    await openTrace(page, FRAGILE);

    // The trace header fails; the waterfall and the root span's details do not.
    await part(page, 'trace header').waitFor();
    assert.match(await part(page, 'trace header').innerText(), new RegExp(`${MESSAGE} .*null.*'total'`));
    assert.equal(await page.locator('.wf-row').count(), 3);
    await page.getByTestId('attributes').getByText('fragile.marker').waitFor();

    // A span whose events cannot be shown: the Events section says so, its attributes still show.
    await row(page, 'event_span').click();
    const events = page.locator('details.section', { has: page.locator('.section-title', { hasText: 'Events (1)' }) });
    await events.locator('[data-testid="part-error"]').waitFor();
    assert.match(await events.innerText(), new RegExp(`${MESSAGE} Cannot convert undefined or null to object`));
    await page.getByTestId('attributes').getByText('tool.name').waitFor();
    await page.screenshot({ path: `${session.shots}/resilience-failed-section.png` });

    // A span whose details cannot be shown at all: the details pane says so; the waterfall stays.
    await row(page, 'status_span').click();
    await part(page, 'span details').waitFor();
    assert.match(await part(page, 'span details').innerText(), new RegExp(`${MESSAGE} .*null`));
    assert.equal(await page.locator('.wf-row').count(), 3);
    // Choosing another span of the same trace shows its details again.
    await row(page, 'fragile_workflow').click();
    await page.getByTestId('attributes').getByText('fragile.marker').waitFor();
    assert.equal(await part(page, 'span details').count(), 0);

    // Other traces are unaffected.
    await expectHealthyTraceWorks(page);

    // A trace whose waterfall cannot be drawn: the list still works, and so does the next trace.
    await openTrace(page, BREAKER);
    await part(page, 'waterfall').waitFor();
    assert.match(await part(page, 'waterfall').innerText(), new RegExp(MESSAGE));
    await page.screenshot({ path: `${session.shots}/resilience-failed-waterfall.png` });
    await expectHealthyTraceWorks(page);

    assert.deepEqual(errors, [], 'nothing escaped to the page');
    await page.close();
  });

  it('reloads with the saved selection usable: the failures stay contained and another trace can be chosen', async () => {
    const { page, errors } = await newPage();
    for (const [traceId, failing] of [
      [FRAGILE, 'trace header'],
      [BREAKER, 'waterfall'],
    ]) {
      await openTrace(page, traceId);
      await part(page, failing).waitFor();
      await page.reload();
      // The saved selection reopens the same trace, its failure still in its place only.
      await part(page, failing).waitFor();
      assert.equal(await page.locator('.trace-item').count(), 3, 'the trace list is there');
      if (traceId === FRAGILE) await row(page, 'event_span').waitFor();
      await expectHealthyTraceWorks(page);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a failure outside every part instead of a blank page, and a reload then does not reopen the trace that was open', async () => {
    const { page } = await newPage();
    await openTrace(page, HEALTHY);
    await page.locator('.trace-title', { hasText: 'healthy_run' }).waitFor();
    // A list the app itself cannot take in: nothing between the app and the page catches this.
    await page.route(/\/api\/service\/listTraces$/, (route) => route.fulfill({ json: { traces: [null], total: 1 } }));
    await page.reload();
    await part(page, 'inspector').waitFor();
    assert.match(await part(page, 'inspector').innerText(), new RegExp(`${MESSAGE} .*null`));
    await page.unroute(/\/api\/service\/listTraces$/);
    await page.reload();
    await page.locator(`.trace-item[data-trace-id="${HEALTHY}"]`).waitFor();
    assert.equal(await page.locator('.trace-header').count(), 0, 'no trace reopened');
    await page.getByText('Select a trace to see its spans.').waitFor();
    await expectHealthyTraceWorks(page);
    await page.close();
  });

  it('refetches the trace list when the live stream says it dropped events (resync)', async () => {
    const page = await session.browser.newPage();
    let listFetches = 0;
    let firstListSeen: () => void = () => undefined;
    const listed = new Promise<void>((resolve) => (firstListSeen = resolve));
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/service/listTraces') listFetches++;
    });
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/api/service/listTraces') firstListSeen();
    });
    // The stream as a page that fell behind gets it: the greeting, then a resync (once the list is loaded).
    await page.route('**/api/events', async (route) => {
      await listed;
      await route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' },
        body: 'retry: 600000\nevent: hello\ndata: {"spanCount":5,"traceCount":3}\n\nevent: resync\ndata: {"spanCount":5,"traceCount":3}\n\n',
      });
    });
    await page.goto(`${session.inspector.url}/`);
    await listed;
    for (let turn = 0; listFetches < 2 && turn < 200; turn++) await page.waitForTimeout(100);
    assert.equal(listFetches, 2, 'the list was fetched once to start, and again on the resync');
    await page.close();
  });
});
