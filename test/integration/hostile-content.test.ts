/**
 * Spans whose content nests without end, through the real listener: stored,
 * served by the query API, read the way the span details read them, previewed
 * and forwarded to a fake Respan in both API forms. Every answer is 200, the
 * cut is marked where content was parsed, and the other spans are untouched.
 */
import { strict as assert } from 'node:assert';
import type { ForwardApi } from '../../src/core/forward/destination';
import { conversationOf, entityIO, requestSettings } from '../../src/core/llm/conversation';
import { TOO_DEEP } from '../../src/core/nesting';
import { TraceStore } from '../../src/core/store';
import type { ForwardPreviewJson, ForwardTraceJson, SpanJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { createNodeForwarder, type NodeForwarding } from '../../src/server/forwarding';
import { InspectorServer } from '../../src/server/server';
import { FakeRespan } from '../support/fakeRespan';
import { HOSTILE_ATTRIBUTES, HOSTILE_INGEST_FIELDS } from '../support/hostileContent';

const OTLP_TRACE = 'a1'.repeat(16);
const CALM_TRACE = 'b2'.repeat(16);

function otlpBody(): string {
  const attributes = (entries: Record<string, string>) => Object.entries(entries).map(([key, value]) => ({ key, value: { stringValue: value } }));
  const span = (traceId: string, spanId: string, name: string, attrs: Record<string, string>, parentSpanId = '') => ({
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: 3,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000001000000000',
    attributes: attributes(attrs),
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attributes({ 'service.name': 'hostile-content' }) },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              span(OTLP_TRACE, '1000000000000001', 'agent.workflow', { 'traceloop.span.kind': 'workflow' }),
              span(OTLP_TRACE, '1000000000000002', 'openai.chat', HOSTILE_ATTRIBUTES, '1000000000000001'),
              span(CALM_TRACE, '2000000000000001', 'calm.chat', { 'llm.request.type': 'chat', 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'calm' }),
            ],
          },
        ],
      },
    ],
  });
}

/** What the span details compute from a span of the query API. */
function readAsDetails(span: SpanJson): string {
  return JSON.stringify({ conversation: conversationOf(span), io: entityIO(span.attributes), settings: requestSettings(span.attributes) });
}

for (const api of ['otlp', 'ingest'] as const satisfies readonly ForwardApi[]) {
  describe(`hostile content: nesting without end (forwarding as ${api})`, function () {
    this.timeout(60_000);
    let fake: FakeRespan;
    let store: TraceStore;
    let forwarding: NodeForwarding;
    let server: InspectorServer;
    let ingestTrace: string;

    before(async () => {
      fake = new FakeRespan();
      await fake.start(0);
      store = new TraceStore({ schedule: (callback) => void setImmediate(callback) });
      forwarding = createNodeForwarder({ store, apiKey: 'rk_hostile_content_key', baseUrl: fake.baseUrl, settings: { api }, limits: { batchDelayMs: 10 } });
      server = new InspectorServer({ store, port: 0, forwarding: forwarding.forwarder });
      await server.start();
      const otlp = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: otlpBody() });
      assert.equal(otlp.status, 200, await otlp.text());
      const ingest = await fetch(`${server.url}/api/v1/traces/ingest`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([{ trace_unique_id: 'hostile-ingest', span_unique_id: 'chat-1', span_name: 'chat', ...HOSTILE_INGEST_FIELDS }]),
      });
      assert.equal(ingest.status, 200, await ingest.text());
      ingestTrace = store.list().traces.find((entry) => entry.traceId !== OTLP_TRACE && entry.traceId !== CALM_TRACE)!.traceId;
    });

    after(async () => {
      forwarding.dispose();
      await server.stop();
      await fake.stop();
    });

    const get = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${server.url}${path}`);
      const text = await response.text();
      assert.equal(response.status, 200, `${path}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as T;
    };

    it('lists the traces and serves each one, its span details readable with the cut marked', async () => {
      const list = await get<TraceListJson>('/api/traces');
      assert.equal(list.total, 3);
      const hostile = await get<TraceDetailJson>(`/api/traces/${OTLP_TRACE}`);
      const chat = hostile.spans.find((span) => span.name === 'openai.chat')!;
      assert.equal(chat.attributes['gen_ai.completion.0.content'], HOSTILE_ATTRIBUTES['gen_ai.completion.0.content'], 'the attribute itself is kept whole');
      assert.ok(JSON.stringify(chat.respan?.metadata).includes(TOO_DEEP));
      const details = readAsDetails(chat);
      assert.ok(details.includes(TOO_DEEP));
      assert.match(details, /"text":"hello"/);
      readAsDetails(hostile.spans.find((span) => span.name === 'agent.workflow')!);
      const ingest = await get<TraceDetailJson>(`/api/traces/${ingestTrace}`);
      assert.ok(readAsDetails(ingest.spans[0]).includes(TOO_DEEP));
      const calm = await get<TraceDetailJson>(`/api/traces/${CALM_TRACE}`);
      assert.match(readAsDetails(calm.spans[0]), /"text":"calm"/);
      await get(`/api/traces/${OTLP_TRACE}/otlp`);
    });

    it(`previews forwarding (${api}) with an answer of 200`, async () => {
      const preview = await get<ForwardPreviewJson>(`/api/traces/${OTLP_TRACE}/forward/preview`);
      assert.equal(preview.api, api);
      assert.equal(preview.spanCount, 2);
      const body = JSON.stringify(preview.body);
      if (api === 'ingest') assert.ok(body.includes(TOO_DEEP), 'the parsed conversation is cut where marked');
      else assert.ok(body.includes(JSON.stringify(HOSTILE_ATTRIBUTES['gen_ai.completion.0.content'])), 'OTLP sends the attributes whole');
      await get<ForwardPreviewJson>(`/api/traces/${ingestTrace}/forward/preview`);
    });

    it(`forwards the hostile traces (${api}) and Respan receives them`, async () => {
      for (const traceId of [OTLP_TRACE, ingestTrace]) {
        const response = await fetch(`${server.url}/api/traces/${traceId}/forward?wait=1`, { method: 'POST' });
        const body = (await response.json()) as ForwardTraceJson;
        assert.equal(response.status, 200);
        assert.equal(body.ok, true, body.message);
      }
      assert.equal(fake.accepted.length, 2);
      assert.ok(fake.accepted.every((request) => request.path === (api === 'ingest' ? '/api/v1/traces/ingest' : '/api/v2/traces')));
      if (api === 'ingest') assert.ok(fake.accepted[0].body.includes(TOO_DEEP));
    });
  });
}
