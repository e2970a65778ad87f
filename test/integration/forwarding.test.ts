/**
 * Forwarding end to end: a real OpenTelemetry SDK exports to a real
 * InspectorServer, which forwards to a fake Respan endpoint on a loopback
 * socket through the Node transport.
 */

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type SpanContext, type Tracer } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ForwardLimits } from '../../src/core/forward/forwarder';
import type { ForwardSettings } from '../../src/core/forward/payload';
import { TraceStore } from '../../src/core/store';
import type { ForwardingChangeJson, ForwardingStatusJson, ForwardingTracesJson, ForwardPreviewJson, ForwardTraceJson, TraceForwardingJson } from '../../src/protocol/api';
import { createNodeForwarder, type NodeForwarding } from '../../src/server/forwarding';
import { InspectorServer } from '../../src/server/server';
import { FakeRespan } from '../support/fakeRespan';

const KEY = 'rk_it_SECRET_key_5e4d3c2b1a';

/** Short delays so retries happen quickly; nothing below asserts on timing. */
const FAST: Partial<ForwardLimits> = { batchDelayMs: 20, baseRetryDelayMs: 20, maxRetryDelayMs: 200, requestTimeoutMs: 2000, maxAttempts: 1000 };

interface Inspector {
  store: TraceStore;
  server: InspectorServer;
  forwarding: NodeForwarding;
  logs: string[];
  /** Every text the query API answered, for the key scan. */
  answers: string[];
  api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

async function startInspector(fake: FakeRespan, options: { apiKey?: string; autoForward?: boolean; settings?: Partial<ForwardSettings>; limits?: Partial<ForwardLimits> } = {}): Promise<Inspector> {
  const store = new TraceStore({ schedule: (callback) => void setImmediate(callback) });
  const logs: string[] = [];
  const answers: string[] = [];
  const forwarding = createNodeForwarder({
    store,
    apiKey: 'apiKey' in options ? options.apiKey : KEY,
    baseUrl: fake.baseUrl,
    autoForward: options.autoForward ?? false,
    settings: options.settings,
    limits: { ...FAST, ...options.limits },
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  const forwarder = forwarding.forwarder;
  const server = new InspectorServer({ store, port: 0, onSpans: (spans) => forwarder.captured(spans), forwarding: forwarder });
  await server.start();
  return {
    store,
    server,
    forwarding,
    logs,
    answers,
    async api<T>(path: string, init?: RequestInit) {
      const response = await fetch(`${server.url}${path}`, init);
      const text = await response.text();
      answers.push(text);
      return { status: response.status, body: JSON.parse(text) as T };
    },
    async stop() {
      forwarding.dispose();
      await server.stop();
    },
  };
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Exports spans with the real OTel SDK (OTLP/HTTP protobuf) to the inspector. */
/**
 * Records spans with the real OTel SDK and exports them to the inspector: one
 * request per span, or (`inOneRequest`) all of them in one export, for tests
 * whose assertions need the whole trace stored before forwarding starts.
 */
async function exportWithOtel(inspectorUrl: string, record: (tracer: Tracer) => void, resource: Attributes = {}, inOneRequest = false): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `${inspectorUrl}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'forwarding-it', ...resource }),
    spanProcessors: [inOneRequest ? new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 }) : new SimpleSpanProcessor(exporter)],
  });
  record(provider.getTracer('forwarding-it', '1.2.3'));
  await provider.forceFlush();
  await provider.shutdown();
}

/** A small agent-like trace: root, two children, one grandchild. Returns its trace id. */
function recordTrace(tracer: Tracer, label: string, attributes: Attributes = {}): string {
  const root = tracer.startSpan(`${label}.workflow`, { attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': label, ...attributes } }, ROOT_CONTEXT);
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const llm = tracer.startSpan('openai.chat', { kind: SpanKind.CLIENT, attributes: { 'gen_ai.system': 'openai', 'llm.request.type': 'chat', 'gen_ai.prompt.0.content': `hello from ${label}` } }, rootContext);
  llm.end();
  const task = tracer.startSpan(`${label}.task`, { attributes: { 'traceloop.span.kind': 'task', 'traceloop.entity.path': label } }, rootContext);
  const http = tracer.startSpan('GET /weather', { kind: SpanKind.CLIENT, attributes: { 'http.method': 'GET' } }, trace.setSpan(ROOT_CONTEXT, task));
  http.end();
  task.end();
  root.end();
  return root.spanContext().traceId;
}

function storedSpanKeys(store: TraceStore): string[] {
  const keys: string[] = [];
  for (const entry of store.list().traces) for (const span of entry.spans.values()) keys.push(`${span.traceId}/${span.spanId}`);
  return keys.sort();
}

function assertKeyNowhere(texts: readonly string[]): void {
  for (const text of texts) assert.ok(!text.includes(KEY), `the API key leaked into: ${text.slice(0, 300)}`);
}

/** No run of 8 characters of the key, wherever the text was cut. */
function assertNoKeyFragment(texts: readonly string[]): void {
  for (const text of texts) {
    for (let at = 0; at + 8 <= KEY.length; at++) {
      const fragment = KEY.slice(at, at + 8);
      assert.ok(!text.includes(fragment), `"${fragment}" of the API key leaked into: ${text.slice(Math.max(0, text.indexOf(fragment) - 100), text.indexOf(fragment) + 100)}`);
    }
  }
}

/** Collects the `forwarding` events of the live stream until closed. */
async function forwardingEvents(inspectorUrl: string): Promise<{ events: ForwardingChangeJson[]; raw: string[]; close: () => Promise<void> }> {
  const abort = new AbortController();
  const stream = await fetch(`${inspectorUrl}/api/events`, { signal: abort.signal });
  const reader = stream.body!.getReader();
  const events: ForwardingChangeJson[] = [];
  const raw: string[] = [];
  let buffer = '';
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += Buffer.from(value).toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        raw.push(block);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: forwarding$/m.test(block) && data) events.push(JSON.parse(data) as ForwardingChangeJson);
      }
    }
  })().catch(() => undefined);
  return {
    events,
    raw,
    close: async () => {
      abort.abort();
      await reading;
    },
  };
}

describe('forwarding to Respan (integration)', function () {
  this.timeout(60_000);
  let fake: FakeRespan;
  let inspector: Inspector | undefined;

  beforeEach(async () => {
    fake = new FakeRespan();
    await fake.start(0);
  });

  afterEach(async () => {
    await inspector?.stop();
    inspector = undefined;
    await fake.stop();
  });

  it('posts OTLP JSON to /api/v2/traces under a base URL ending in /api, with the Bearer key, preserving the trace', async () => {
    inspector = await startInspector(fake);
    let traceId = '';
    await exportWithOtel(inspector.server.url, (tracer) => (traceId = recordTrace(tracer, 'jokes')), { 'deployment.environment': 'dev' });
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 4);

    const { status, body } = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(status, 200);
    assert.equal(body.ok, true, body.message);
    assert.equal(body.trace.state, 'sent');
    assert.equal(body.trace.counts.sent, 4);

    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/api/v2/traces');
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    assert.match(String(request.headers['content-type']), /^application\/json/);

    // Every attribute, the resource and the scope arrive as captured.
    const { body: download } = await inspector.api<{ resourceSpans: unknown[] }>(`/api/traces/${traceId}/otlp`);
    const sent = request.json as { resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ scope: unknown; spans: Array<{ spanId: string }> }> }> };
    assert.deepEqual(sent.resourceSpans[0].resource, (download.resourceSpans[0] as { resource: unknown }).resource);
    assert.deepEqual(sent.resourceSpans[0].scopeSpans[0].scope, { name: 'forwarding-it', version: '1.2.3', attributes: [] });
    const bySpan = (doc: typeof sent) => new Map(doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => [span.spanId, span]))));
    assert.deepEqual(bySpan(sent), bySpan(download as typeof sent));

    const traceStatus = await inspector.api<TraceForwardingJson>(`/api/traces/${traceId}/forward`);
    assert.equal(traceStatus.body.state, 'sent');
    assert.equal(traceStatus.body.spans.length, 4);
    assert.ok(traceStatus.body.spans.every((span) => span.state === 'sent' && span.attempts === 1));

    // Asking again sends nothing twice.
    const again = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(again.body.alreadySent, 4);
    assert.equal(fake.requests.length, 1);
  });

  it('auto-forwards every span exactly once through injected 503s, a 429 and an outage', async () => {
    inspector = await startInspector(fake, { autoForward: true, limits: { maxBatchSpans: 6 } });
    const traceIds: string[] = [];

    fake.answerNext({ kind: 'unavailable' }, { kind: 'unavailable', retryAfter: '0' }, { kind: 'too-many', retryAfter: '1' }, { kind: 'unavailable' });
    await exportWithOtel(inspector.server.url, (tracer) => {
      for (let i = 0; i < 5; i++) traceIds.push(recordTrace(tracer, `wave1_${i}`));
    });
    await waitFor('the injected failures to be answered', () => fake.requests.filter((request) => request.answer !== 'ok').length >= 4);

    // A real outage: connection refused while more spans arrive.
    await fake.goOffline();
    await exportWithOtel(inspector.server.url, (tracer) => {
      for (let i = 0; i < 5; i++) traceIds.push(recordTrace(tracer, `wave2_${i}`));
    });
    await waitFor('a network error to be seen', () => /could not reach Respan/.test(inspector!.forwarding.forwarder.status().lastError?.message ?? ''));
    assert.ok(inspector.forwarding.forwarder.status().unsent > 0);
    await fake.start();

    await exportWithOtel(inspector.server.url, (tracer) => {
      for (let i = 0; i < 3; i++) traceIds.push(recordTrace(tracer, `wave3_${i}`));
    });
    await waitFor('every captured span to be accepted', async () => {
      const { body } = await inspector!.api<ForwardingStatusJson>('/api/forwarding');
      return body.counts.sent === 52 && body.unsent === 0;
    });

    const captured = storedSpanKeys(inspector.store);
    assert.equal(captured.length, 13 * 4);
    const accepted = fake.acceptedSpanKeys();
    assert.equal(accepted.length, new Set(accepted).size, 'no span was accepted twice');
    assert.deepEqual([...accepted].sort(), captured, 'every captured span was accepted');
    for (const traceId of traceIds) {
      const reply: { body: TraceForwardingJson } = await inspector.api<TraceForwardingJson>(`/api/traces/${traceId}/forward`);
      assert.equal(reply.body.state, 'sent', traceId);
    }
    const states: { body: ForwardingTracesJson } = await inspector.api<ForwardingTracesJson>('/api/forwarding/traces');
    assert.deepEqual(Object.keys(states.body.traces).sort(), [...traceIds].sort());
    assert.ok(Object.values(states.body.traces).every((state) => state === 'sent'));
    const { body: status } = await inspector.api<ForwardingStatusJson>('/api/forwarding');
    assert.ok(status.requests.failed >= 5, `${status.requests.failed} failed requests`);
    assert.equal(status.lastError !== null, true);
    assertKeyNowhere([...inspector.logs, ...inspector.answers]);
  });

  it('auto-forwards a span with the log records that became its events before it was sent', async () => {
    // Nothing leaves before the explicit flush, so the records arrive while the span waits.
    inspector = await startInspector(fake, { autoForward: true, limits: { batchDelayMs: 600_000 } });
    let spanContext: SpanContext | undefined;
    await exportWithOtel(inspector.server.url, (tracer) => {
      const span = tracer.startSpan('chat gpt-4o-mini', { kind: SpanKind.CLIENT }, ROOT_CONTEXT);
      spanContext = span.spanContext();
      span.end();
    });
    const { traceId, spanId } = spanContext!;
    await waitFor('the span to be stored', () => inspector!.store.get(traceId)?.spans.size === 1);

    const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${inspector.server.url}/v1/logs` }) })] });
    loggerProvider.getLogger('forwarding-it').emit({ context: trace.setSpanContext(ROOT_CONTEXT, spanContext!), eventName: 'gen_ai.user.message', body: 'What is the weather in Paris?' });
    await loggerProvider.forceFlush();
    await loggerProvider.shutdown();
    await waitFor('the record to become an event of its span', () => inspector!.store.getSpan(traceId, spanId)?.events.length === 1);

    inspector.forwarding.forwarder.flush();
    await waitFor('the span to be sent', () => fake.requests.length === 1);
    const sent = fake.requests[0].json as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string; events: Array<{ name: string; attributes: Array<{ key: string; value: unknown }> }> }> }> }> };
    const spans = sent.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    assert.deepEqual(spans.map((span) => span.spanId), [spanId]);
    assert.deepEqual(spans[0].events.map((event) => event.name), ['gen_ai.user.message']);
    assert.ok(JSON.stringify(spans[0].events[0]).includes('What is the weather in Paris?'), JSON.stringify(spans[0].events[0]));
  });

  it('stops on 401, reports the wrong key plainly, and resumes with a good key; the key never shows', async () => {
    await fake.stop();
    fake = new FakeRespan(['rk_the_right_key']);
    await fake.start(0);
    inspector = await startInspector(fake, { autoForward: true });
    let traceId = '';
    // In one request: every span of the trace is in the first (refused) batch.
    await exportWithOtel(inspector.server.url, (tracer) => (traceId = recordTrace(tracer, 'wrong_key')), {}, true);

    await waitFor('forwarding to pause', async () => (await inspector!.api<ForwardingStatusJson>('/api/forwarding')).body.activity === 'paused');
    const { body: status } = await inspector.api<ForwardingStatusJson>('/api/forwarding');
    assert.equal(status.autoForward, false);
    assert.equal(status.hasApiKey, true);
    assert.match(status.pausedReason!, /^the Respan API key is wrong \(Respan answered 401 Unauthorized: Invalid API key\)/);
    assert.equal(status.lastError?.status, 401);
    const { body: traceStatus } = await inspector.api<TraceForwardingJson>(`/api/traces/${traceId}/forward`);
    assert.equal(traceStatus.state, 'failed');
    assert.ok(traceStatus.spans.every((span) => span.failure === 'auth'));
    const requestsSoFar = fake.requests.length;

    // Spans captured while stopped are not sent on their own.
    await exportWithOtel(inspector.server.url, (tracer) => recordTrace(tracer, 'while_stopped'));
    const manual = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(manual.body.ok, false);
    assert.match(manual.body.message, /the Respan API key is wrong/);
    assert.equal(fake.requests.length, requestsSoFar + 1, 'a manual forward tries once more, then pauses again');
    await inspector.api<ForwardPreviewJson>(`/api/traces/${traceId}/forward/preview`);

    inspector.forwarding.forwarder.setApiKey('rk_the_right_key');
    await waitFor('the trace to be delivered with the new key', () => inspector!.forwarding.forwarder.traceStatus(traceId).state === 'sent');
    assert.equal(inspector.forwarding.forwarder.autoForward, true);
    assert.deepEqual(fake.accepted.map((request) => request.headers.authorization), ['Bearer rk_the_right_key']);
    assert.ok(inspector.logs.some((line) => line.startsWith('error: the Respan API key is wrong')));
    assertKeyNowhere([...inspector.logs, ...inspector.answers]);
    for (const request of fake.requests) assert.ok(!request.body.includes(KEY), 'the key only travels in the header');
  });

  it('redacts span, event, link and resource attributes before they reach the wire, exactly as previewed', async () => {
    inspector = await startInspector(fake, { settings: { redact: ['user.email', 'gen_ai.prompt.*.content', '/secret/i'] } });
    let traceId = '';
    await exportWithOtel(
      inspector.server.url,
      (tracer) => {
        const root = tracer.startSpan('checkout', { attributes: { 'user.email': 'ada@example.com', 'gen_ai.prompt.0.content': 'my card is 4111', 'gen_ai.prompt.0.role': 'user', 'db.password_secret': 'hunter2', keep: 'visible' } }, ROOT_CONTEXT);
        root.addEvent('login', { 'user.email': 'event@example.com', outcome: 'ok' });
        const child = tracer.startSpan('child', { links: [{ context: root.spanContext(), attributes: { 'user.email': 'link@example.com' } }] }, trace.setSpan(ROOT_CONTEXT, root));
        child.end();
        root.end();
        traceId = root.spanContext().traceId;
      },
      { 'deployment.secret': 'resource-secret-value' },
    );
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 2);
    const { body: preview } = await inspector.api<ForwardPreviewJson>(`/api/traces/${traceId}/forward/preview`);
    assert.equal(preview.url, `${fake.baseUrl}/v2/traces`);
    assert.equal(preview.headers.Authorization, 'Bearer [api key hidden]');

    const { body } = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(body.ok, true, body.message);
    const wire = fake.requests[0].body;
    for (const secret of ['ada@example.com', 'my card is 4111', 'hunter2', 'event@example.com', 'link@example.com', 'resource-secret-value']) {
      assert.ok(!wire.includes(secret), `${secret} reached the wire`);
    }
    assert.ok(wire.includes('"visible"'));
    assert.ok(wire.includes('"gen_ai.prompt.0.role"'));
    assert.ok((wire.match(/\[redacted\]/g) ?? []).length >= 6);
    assert.deepEqual(fake.requests[0].json, preview.body, 'the preview showed exactly what was sent');
    // The local copy keeps everything.
    assert.equal(inspector.store.get(traceId)!.rootSpan!.attributes['user.email'], 'ada@example.com');
  });

  it('announces forwarding changes as "forwarding" events of the live stream', async () => {
    inspector = await startInspector(fake);
    let traceId = '';
    await exportWithOtel(inspector.server.url, (tracer) => (traceId = recordTrace(tracer, 'live')));
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 4);
    const { events, close } = await forwardingEvents(inspector.server.url);
    try {
      await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
      await waitFor('a forwarding event saying the trace was sent', () => events.some((event) => event.traceIds.includes(traceId) && event.status.counts.sent === 4));
      assert.ok(events.some((event) => event.traceIds.includes(traceId) && event.status.activity === 'sending'));
      assertKeyNowhere(events.map((event) => JSON.stringify(event)));
    } finally {
      await close();
    }
  });

  it("shows no part of the key when Respan's error message puts it across the 500-character cut", async () => {
    inspector = await startInspector(fake);
    let traceId = '';
    await exportWithOtel(inspector.server.url, (tracer) => (traceId = recordTrace(tracer, 'echo')));
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 4);
    // The message is kept to 500 characters: the cut falls 12 characters into the key, and the key's tail follows.
    fake.answerAlways({ kind: 'bad-request', message: `${'a'.repeat(487)} ${KEY} is not allowed to write here; ${KEY.slice(5)} ${KEY.slice(0, 15)}` });
    const stream = await forwardingEvents(inspector.server.url);
    try {
      const { body } = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
      assert.equal(body.ok, false);
      assert.match(body.message, /4 spans not forwarded: Respan answered 400 Bad Request: a{487} \[api key hid…$/);
      await inspector.api<ForwardingStatusJson>('/api/forwarding');
      await inspector.api<TraceForwardingJson>(`/api/traces/${traceId}/forward`);
      await waitFor('a forwarding event with the failure', () => stream.events.some((event) => event.status.counts.failed === 4));
      assertNoKeyFragment([...inspector.answers, ...stream.raw, ...inspector.logs]);
      assert.ok(inspector.logs.some((line) => line.includes('[api key hid…')));
    } finally {
      await stream.close();
    }
  });

  it('sends the ingest payload shape, with ingest spans keeping their original ids', async () => {
    inspector = await startInspector(fake, { settings: { api: 'ingest' } });
    const ingest = [
      { trace_unique_id: 'conv-42', span_unique_id: 'root', span_name: 'agent run', log_type: 'agent', start_time: '2025-01-01T10:00:00.000000Z', timestamp: '2025-01-01T10:00:03.000000Z', customer_identifier: 'cus_7' },
      { trace_unique_id: 'conv-42', span_unique_id: 'llm-1', span_parent_id: 'root', span_name: 'chat', log_type: 'chat', model: 'gpt-4o', prompt_messages: [{ role: 'user', content: 'hi' }], completion_message: { role: 'assistant', content: 'hello' }, start_time: '2025-01-01T10:00:01.000000Z', timestamp: '2025-01-01T10:00:02.000000Z' },
    ];
    const posted = await fetch(`${inspector.server.url}/api/v1/traces/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer local' }, body: JSON.stringify(ingest) });
    assert.equal(posted.status, 200);
    const traceId = inspector.store.list().traces[0].traceId;

    const { body } = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(body.ok, true, body.message);
    const [request] = fake.requests;
    assert.equal(request.path, '/api/v1/traces/ingest');
    assert.equal(request.headers.authorization, `Bearer ${KEY}`);
    const sent = request.json as Array<Record<string, unknown>>;
    assert.ok(Array.isArray(sent));
    const byId = new Map(sent.map((span) => [span.span_unique_id, span]));
    assert.deepEqual([...byId.keys()].sort(), ['llm-1', 'root']);
    for (const original of ingest) {
      const out = byId.get(original.span_unique_id)!;
      for (const [key, value] of Object.entries(original)) assert.deepEqual(out[key], value, `${key} of ${original.span_unique_id}`);
    }
    assert.equal(byId.get('root')!.span_parent_id, null);
  });

  it('reports a 400 with the server message and does not retry it', async () => {
    inspector = await startInspector(fake);
    let first = '';
    let second = '';
    await exportWithOtel(inspector.server.url, (tracer) => {
      first = recordTrace(tracer, 'first');
      second = recordTrace(tracer, 'second');
    });
    await waitFor('both traces to be stored', () => inspector!.store.traceCount === 2 && inspector!.store.spanCount === 8);
    fake.answerNext({ kind: 'bad-request', message: 'span attribute limit exceeded' });
    const { body } = await inspector.api<ForwardTraceJson>(`/api/traces/${first}/forward?wait=1`, { method: 'POST' });
    assert.equal(body.ok, false);
    assert.match(body.message, /4 spans not forwarded: Respan answered 400 Bad Request: span attribute limit exceeded/);
    const next = await inspector.api<ForwardTraceJson>(`/api/traces/${second}/forward?wait=1`, { method: 'POST' });
    assert.equal(next.body.ok, true);
    assert.equal(fake.requests.length, 2, 'the rejected request was not retried');
    const { body: status } = await inspector.api<ForwardingStatusJson>('/api/forwarding');
    assert.equal(status.counts.failed, 4);
    assert.equal(status.unsent, 4);

    // A retry by hand sends it again (and this time the fake accepts).
    const retry = await inspector.api<{ queued: number }>('/api/forwarding/retry', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ traceIds: [first] }) });
    assert.equal(retry.body.queued, 4);
    await waitFor('the retried trace to be sent', () => inspector!.forwarding.forwarder.traceStatus(first).state === 'sent');
  });

  it('splits batches Respan refuses as too large (413) and keeps later batches under the limit', async () => {
    inspector = await startInspector(fake);
    const forwarder = inspector.forwarding.forwarder;
    const record = async (label: string) => {
      const traceIds: string[] = [];
      await exportWithOtel(inspector!.server.url, (tracer) => {
        for (let i = 0; i < 4; i++) traceIds.push(recordTrace(tracer, `${label}_${i}`));
      });
      await waitFor('the traces to be stored', () => traceIds.every((traceId) => inspector!.store.get(traceId)?.spans.size === 4));
      return traceIds;
    };
    const first = await record('first');
    // A third of the whole body: the 16-span batch and its 8-span halves are refused, quarters fit.
    fake.refuseBodiesOver(Math.ceil(forwarder.previewTraces(first).bytes / 3));
    forwarder.forwardTraces(first);
    await forwarder.whenSettled(first);
    assert.deepEqual(
      fake.requests.map((request) => request.answer),
      ['too-large', 'too-large', 'ok', 'ok', 'ok', 'ok'],
    );
    const { body: status } = await inspector.api<ForwardingStatusJson>('/api/forwarding');
    assert.deepEqual(status.counts, { pending: 0, sending: 0, sent: 16, failed: 0, skipped: 0 });
    assert.equal(status.pausedBy, null);
    assert.equal(status.lastError?.status, 413);
    const accepted = fake.acceptedSpanKeys();
    assert.equal(accepted.length, new Set(accepted).size, 'no span was accepted twice');
    assert.deepEqual([...accepted].sort(), storedSpanKeys(inspector.store));

    const seen = fake.requests.length;
    const second = await record('later');
    forwarder.forwardTraces(second);
    await forwarder.whenSettled(second);
    const later = fake.requests.slice(seen);
    // Same-length labels: the later spans are as large as the first ones.
    assert.deepEqual(
      later.map((request) => request.answer),
      ['ok', 'ok', 'ok', 'ok'],
      'later batches start at the size Respan accepted',
    );
    assert.equal(forwarder.status().counts.sent, 32);
    assert.equal(new Set(fake.acceptedSpanKeys()).size, 32);
    assertKeyNowhere([...inspector.logs, ...inspector.answers]);
  });

  it('gives up on a request that hangs and sends it again', async () => {
    inspector = await startInspector(fake, { limits: { requestTimeoutMs: 300 } });
    let traceId = '';
    await exportWithOtel(inspector.server.url, (tracer) => (traceId = recordTrace(tracer, 'hang')));
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 4);
    fake.answerNext({ kind: 'hang' });
    const { body } = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(body.ok, true, body.message);
    assert.deepEqual(
      fake.requests.map((request) => request.answer),
      ['hang', 'ok'],
    );
    assert.match(inspector.forwarding.forwarder.status().lastError!.message, /no answer within 0.3 s/);
  });

  it('sends only what the Respan SDK would send with the "sdk" filter', async () => {
    inspector = await startInspector(fake, { settings: { filter: 'sdk' } });
    let traceId = '';
    await exportWithOtel(inspector.server.url, (tracer) => {
      // A framework span around a decorated workflow, as in a web app.
      const server = tracer.startSpan('POST /jokes', { kind: SpanKind.SERVER, attributes: { 'http.method': 'POST' } }, ROOT_CONTEXT);
      const workflow = tracer.startSpan('jokes.workflow', { attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'jokes' } }, trace.setSpan(ROOT_CONTEXT, server));
      const llm = tracer.startSpan('openai.chat', { attributes: { 'gen_ai.system': 'openai' } }, trace.setSpan(ROOT_CONTEXT, workflow));
      llm.end();
      workflow.end();
      server.end();
      traceId = server.spanContext().traceId;
    });
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 3);
    const { body } = await inspector.api<ForwardTraceJson>(`/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
    assert.equal(body.ok, true, body.message);
    assert.deepEqual(body.trace.counts, { pending: 0, sending: 0, sent: 2, failed: 0, skipped: 1 });
    const spans = (fake.requests[0].json as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; parentSpanId?: string }> }> }> }).resourceSpans[0].scopeSpans[0].spans;
    assert.deepEqual(spans.map((span) => span.name).sort(), ['jokes.workflow', 'openai.chat']);
    assert.equal(spans.find((span) => span.name === 'jokes.workflow')!.parentSpanId, undefined, 'the workflow is sent as a root');
  });

  it('answers plainly without a key, refuses other web origins, and is absent without a forwarder', async () => {
    inspector = await startInspector(fake, { apiKey: undefined });
    let traceId = '';
    await exportWithOtel(inspector.server.url, (tracer) => (traceId = recordTrace(tracer, 'nokey')));
    await waitFor('the trace to be stored', () => inspector!.store.get(traceId)?.spans.size === 4);
    const noKey = await inspector.api<{ error: string }>(`/api/traces/${traceId}/forward`, { method: 'POST' });
    assert.equal(noKey.status, 409);
    assert.match(noKey.body.error, /no Respan API key is set; in VS Code run "Respan Trace Inspector: Set Respan API Key", or start the inspector with RESPAN_API_KEY/);
    const unknown = await inspector.api<{ error: string }>(`/api/traces/${'f'.repeat(32)}/forward`, { method: 'POST' });
    assert.ok([404, 409].includes(unknown.status));
    const crossSite = await fetch(`${inspector.server.url}/api/traces/${traceId}/forward`, { method: 'POST', headers: { Origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    assert.equal(fake.requests.length, 0);

    const bare = new InspectorServer({ store: new TraceStore(), port: 0 });
    await bare.start();
    try {
      for (const path of ['/api/forwarding', `/api/traces/${traceId}/forward`]) {
        const response = await fetch(`${bare.url}${path}`);
        assert.equal(response.status, 404, path);
        assert.match(((await response.json()) as { error: string }).error, /forwarding to Respan is not available/);
      }
    } finally {
      await bare.stop();
    }
  });

  describe('standalone command', () => {
    function runCli(args: string[], env: Record<string, string | undefined>): { done: Promise<number | null>; output: () => string; stop: () => void } {
      let output = '';
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--no-open', '--no-persist', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RESPAN_API_KEY: undefined, RESPAN_BASE_URL: undefined, ...env } });
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { done, output: () => output, stop: () => child.kill('SIGINT') };
    }

    it('refuses --forward without RESPAN_API_KEY, plainly', async () => {
      const cli = runCli(['--forward', '--port', '0', '--grpc-port', '0'], {});
      assert.equal(await cli.done, 2);
      assert.match(cli.output(), /--forward needs your Respan API key in the RESPAN_API_KEY environment variable/);
    });

    it('refuses to send the key over plain http to a remote host', async () => {
      const cli = runCli(['--forward', '--port', '0', '--grpc-port', '0'], { RESPAN_API_KEY: KEY, RESPAN_BASE_URL: 'http://api.respan.example/api' });
      assert.equal(await cli.done, 2);
      assert.match(cli.output(), /refusing to send the Respan API key over plain http to api\.respan\.example/);
      assert.ok(!cli.output().includes(KEY));
    });

    it('refuses plain http to a name under .localhost, which Node resolves through DNS', async () => {
      const cli = runCli(['--forward', '--port', '0', '--grpc-port', '0'], { RESPAN_API_KEY: KEY, RESPAN_BASE_URL: 'http://x.localhost/api' });
      assert.equal(await cli.done, 2);
      assert.match(cli.output(), /refusing to send the Respan API key over plain http to x\.localhost/);
      assert.ok(!cli.output().includes(KEY));
    });

    it("prints no part of the key on stderr when Respan's error message puts it across the cut", async () => {
      fake.answerAlways({ kind: 'bad-request', message: `${'b'.repeat(490)} ${KEY}` });
      const cli = runCli(['--forward', '--demo', '--port', '0', '--grpc-port', '0'], { RESPAN_API_KEY: KEY, RESPAN_BASE_URL: fake.baseUrl });
      try {
        await waitFor('Respan to refuse a request, and the refusal to be printed', () => fake.requests.length > 0 && /not forwarded: Respan answered 400/.test(cli.output()), 30_000);
      } finally {
        cli.stop();
      }
      await cli.done;
      assert.match(cli.output(), /Respan answered 400 Bad Request: b{490} \[api key …$/m);
      assertNoKeyFragment([cli.output()]);
    });

    it('auto-forwards the demo workload with --forward and never prints the key', async () => {
      const cli = runCli(['--forward', '--demo', '--port', '0', '--grpc-port', '0', '--redact', 'customer_email'], { RESPAN_API_KEY: KEY, RESPAN_BASE_URL: fake.baseUrl });
      try {
        await waitFor('demo spans to reach the fake Respan', () => fake.acceptedSpanKeys().length > 0, 30_000);
      } finally {
        cli.stop();
      }
      assert.equal(await cli.done, 0);
      assert.match(cli.output(), new RegExp(`Forwarding every captured span to ${fake.baseUrl.replace(/[.]/g, '\\.')}/v2/traces`));
      assert.ok(fake.accepted.every((request) => request.headers.authorization === `Bearer ${KEY}`));
      assert.ok(!cli.output().includes(KEY), 'the key was printed');
    });
  });
});
