/**
 * The inspector UI in real Chromium against the real standalone command:
 * traces sent by the OpenTelemetry SDK show up live, open, expand, show their
 * LLM conversation; hostile span content stays text; a 100,000-span trace
 * opens with a bounded DOM; a list of 3,000 traces scrolls to its oldest one
 * with a bounded DOM, stays put while traces arrive, and offers filter values
 * of traces far down the list. Screenshots land in test-results/screenshots/.
 *
 * Run: npx mocha --no-config -r tsx/cjs --extension ts test/browser/inspector.test.ts
 */

import assert from 'node:assert/strict';
import { context, trace, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildBundles, ensureScreenshotDir, hexId, largeTraceRequests, launchChromium, manyTracesRequests, postOtlp, startInspector, type RunningInspector } from './support';

const XSS_NAME = '<img src=x onerror="window.__pwned=1">evil span';
const XSS_SCRIPT = '<script>window.__pwned=2</script>';

/** Sends, through the real OTel SDK, a joke workflow with an LLM call, a tool call and a failing task, plus a hostile span. */
async function sendDemoTraces(url: string): Promise<{ jokeTraceId: string; hostileTraceId: string }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'browser-test-agent' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  });
  const tracer = provider.getTracer('browser-test');
  const child = (parent: Span, name: string, attributes: Record<string, string | number | boolean>, body?: (span: Span) => void): Span => {
    const span = tracer.startSpan(name, { attributes }, trace.setSpan(context.active(), parent));
    body?.(span);
    span.end();
    return span;
  };

  const root = tracer.startSpan('joke_workflow.workflow', {
    attributes: {
      'traceloop.span.kind': 'workflow',
      'traceloop.entity.name': 'joke_workflow',
      'traceloop.entity.input': JSON.stringify({ args: ['opentelemetry'], kwargs: { audience: 'developers' } }),
      'traceloop.entity.output': JSON.stringify({ joke: 'Why did the span cross the road?' }),
      'respan.threads.thread_identifier': 'thread-browser-1',
      'respan.customer_params.customer_identifier': 'cus_browser',
    },
  });
  const task = tracer.startSpan('joke_creation.task', { attributes: { 'traceloop.span.kind': 'task' } }, trace.setSpan(context.active(), root));
  child(task, 'openai.chat', {
    'gen_ai.system': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.request.temperature': 0.7,
    'llm.request.type': 'chat',
    'gen_ai.prompt.0.role': 'system',
    'gen_ai.prompt.0.content': 'You are a witty assistant who writes **one-line** jokes.',
    'gen_ai.prompt.1.role': 'user',
    'gen_ai.prompt.1.content': 'Tell me a joke about OpenTelemetry.',
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.finish_reason': 'tool_calls',
    'gen_ai.completion.0.tool_calls.0.id': 'call_weather_1',
    'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
    'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Paris","unit":"celsius"}',
    'gen_ai.usage.input_tokens': 38,
    'gen_ai.usage.output_tokens': 24,
  });
  task.end();
  child(root, 'signature_generation.task', { 'traceloop.span.kind': 'task' }, (span) => {
    const error = new Error('rate limit exceeded for model gpt-4o');
    error.name = 'RateLimitError';
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  });
  root.end();

  const hostile = tracer.startSpan(XSS_NAME, {
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': '<b>bold-model</b>',
      'gen_ai.prompt.0.role': 'user',
      'gen_ai.prompt.0.content': `${XSS_SCRIPT} and <img src=x onerror="window.__pwned=3"> and [link](javascript:alert(1))`,
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': '<iframe src="javascript:window.__pwned=4"></iframe>',
      'evil.attribute': XSS_SCRIPT,
    },
  });
  hostile.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { jokeTraceId: root.spanContext().traceId, hostileTraceId: hostile.spanContext().traceId };
}

/**
 * Sends, through the real OTel SDK, a span with two log records (one with a
 * hostile body) and a record of a span that is never ended, so never sent.
 * Returns the trace id.
 */
async function sendTraceWithLogs(url: string): Promise<string> {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))] });
  const loggerProvider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) })] });
  const tracer = tracerProvider.getTracer('browser-test');
  const logger = loggerProvider.getLogger('browser-test');
  const span = tracer.startSpan('fetch_profile.task');
  const inSpan = trace.setSpan(context.active(), span);
  logger.emit({ context: inSpan, severityNumber: SeverityNumber.WARN, severityText: 'WARN', eventName: 'cache.miss', body: 'profile cache miss for user 42' });
  logger.emit({ context: inSpan, severityNumber: SeverityNumber.ERROR, body: `upstream said ${XSS_SCRIPT} <img src=x onerror="window.__pwned=5">` });
  const lost = tracer.startSpan('never_ended.task', {}, inSpan);
  logger.emit({ context: trace.setSpan(context.active(), lost), severityNumber: SeverityNumber.INFO, body: 'retrying the lost call' });
  span.end();
  await tracerProvider.forceFlush();
  await loggerProvider.forceFlush();
  await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
  return span.spanContext().traceId;
}

async function openTrace(page: Page, traceId: string): Promise<void> {
  await page.locator(`.trace-item[data-trace-id="${traceId}"]`).click();
  await page.locator('.wf-row').first().waitFor();
}

describe('inspector UI in Chromium (standalone command)', function () {
  this.timeout(180_000);
  let inspector: RunningInspector;
  let browser: Browser;
  let ids: { jokeTraceId: string; hostileTraceId: string };
  const shots = ensureScreenshotDir();

  before(async () => {
    buildBundles();
    inspector = await startInspector();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await inspector?.stop();
  });

  it('shows the empty state with the page origin as endpoint, then traces live as they arrive', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${inspector.url}/`);
    await page.getByTestId('empty-state').waitFor();
    const envText = await page.getByTestId('empty-state').innerText();
    assert.ok(envText.includes(`OTEL_EXPORTER_OTLP_ENDPOINT=${inspector.url}`), envText);
    assert.ok(envText.includes(`RESPAN_BASE_URL=${inspector.url}/api`), envText);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(shots, `empty-${scheme}.png`) });
    }

    ids = await sendDemoTraces(inspector.url);
    // No reload: the live stream brings the traces in.
    await page.locator(`.trace-item[data-trace-id="${ids.jokeTraceId}"]`).waitFor({ timeout: 10_000 });
    await page.locator(`.trace-item[data-trace-id="${ids.hostileTraceId}"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('opens a trace, collapses and expands rows, and shows the LLM conversation with its tool call', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await openTrace(page, ids.jokeTraceId);
    const rows = page.locator('.wf-row');
    assert.equal(await rows.count(), 4);

    // Collapse the task with the keyboard, then expand it with its chevron.
    await page.locator('.wf-row', { hasText: 'joke_creation.task' }).click();
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 3);
    await page.locator('.wf-row', { hasText: 'joke_creation.task' }).locator('.wf-twisty').click();
    await page.waitForFunction(() => document.querySelectorAll('.wf-row').length === 4);

    await page.locator('.wf-row', { hasText: 'openai.chat' }).click();
    const conversation = page.getByTestId('conversation');
    await conversation.waitFor();
    const text = await conversation.innerText();
    assert.ok(text.includes('Tell me a joke about OpenTelemetry.'), text);
    assert.ok(text.includes('You are a witty assistant who writes **one-line** jokes.'), 'markdown shown as written');
    const toolCall = page.getByTestId('tool-call');
    assert.ok((await toolCall.innerText()).includes('get_weather'));
    assert.ok((await toolCall.innerText()).includes('Paris'));
    assert.ok((await page.getByTestId('span-details').innerText()).includes('gpt-4o-mini'));
    assert.ok((await page.getByTestId('llm-settings').innerText()).includes('temperature'));

    // The workflow shows its decorated input and output.
    await page.locator('.wf-row', { hasText: 'joke_workflow.workflow' }).click();
    const io = await page.getByTestId('entity-io').innerText();
    assert.ok(io.includes('opentelemetry') && io.includes('audience') && io.includes('Why did the span cross the road?'), io);

    // "Next error" jumps to the failing task and shows its exception.
    await page.getByTestId('next-error').click();
    const exception = await page.getByTestId('exception').innerText();
    assert.ok(exception.includes('RateLimitError') && exception.includes('rate limit exceeded'), exception);

    // Find in trace.
    await page.keyboard.press('/');
    await page.keyboard.type('openai');
    assert.equal(await page.getByTestId('find-count').innerText(), '1 match');
    await page.keyboard.press('Enter');
    assert.equal(await page.getByTestId('find-count').innerText(), '1 of 1');
    assert.ok((await page.locator('.wf-row.selected').innerText()).includes('openai.chat'));

    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(shots, `llm-${scheme}.png`) });
    }
    await page.locator('.wf-row', { hasText: 'signature_generation.task' }).click();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(shots, `waterfall-error-${scheme}.png`) });
    }
    await page.close();
  });

  it('renders hostile span names and attributes as text and runs none of them', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${inspector.url}/`);
    await openTrace(page, ids.hostileTraceId);
    await page.locator('.wf-row').first().click();
    await page.getByTestId('conversation').waitFor();
    const details = page.getByTestId('span-details');
    assert.ok((await details.innerText()).includes(XSS_SCRIPT), 'the script tag shows as text');
    assert.ok((await page.locator('.wf-row').first().innerText()).includes(XSS_NAME), 'the span name shows as text');
    assert.ok((await page.locator('.trace-item', { hasText: 'evil span' }).innerText()).includes('<img src=x'), 'the list shows it as text');
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img, iframe, script:not([src]), b').count(), 0, 'no element was created from span content');
    assert.deepEqual(dialogs, []);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(shots, 'hostile-content-light.png') });
    await page.close();
  });

  it("shows a span's log records and the trace's records outside spans, as text", async () => {
    const traceId = await sendTraceWithLogs(inspector.url);
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await openTrace(page, traceId);
    await page.locator('.wf-row', { hasText: 'fetch_profile.task' }).click();
    const logs = page.getByTestId('span-logs');
    await logs.waitFor();
    const records = logs.getByTestId('log-record');
    assert.equal(await records.count(), 2);
    const first = await records.nth(0).innerText();
    assert.ok(first.includes('WARN') && first.includes('cache.miss') && first.includes('profile cache miss for user 42'), first);
    const second = await records.nth(1).innerText();
    assert.ok(second.includes('ERROR') && second.includes(XSS_SCRIPT), second);
    assert.equal(await logs.locator('.section-title').first().textContent(), 'Logs (2)');

    await page.getByTestId('trace-logs-button').click();
    const traceLogs = page.getByTestId('trace-logs');
    await traceLogs.waitFor();
    const outside = await traceLogs.innerText();
    assert.ok(outside.includes('retrying the lost call') && outside.includes('(not received)'), outside);
    await page.screenshot({ path: join(shots, 'trace-logs-light.png') });

    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img, iframe, script:not([src])').count(), 0, 'no element was created from a log body');
    await page.locator('.wf-row', { hasText: 'fetch_profile.task' }).click();
    await logs.waitFor();
    await page.screenshot({ path: join(shots, 'span-logs-light.png') });
    await page.close();
    // The tests after this one count the traces the first one sent.
    assert.equal((await fetch(`${inspector.url}/api/traces/${traceId}`, { method: 'DELETE' })).status, 200);
  });

  it('opens a 100,000-span trace and scrolls it with a bounded number of rows', async function () {
    this.timeout(240_000);
    const traceId = 'b'.repeat(32);
    await postOtlp(inspector.url, largeTraceRequests(traceId, 100_000));
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.locator(`.trace-item[data-trace-id="${traceId}"]`).click();
    await page.locator('.wf-row').first().waitFor({ timeout: 60_000 });
    assert.ok((await page.locator('.wf-row-count').innerText()).includes('100,000 spans'));

    const rowCount = () => page.locator('.wf-row').count();
    const initial = await rowCount();
    assert.ok(initial > 10 && initial < 150, `rendered ${initial} rows`);
    // Scroll to the middle and to the end: still a bounded window, and the last span is reachable.
    await page.getByTestId('waterfall').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.waitForTimeout(100);
    assert.ok((await rowCount()) < 150);
    await page.getByTestId('waterfall').focus();
    await page.keyboard.press('End');
    await page.waitForTimeout(150);
    assert.ok((await rowCount()) < 150);
    const lastName = await page.locator('.wf-row.selected .wf-label').innerText();
    assert.match(lastName, /^(step|tail|group) /);

    // Collapse the first branch (10,000 spans) and expand it again.
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => document.querySelector('.wf-row-count')?.textContent?.includes('of 100,000'));
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('.wf-row-count')?.textContent === '100,000 spans');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(shots, 'large-trace-dark.png') });
    await page.close();
  });

  it('lists, groups by thread and filters traces; screenshots of the list', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.locator('.trace-item').first().waitFor();
    assert.equal(await page.locator('.trace-item').count(), 3);
    await page.getByTestId('grouping').selectOption('thread');
    const groups = page.getByTestId('trace-group');
    assert.equal(await groups.count(), 2);
    assert.ok((await groups.first().innerText()).includes('thread-browser-1'));
    await page.getByTestId('grouping').selectOption('none');
    await page.getByTestId('toggle-filters').click();
    await page.getByTestId('filter-errors').check();
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length === 2);
    await page.getByTestId('filter-errors').uncheck();
    await page.getByTestId('trace-search').fill('joke_workflow');
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length === 1);
    await page.getByTestId('trace-search').fill('');
    await page.getByTestId('toggle-filters').click();
    await openTrace(page, ids.jokeTraceId);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(shots, `list-waterfall-${scheme}.png`) });
    }
    await page.close();
  });

  it('filters the list by environment and by the name of any span, with counts in the drop-downs', async () => {
    const text = (key: string, value: string) => ({ key, value: { stringValue: value } });
    const nanos = (ms: number) => String(BigInt(Date.now() + ms) * 1_000_000n);
    const spans = [
      { traceId: 'e1'.repeat(16), spanId: hexId(0xe11), name: 'staging_workflow', kind: 1, startTimeUnixNano: nanos(0), endTimeUnixNano: nanos(50), attributes: [text('respan.environment', 'staging')], status: {} },
      { traceId: 'e1'.repeat(16), spanId: hexId(0xe12), parentSpanId: hexId(0xe11), name: 'rerank.tool', kind: 1, startTimeUnixNano: nanos(10), endTimeUnixNano: nanos(20), attributes: [], status: {} },
      { traceId: 'e2'.repeat(16), spanId: hexId(0xe21), name: 'production_workflow', kind: 1, startTimeUnixNano: nanos(0), endTimeUnixNano: nanos(40), attributes: [text('respan.environment', 'production')], status: {} },
    ];
    await postOtlp(inspector.url, [{ resourceSpans: [{ resource: { attributes: [text('service.name', 'env-agent')] }, scopeSpans: [{ scope: { name: 'browser-test' }, spans }] }] }]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.locator(`.trace-item[data-trace-id="${'e2'.repeat(16)}"]`).waitFor();
    const listed = () => page.locator('.trace-item').evaluateAll((items) => items.map((item) => item.getAttribute('data-trace-id')));
    await page.getByTestId('toggle-filters').click();
    const environment = page.getByTestId('filter-environment');
    await environment.locator('option[value="staging"]').waitFor({ state: 'attached' });
    assert.equal(await environment.locator('option[value="staging"]').innerText(), 'staging (1)');
    await environment.selectOption('staging');
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length === 1);
    assert.deepEqual(await listed(), ['e1'.repeat(16)]);
    await environment.selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length > 1);

    // A child span's name finds its trace.
    const name = page.getByTestId('filter-name');
    assert.equal(await name.locator('option[value="rerank.tool"]').innerText(), 'rerank.tool (1)');
    await name.selectOption('rerank.tool');
    await page.waitForFunction(() => document.querySelectorAll('.trace-item').length === 1);
    assert.deepEqual(await listed(), ['e1'.repeat(16)]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(shots, 'list-filtered-by-name-light.png') });
    await page.close();
  });
});

describe('trace list at scale in Chromium (standalone command)', function () {
  this.timeout(180_000);
  const COUNT = 3000;
  const OLDEST = hexId(1, 32);
  const ONLY_THREAD = 'thread-only-in-the-oldest';
  /** Row elements the list may keep in the page: a screenful plus overscan, whatever the count. */
  const MAX_ROW_ELEMENTS = 60;
  let inspector: RunningInspector;
  let browser: Browser;
  const shots = ensureScreenshotDir();

  const rowElements = (page: Page) => page.evaluate(() => document.querySelectorAll('.trace-item, .group-row').length);
  const listStatus = (page: Page) => page.getByTestId('list-status').innerText();
  const rowTop = async (page: Page, traceId: string) => (await page.locator(`.trace-item[data-trace-id="${traceId}"]`).boundingBox())!.y;

  before(async () => {
    buildBundles();
    // Room for more traces than the list holds (the last test).
    inspector = await startInspector(['--max-traces', '30000']);
    browser = await launchChromium();
    // The oldest trace alone carries a thread no other trace has.
    await postOtlp(inspector.url, manyTracesRequests(COUNT, { thread: (i) => (i === 0 ? ONLY_THREAD : `thread-${i % 40}`) }));
  });

  after(async () => {
    await browser?.close();
    await inspector?.stop();
  });

  it('lists all 3,000 traces with a bounded DOM; the oldest is reachable by scrolling and by keys', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${inspector.url}/`);
    await page.waitForFunction(() => document.querySelector('[data-testid="list-status"]')?.textContent === '3,000 traces');
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS, `${await rowElements(page)} row elements`);
    assert.equal(await page.locator(`.trace-item[data-trace-id="${OLDEST}"]`).count(), 0, 'the oldest trace starts far below the first screenful');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(shots, `list-many-${scheme}.png`) });
    }

    // Scroll to the end and click the oldest trace.
    const list = page.getByTestId('trace-list-rows');
    await list.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await page.locator(`.trace-item[data-trace-id="${OLDEST}"]`).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="trace-header"] .trace-title')?.textContent === 'agent_run 0');
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);
    assert.equal(await page.locator('.trace-item.selected').getAttribute('data-trace-id'), OLDEST);

    // Keys: Home goes to the newest, Enter opens it; End comes back to the oldest.
    await list.focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="trace-header"] .trace-title')?.textContent === 'agent_run 2998');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="trace-header"] .trace-title')?.textContent === 'agent_run 0');
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('keeps the selected trace in place while new traces arrive above it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.locator('.trace-item').first().waitFor();
    const before = Number((await listStatus(page)).replace(/\D/g, ''));
    // Select the third trace from the top, still in view.
    const third = (await page.locator('.trace-item').nth(2).getAttribute('data-trace-id'))!;
    await page.locator(`.trace-item[data-trace-id="${third}"]`).click();
    await page.locator('.wf-row').first().waitFor();
    const topBefore = await rowTop(page, third);

    // 25 new traces, all newer than every listed one.
    const now = Date.now();
    await postOtlp(inspector.url, manyTracesRequests(25, { traceId: (i) => hexId(0xa0000 + i, 32), startMs: (i) => now + 60_000 + i * 10, thread: () => 'thread-new' }));
    await page.waitForFunction((expected) => document.querySelector('[data-testid="list-status"]')?.textContent === expected, `${(before + 25).toLocaleString('en-US')} traces`);
    await page.waitForTimeout(100);
    assert.equal(await rowTop(page, third), topBefore, 'the selected row did not move');
    assert.equal(await page.locator('.trace-item.selected').getAttribute('data-trace-id'), third);
    assert.ok((await page.getByTestId('trace-list-rows').evaluate((element) => element.scrollTop)) > 0, 'the new traces are above, scrolled out of view');
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);

    // Grouped by thread, the list is still a bounded window of rows.
    await page.getByTestId('grouping').selectOption('thread');
    await page.locator('.group-row').first().waitFor();
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);
    assert.equal(await page.locator(`.trace-item.selected[data-trace-id="${third}"]`).count(), 1, 'the selected trace is brought into view in its group');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: join(shots, `list-many-grouped-${scheme}.png`) });
    }
    await page.getByTestId('grouping').selectOption('none');
    await page.close();
  });

  it('offers filter values of traces far down the list and filters by them', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.locator('.trace-item').first().waitFor();
    assert.equal(await page.locator('.trace-item', { hasText: ONLY_THREAD }).count(), 0, 'no trace with the thread is on screen');
    await page.getByTestId('toggle-filters').click();
    const thread = page.getByTestId('filter-thread');
    // The trace's one LLM call is priced from the table: the option shows the thread's traces and their estimated
    // cost, once the facets refreshed after the last of the trace's spans arrived.
    await page.waitForFunction(
      (value) =>
        [...document.querySelectorAll<HTMLOptionElement>('[data-testid="filter-thread"] option')].some(
          (option) => option.value === value && new RegExp(`^${value} \\(1 · ≈\\$[0-9.]+\\)$`).test(option.innerText),
        ),
      ONLY_THREAD,
    );
    await thread.selectOption(ONLY_THREAD);
    await page.waitForFunction(() => document.querySelector('[data-testid="list-status"]')?.textContent === '1 trace');
    assert.deepEqual(await page.locator('.trace-item').evaluateAll((items) => items.map((item) => item.getAttribute('data-trace-id'))), [OLDEST]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(shots, 'list-filtered-by-facet-light.png') });
    await page.close();
  });

  it('beyond the 20,000 traces it lists, says how many older ones are not listed and reaches them by filtering', async function () {
    this.timeout(240_000);
    const now = Date.now();
    await postOtlp(inspector.url, manyTracesRequests(18_000, { traceId: (i) => hexId(0xb00000 + i, 32), startMs: (i) => now + 120_000 + i }));
    const { traceCount } = (await (await fetch(`${inspector.url}/api/status`)).json()) as { traceCount: number };
    assert.ok(traceCount >= 21_000, `${traceCount} traces`);
    const notListed = traceCount - 20_000;
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(`${inspector.url}/`);
    await page.waitForFunction((expected) => document.querySelector('[data-testid="list-status"]')?.textContent === expected, `Newest 20,000 of ${traceCount.toLocaleString('en-US')} traces`, { timeout: 60_000 });
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);
    assert.equal((await page.getByTestId('list-not-listed').innerText()).trim(), `${notListed.toLocaleString('en-US')} older traces are not listed. Search or filter to reach them.`);
    // The last listed trace is the newest of those not listed plus one: agent_run {notListed} of the first batch.
    const list = page.getByTestId('trace-list-rows');
    await list.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await page.locator('.trace-name', { hasText: new RegExp(`^agent_run ${notListed}$`) }).waitFor();
    assert.ok((await rowElements(page)) <= MAX_ROW_ELEMENTS);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(shots, 'list-not-listed-dark.png') });

    await page.getByTestId('toggle-filters').click();
    await page.getByTestId('filter-thread').selectOption(ONLY_THREAD);
    await page.waitForFunction(() => document.querySelector('[data-testid="list-status"]')?.textContent === '1 trace');
    assert.equal(await page.locator('.trace-item').getAttribute('data-trace-id'), OLDEST);
    assert.equal(await page.getByTestId('list-not-listed').count(), 0);
    await page.close();
  });
});
