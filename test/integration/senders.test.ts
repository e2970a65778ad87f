/**
 * The capture pipeline end to end: real OpenTelemetry and Traceloop SDK
 * exporters send to a real listener on every path of WIRE.md §1, and the query
 * API shows the trees they sent.
 */
import * as assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { TraceStore } from '../../src/core/store';
import { InspectorServer } from '../../src/server/server';
import type { StoreChangeJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { runSender } from '../support/senders';

describe('capture pipeline with real senders', function () {
  this.timeout(60_000);
  let store: TraceStore;
  let server: InspectorServer;
  let base: string;

  before(async () => {
    store = new TraceStore({ schedule: (flush) => setTimeout(flush, 5) });
    server = new InspectorServer({ store, port: 0, maxBodyBytes: 256 * 1024 });
    await server.start();
    base = server.url;
  });
  after(() => server.stop());
  beforeEach(() => store.clear());

  async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Records a small agent trace with the real SDK and exports it with `exporter`. */
  async function sendWithSdk(exporter: SpanExporter, service: string): Promise<string> {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('senders-test');
    const root = tracer.startSpan('agent.workflow', { attributes: { 'traceloop.span.kind': 'workflow', 'respan.customer_params.customer_identifier': 'cus_test' } });
    const rootContext = trace.setSpan(context.active(), root);
    const llm = tracer.startSpan(
      'openai.chat',
      { kind: SpanKind.CLIENT, attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'hi', 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 2, big: 2 ** 40 } },
      rootContext,
    );
    llm.end();
    const failing = tracer.startSpan('flaky.task', {}, rootContext);
    failing.recordException(new Error('boom'));
    failing.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    failing.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    return root.spanContext().traceId;
  }

  async function traceWhenStored(traceId: string): Promise<TraceDetailJson> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { status, body } = await getJson<TraceDetailJson>(`/api/traces/${traceId}`);
      if (status === 200) return body;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`trace ${traceId} never arrived`);
  }

  function assertAgentTree(detail: TraceDetailJson, service: string): void {
    assert.equal(detail.spans.length, 3);
    assert.equal(detail.roots.length, 1);
    const byName = new Map(detail.spans.map((span) => [span.name, span]));
    const root = byName.get('agent.workflow')!;
    assert.equal(detail.roots[0], root.spanId);
    assert.equal(root.parentSpanId, null);
    assert.equal(root.displayKind, 'workflow');
    assert.equal(root.service, service);
    const llm = byName.get('openai.chat')!;
    assert.equal(llm.parentSpanId, root.spanId);
    assert.equal(llm.kind, 'CLIENT');
    assert.equal(llm.displayKind, 'llm');
    assert.equal(llm.model, 'gpt-4o');
    assert.deepEqual(llm.tokens, { input: 3, output: 2, total: 5 });
    assert.equal(llm.attributes.big, 2 ** 40);
    const failing = byName.get('flaky.task')!;
    assert.equal(failing.status.code, 'ERROR');
    assert.equal(failing.isError, true);
    assert.equal(failing.events[0].name, 'exception');
    assert.equal(failing.events[0].attributes['exception.message'], 'boom');
    assert.match(root.startTimeUnixNano, /^\d{19}$/);
    assert.equal(detail.summary.errorCount, 1);
    assert.equal(detail.summary.customerIdentifier, 'cus_test');
  }

  const sdkSenders: Array<[string, (url: string) => SpanExporter]> = [
    ['OTLP/HTTP JSON on /v1/traces', (url) => new JsonExporter({ url: `${url}/v1/traces` })],
    ['OTLP/HTTP protobuf on /v1/traces', (url) => new ProtoExporter({ url: `${url}/v1/traces` })],
    ['gzip OTLP/HTTP protobuf on /v1/traces', (url) => new ProtoExporter({ url: `${url}/v1/traces`, compression: CompressionAlgorithm.GZIP })],
    ['gzip OTLP/HTTP JSON on /v1/traces', (url) => new JsonExporter({ url: `${url}/v1/traces`, compression: CompressionAlgorithm.GZIP })],
    ['respan-tracing ≥ 2 style: OTLP JSON on /api/v2/traces', (url) => new JsonExporter({ url: `${url}/api/v2/traces`, headers: { Authorization: 'Bearer k', 'X-Respan-Dogfood': '1' } })],
    ['@respan/tracing and respan-tracing < 2 style: protobuf on /api/v1/traces', (url) => new ProtoExporter({ url: `${url}/api/v1/traces`, headers: { Authorization: 'Bearer k' } })],
    ['Respan OTLP endpoint: protobuf on /v2/traces', (url) => new ProtoExporter({ url: `${url}/v2/traces` })],
    ['Respan OTLP endpoint: JSON on /v2/traces', (url) => new JsonExporter({ url: `${url}/v2/traces` })],
  ];
  for (const [label, makeExporter] of sdkSenders) {
    it(`builds the tree sent by the OTel SDK: ${label}`, async () => {
      const traceId = await sendWithSdk(makeExporter(base), `svc-${label.length}`);
      assertAgentTree(await traceWhenStored(traceId), `svc-${label.length}`);
    });
  }

  it('builds the tree sent by the real Traceloop SDK (workflow, tasks, agent, tool)', async () => {
    const stdout = await runSender('test/support/traceloopSender.ts', [base], { timeout: 40_000 });
    const traceId = stdout.trim();
    assert.match(traceId, /^[0-9a-f]{32}$/);
    let detail = await traceWhenStored(traceId);
    for (let attempt = 0; detail.spans.length < 5 && attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      detail = await traceWhenStored(traceId);
    }
    const byName = new Map(detail.spans.map((span) => [span.name, span]));
    const workflow = byName.get('joke_workflow.workflow')!;
    assert.ok(workflow, `spans: ${[...byName.keys()].join(', ')}`);
    assert.deepEqual(detail.roots, [workflow.spanId]);
    assert.equal(workflow.displayKind, 'workflow');
    assert.equal(workflow.entityName, 'joke_workflow');
    for (const [name, kind] of [['joke_creation.task', 'task'], ['pirate_agent.agent', 'agent'], ['signature_generation.task', 'task']] as const) {
      assert.equal(byName.get(name)?.parentSpanId, workflow.spanId, name);
      assert.equal(byName.get(name)?.displayKind, kind);
    }
    const tool = byName.get('translate.tool')!;
    assert.equal(tool.parentSpanId, byName.get('pirate_agent.agent')!.spanId);
    assert.equal(tool.displayKind, 'tool');
    assert.equal(tool.entityName, 'translate');
    // Traceloop scopes the workflow name to the enclosing agent.
    assert.equal(tool.workflowName, 'pirate_agent');
  });

  const ingestItems = [
    { trace_unique_id: 'ingest-trace', span_unique_id: 'root', span_name: 'workflow', log_type: 'workflow', start_time: '2025-05-01T10:00:00Z', timestamp: '2025-05-01T10:00:02Z' },
    { trace_unique_id: 'ingest-trace', span_unique_id: 'llm', span_parent_id: 'root', span_name: 'chat', log_type: 'chat', model: 'gpt-4o-mini', prompt_messages: [{ role: 'user', content: 'hi' }], completion_message: { role: 'assistant', content: 'hello' }, customer_identifier: 'cus_ingest', start_time: '2025-05-01T10:00:00.500Z', latency: 1.2 },
  ];
  const ingestCases: Array<[string, unknown]> = [
    ['/api/v1/traces/ingest', ingestItems],
    ['/v1/traces/ingest', { data: ingestItems }],
    ['/api/openai/v1/traces/ingest', ingestItems],
  ];
  for (const [path, body] of ingestCases) {
    it(`builds the tree sent to the Respan ingest API at ${path} (${Array.isArray(body) ? 'raw array' : '{"data": [...]}'})`, async () => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer k' }, body: JSON.stringify(body) });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { success: true, ingested_count: 2 });
      const { body: list } = await getJson<TraceListJson>('/api/traces?customer=cus_ingest');
      assert.equal(list.traces.length, 1);
      const detail = await traceWhenStored(list.traces[0].traceId);
      const [root, llm] = detail.spans;
      assert.equal(root.name, 'workflow');
      assert.equal(llm.parentSpanId, root.spanId);
      assert.equal(llm.model, 'gpt-4o-mini');
      assert.equal(llm.durationMs, 1200);
      assert.equal(llm.origin, 'ingest');
    });
  }

  it('re-imports its own /otlp export unchanged', async () => {
    const traceId = await sendWithSdk(new ProtoExporter({ url: `${base}/v1/traces` }), 'roundtrip');
    const before = await traceWhenStored(traceId);
    const exported = await fetch(`${base}/api/traces/${traceId}/otlp`);
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-disposition') ?? '', /trace-[0-9a-f]{32}\.json/);
    const otlp = await exported.text();
    store.clear();
    assert.equal((await getJson(`/api/traces/${traceId}`)).status, 404);
    const posted = await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: otlp });
    assert.equal(posted.status, 200);
    const after = await traceWhenStored(traceId);
    const strip = (detail: TraceDetailJson) => detail.spans.map(({ ...span }) => span);
    assert.deepEqual(strip(after), strip(before));
    assert.deepEqual(after.roots, before.roots);
  });

  it('streams coalesced change events to live clients', async () => {
    const events: StoreChangeJson[] = [];
    const stream = httpRequest(`${base}/api/events`);
    const opened = new Promise<void>((resolve) => {
      stream.on('response', (response) => {
        assert.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8');
        let buffer = '';
        response.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (message.startsWith('event: change')) events.push(JSON.parse(message.split('\ndata: ')[1]) as StoreChangeJson);
            if (message.startsWith('retry:')) resolve();
          }
        });
      });
    });
    stream.end();
    await opened;
    const traceId = await sendWithSdk(new JsonExporter({ url: `${base}/v1/traces` }), 'live');
    await traceWhenStored(traceId);
    const delivered = () => events.some((event) => event.added.includes(traceId));
    for (let attempt = 0; !delivered() && attempt < 100; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    stream.destroy();
    assert.ok(delivered(), JSON.stringify(events));
    const afterClear = events.filter((event) => !event.cleared);
    assert.ok(afterClear.length <= 3, `three spans in one request should not produce ${afterClear.length} events`);
  });

  it('filters the trace list through query parameters', async () => {
    const first = await sendWithSdk(new JsonExporter({ url: `${base}/v1/traces` }), 'filter-a');
    await traceWhenStored(first);
    await fetch(`${base}/api/v1/traces/ingest`, { method: 'POST', body: JSON.stringify(ingestItems) });
    const all = (await getJson<TraceListJson>('/api/traces')).body;
    assert.equal(all.traces.length, 2);
    assert.deepEqual((await getJson<TraceListJson>('/api/traces?service=filter-a')).body.traces.map((t) => t.traceId), [first]);
    assert.deepEqual((await getJson<TraceListJson>('/api/traces?errors=1')).body.traces.map((t) => t.traceId), [first]);
    assert.deepEqual((await getJson<TraceListJson>('/api/traces?model=gpt-4o-mini')).body.traces.length, 1);
    assert.deepEqual((await getJson<TraceListJson>('/api/traces?q=HELLO')).body.traces.length, 1);
    assert.equal((await getJson<TraceListJson>('/api/traces?limit=1')).body.total, 2);
    assert.deepEqual((await getJson<TraceListJson>(`/api/traces?ids=${first},${'f'.repeat(32)}`)).body.traces.map((t) => t.traceId), [first]);
    assert.deepEqual((await getJson<TraceListJson>(`/api/traces?ids=${all.traces.map((t) => t.traceId).join(',')}&errors=1`)).body.traces.map((t) => t.traceId), [first]);
    assert.deepEqual((await getJson<TraceListJson>('/api/traces?ids=')).body, { traces: [], total: 0 });
    assert.equal((await getJson('/api/traces?minDurationMs=soon')).status, 400);
  });

  it('pins, deletes and clears through the API', async () => {
    const traceId = await sendWithSdk(new JsonExporter({ url: `${base}/v1/traces` }), 'pin');
    await traceWhenStored(traceId);
    assert.equal((await fetch(`${base}/api/traces/${traceId}/pin`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${base}/api/traces`, { method: 'DELETE' })).status, 200);
    assert.equal((await getJson<TraceDetailJson>(`/api/traces/${traceId}`)).body.summary.pinned, true, 'pinned traces survive clearing');
    assert.equal((await fetch(`${base}/api/traces/${traceId}`, { method: 'DELETE' })).status, 200);
    assert.equal((await getJson(`/api/traces/${traceId}`)).status, 404);
  });

  describe('errors', () => {
    async function post(path: string, body: string | Uint8Array, headers: Record<string, string>) {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
      return { status: response.status, headers: response.headers, text: await response.text() };
    }

    it('answers a wrong method with 405 and an Allow header', async () => {
      const response = await fetch(`${base}/v1/traces`);
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'POST');
      assert.match(((await response.json()) as { error: string }).error, /POST/);
    });

    it('answers an unsupported Content-Type with 415 naming the supported ones', async () => {
      const answer = await post('/v1/traces', '<xml/>', { 'Content-Type': 'text/xml' });
      assert.equal(answer.status, 415);
      assert.match(answer.text, /application\/json or application\/x-protobuf/);
    });

    it('answers invalid JSON with 400 and a google.rpc.Status naming the problem', async () => {
      const answer = await post('/v1/traces', '{"resourceSpans": [', { 'Content-Type': 'application/json' });
      assert.equal(answer.status, 400);
      const status = JSON.parse(answer.text) as { code: number; message: string };
      assert.equal(status.code, 3);
      assert.match(status.message, /invalid JSON/);
    });

    it('answers a gzip header on a body that is not gzip with 400', async () => {
      const answer = await post('/v1/traces', '{}', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      assert.equal(answer.status, 400);
      assert.match(answer.text, /not valid gzip data/);
    });

    it('answers a body over the limit with 413, measured after decompression', async () => {
      const big = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(300 * 1024) });
      assert.equal((await post('/v1/traces', big, { 'Content-Type': 'application/json' })).status, 413);
      const compressed = gzipSync(big);
      assert.ok(compressed.length < 256 * 1024);
      assert.equal((await post('/v1/traces', compressed, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })).status, 413);
    });

    it('keeps the good spans of a request with a bad one, and says what was rejected', async () => {
      const good = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'good', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000000001' };
      const bad = { ...good, spanId: '--', name: 'bad' };
      const answer = await post('/v1/traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [good, bad] }] }] }), { 'Content-Type': 'application/json' });
      assert.equal(answer.status, 200);
      const body = JSON.parse(answer.text) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
      assert.equal(body.partialSuccess.rejectedSpans, 1);
      assert.match(body.partialSuccess.errorMessage, /spans\[1\]: span id "--" is not 16 hex digits/);
      assert.equal((await getJson<TraceDetailJson>(`/api/traces/${'ab'.repeat(16)}`)).body.spans[0].name, 'good');
    });

    it('answers a request whose every span is bad with 400', async () => {
      const bad = { traceId: 'zz', spanId: 'cd'.repeat(8) };
      const answer = await post('/v1/traces', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [bad] }] }] }), { 'Content-Type': 'application/json; charset=utf-8' });
      assert.equal(answer.status, 400);
      assert.match(answer.text, /no span could be accepted/);
    });

    it('answers ingest bodies of the wrong shape with 400 and a message', async () => {
      const answer = await post('/api/v1/traces/ingest', '{"spans": []}', { 'Content-Type': 'application/json' });
      assert.equal(answer.status, 400);
      assert.match(JSON.parse(answer.text).error, /array of spans/);
    });

    it('answers unknown traces and paths with 404 and a message', async () => {
      const missing = await getJson<{ error: string }>(`/api/traces/${'0f'.repeat(16)}`);
      assert.equal(missing.status, 404);
      assert.match(missing.body.error, /no trace with id/);
      assert.equal((await getJson('/api/traces/not-an-id')).status, 404);
      assert.equal((await getJson('/nothing/here')).status, 404);
    });

    it('keeps serving after every bad request', async () => {
      const traceId = await sendWithSdk(new ProtoExporter({ url: `${base}/v1/traces` }), 'still-up');
      assert.equal((await traceWhenStored(traceId)).spans.length, 3);
    });
  });
});
