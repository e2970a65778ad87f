/**
 * A large trace opens through the lean binary form in real Chromium against
 * the standalone command: the page asks the service for `getLeanTrace`, never
 * the trace's JSON (`getTrace`);
 * selecting spans (by click, by keys, by find) fetches and shows their
 * details. Also the two routes' answers to scripts and to bad requests.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/lean-trace.test.ts
 */

import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { decodeLeanTrace } from '../../src/core/leanTrace';
import { isServiceError } from '../../src/core/service/errors';
import { BINARY_MEDIA_TYPE, createServiceCall } from '../../src/protocol/service';
import { httpServiceTransport } from '../../src/protocol/serviceHttp';
import type { SpanJson, TraceDetailJson } from '../../src/protocol/api';
import { hexId, largeTraceRequests, postOtlp, useInspectorInChromium } from './support';

const TRACE_ID = 'e'.repeat(32);
const SPANS = 30_000;

describe('lean trace form in the browser', function () {
  this.timeout(180_000);
  const session = useInspectorInChromium((url) => postOtlp(url, largeTraceRequests(TRACE_ID, SPANS)));

  const details = (page: Page) => page.getByTestId('span-details');

  it('opens a large trace through the lean form and shows span details on selection, by keys and by find', async () => {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 860 } });
    const paths: string[] = [];
    const spanRequests: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      paths.push(path);
      if (path === '/api/service/getSpan') spanRequests.push((JSON.parse(request.postData() ?? '{}') as { spanId: string }).spanId);
    });
    await page.goto(`${session.inspector.url}/`);
    await page.locator(`.trace-item[data-trace-id="${TRACE_ID}"]`).click();
    await page.locator('.wf-row').first().waitFor({ timeout: 60_000 });
    assert.ok((await page.locator('.wf-row-count').innerText()).includes(`${SPANS.toLocaleString('en-US')} spans`));
    assert.ok(paths.includes('/api/service/getLeanTrace'), 'the lean form was asked for');
    assert.ok(!paths.includes('/api/service/getTrace'), 'the JSON form was not');

    // The root is selected on open: its details arrive on demand.
    await details(page).filter({ hasText: 'big root' }).waitFor();
    assert.ok(spanRequests.includes(hexId(1)));

    // Keyboard: down to the first branch, down again into it.
    await page.getByTestId('waterfall').focus();
    await page.keyboard.press('ArrowDown');
    await details(page).filter({ hasText: 'branch 0' }).waitFor();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('.wf-row.selected .wf-label').innerText(), 'step 3');
    await details(page).filter({ hasText: 'step 3' }).waitFor();

    // A click on another row.
    await page.locator('.wf-row', { has: page.locator('.wf-label', { hasText: /^step 5$/ }) }).click();
    await details(page).filter({ hasText: 'step 5' }).waitFor();

    // Find by name over the whole trace, then step to the match: its attributes come with its details.
    await page.getByTestId('find-input').fill('step 12345');
    await page.getByTestId('find-count').filter({ hasText: '1 match' }).waitFor();
    await page.getByTestId('find-input').press('Enter');
    assert.equal(await page.locator('.wf-row.selected .wf-label').innerText(), 'step 12345');
    await details(page).filter({ hasText: 'step.index' }).filter({ hasText: '12345' }).waitFor();

    // Errors over the whole trace are counted from the lean form's flags.
    assert.ok(Number(await page.getByTestId('next-error').innerText()) > 0);
    assert.ok(!paths.includes('/api/service/getTrace'), 'still no JSON of the whole trace');
    await page.close();
  });

  it('answers scripts: the lean body decodes to the JSON form\'s spans, one span as JSON, clear errors', async () => {
    const response = await fetch(`${session.inspector.url}/api/traces/${TRACE_ID}/lean`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), BINARY_MEDIA_TYPE);
    const body = new Uint8Array(await response.arrayBuffer());
    const lean = decodeLeanTrace(body);
    // The same bytes as the service's request, over its HTTP transport (POST /api/service/getLeanTrace) and its typed client.
    const call = createServiceCall(httpServiceTransport(session.inspector.url, (url, init) => fetch(url, init)));
    assert.deepEqual(await call('getLeanTrace', { traceId: TRACE_ID }), body);
    await assert.rejects(call('getLeanTrace', { traceId: '0'.repeat(32) }), (error: unknown) => isServiceError(error, 'not-found'));
    const detail = (await (await fetch(`${session.inspector.url}/api/traces/${TRACE_ID}`)).json()) as TraceDetailJson;
    assert.equal(lean.count, detail.spans.length);
    const byId = new Map(detail.spans.map((span) => [span.spanId, span]));
    assert.deepEqual(new Set(lean.spanId), new Set(byId.keys()));
    assert.deepEqual(lean.name, lean.spanId.map((id) => byId.get(id)!.name));
    assert.deepEqual(Array.from(lean.parent, (p, i) => (p < 0 ? null : lean.spanId[p]) ?? byId.get(lean.spanId[i])!.parentSpanId), lean.spanId.map((id) => byId.get(id)!.parentSpanId));

    const span = (await (await fetch(`${session.inspector.url}/api/traces/${TRACE_ID}/spans/${detail.spans[7].spanId}`)).json()) as SpanJson;
    assert.deepEqual(span, detail.spans[7]);
    const missing = await fetch(`${session.inspector.url}/api/traces/${TRACE_ID}/spans/${'f'.repeat(16)}`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /has no span f{16}/);
    assert.equal((await fetch(`${session.inspector.url}/api/traces/${TRACE_ID}/spans/%zz`)).status, 400);
    assert.equal((await fetch(`${session.inspector.url}/api/traces/${'0'.repeat(32)}/lean`)).status, 404);
  });
});
