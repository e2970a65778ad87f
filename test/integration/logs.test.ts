/**
 * OTLP logs and metrics end to end: real OpenTelemetry senders (the GenAI
 * instrumentation around the real `openai` client, the SDK's log and metric
 * exporters over HTTP JSON, protobuf with gzip, and gRPC) against a real
 * listener, seen through the query API; and bad input on the logs and metrics
 * paths, answered as on the traces path.
 */
import * as assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { context, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as protobuf from 'protobufjs/light';
import { conversationOf } from '../../src/core/llm/conversation';
import type { LogRecord } from '../../src/core/logs/record';
import type { Span } from '../../src/core/model';
import { decodeLogsResponseProto } from '../../src/core/otlp/logsProto';
import { TraceStore, type AddOptions } from '../../src/core/store';
import type { LogRecordJson, SpanJson, StatusJson, TraceDetailJson, TraceLogsJson, UntracedLogsJson } from '../../src/protocol/api';
import { startInspector, type RunningInspector } from '../../src/server/listener';
import { DEFAULT_TEXT, startFakeProvider, type FakeProvider } from '../support/fakeProvider';
import { messageOf, rawRequest, type RawResponse } from '../support/rawHttp';
import { runSender } from '../support/senders';

/** A store that notes which signal arrived when. */
class RecordingStore extends TraceStore {
  arrivals: Array<'spans' | 'logs'> = [];

  override *addInSteps(spans: readonly Span[], options?: AddOptions): Generator<void, void> {
    this.arrivals.push('spans');
    yield* super.addInSteps(spans, options);
  }

  override addLogs(records: readonly LogRecord[]): Span[] {
    this.arrivals.push('logs');
    return super.addLogs(records);
  }
}

const LIMIT = 256 * 1024;

describe('OTLP logs and metrics from real senders', function () {
  this.timeout(60_000);
  let store: RecordingStore;
  let inspector: RunningInspector;
  let base: string;
  let fake: FakeProvider;

  before(async () => {
    store = new RecordingStore({ schedule: (flush) => setTimeout(flush, 5) });
    inspector = await startInspector({ store, httpPort: 0, grpcPort: 0, maxBodyBytes: LIMIT });
    base = inspector.httpUrl!;
    fake = await startFakeProvider();
  });
  after(async () => {
    await inspector.stop();
    await fake.close();
  });
  beforeEach(() => {
    store.clear();
    store.arrivals = [];
  });

  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, `${path}: ${response.status}`);
    return (await response.json()) as T;
  }

  describe('the OTel GenAI instrumentation (traces over gRPC, message events as logs over HTTP)', () => {
    for (const order of ['logs-first', 'spans-first'] as const) {
      it(`shows the conversation with the tool call and its result, the model and the tokens, when the logs come ${order === 'logs-first' ? 'before' : 'after'} the spans`, async () => {
        const stdout = await runSender('test/support/genaiSender.ts', [inspector.grpcEndpoint!, base, fake.openaiBaseUrl, order], {
          env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' },
        });
        const traceId = stdout.trim();
        assert.equal(store.arrivals[0], order === 'logs-first' ? 'logs' : 'spans');
        assert.deepEqual(new Set(store.arrivals), new Set(['logs', 'spans']));

        const detail = await getJson<TraceDetailJson>(`/api/traces/${traceId}`);
        const isResponsesCall = (span: SpanJson) => span.attributes['gen_ai.response.id'] === 'resp_fake';
        const chats = detail.spans.filter((span) => span.name === 'chat gpt-4o-mini' && !isResponsesCall(span));
        assert.equal(chats.length, 2);
        for (const chat of chats) {
          assert.equal(chat.displayKind, 'llm');
          assert.equal(chat.model, 'gpt-4o-mini');
          assert.deepEqual(chat.tokens, { input: 31, output: 12, total: 43 });
        }
        assert.deepEqual(detail.logs, [], 'every record is an event of its span');

        const [first, followUp] = chats;
        const asked = conversationOf(first)!;
        assert.equal(asked.source, 'genai-events');
        assert.deepEqual(
          asked.messages.map((message) => message.role),
          ['system', 'user', 'assistant'],
        );
        assert.deepEqual(asked.messages[1].parts, [{ type: 'text', text: 'What is the weather in Paris?' }]);
        assert.deepEqual(asked.messages[2].toolCalls, [{ id: 'call_fake_1', name: 'get_weather', arguments: { city: 'Paris' } }]);

        const answered = conversationOf(followUp)!;
        assert.deepEqual(
          answered.messages.map((message) => [message.role, message.direction]),
          [
            ['system', 'input'],
            ['user', 'input'],
            ['assistant', 'input'],
            ['tool', 'input'],
            ['assistant', 'output'],
          ],
        );
        assert.deepEqual(answered.messages[2].toolCalls, [{ id: 'call_fake_1', name: 'get_weather', arguments: { city: 'Paris' } }]);
        assert.equal(answered.messages[3].toolCallId, 'call_fake_1');
        assert.deepEqual(answered.messages[3].parts, [{ type: 'text', text: '{"temperature_c": 21, "sky": "clear"}' }]);
        assert.deepEqual(answered.messages[4].parts, [{ type: 'text', text: DEFAULT_TEXT }]);
        assert.equal(answered.messages[4].finishReason, 'stop');

        const logEvents = (span: SpanJson) => span.events.filter((event) => event.log !== undefined).map((event) => event.name);
        assert.deepEqual(logEvents(first), ['gen_ai.system.message', 'gen_ai.user.message', 'gen_ai.choice']);
        assert.deepEqual(logEvents(followUp), ['gen_ai.system.message', 'gen_ai.user.message', 'gen_ai.assistant.message', 'gen_ai.tool.message', 'gen_ai.choice']);
        assert.equal(followUp.events[0].log?.severityNumber, SeverityNumber.INFO);

        const responses = detail.spans.filter(isResponsesCall);
        assert.equal(responses.length, 1);
        const [responsesCall] = responses;
        assert.deepEqual(responsesCall.tokens, { input: 31, output: 12, total: 43 });
        assert.deepEqual(logEvents(responsesCall), ['gen_ai.client.inference.operation.details', 'gen_ai.client.inference.operation.details']);
        const told = conversationOf(responsesCall)!;
        assert.equal(told.source, 'genai', 'the operation-details events are the GenAI convention, read with the span attributes');
        assert.deepEqual(
          told.messages.map((message) => [message.role, message.direction, message.parts]),
          [
            ['system', 'input', [{ type: 'text', text: 'Answer in one line.' }]],
            ['user', 'input', [{ type: 'text', text: 'Tell me a joke about traces.' }]],
            ['assistant', 'output', [{ type: 'text', text: DEFAULT_TEXT }]],
          ],
        );

        const callIds = new Set([first.spanId, followUp.spanId, responsesCall.spanId]);
        const { logs } = await getJson<TraceLogsJson>(`/api/traces/${traceId}/logs`);
        assert.equal(logs.length, 10);
        assert.ok(logs.every((record) => record.traceId === traceId && callIds.has(record.spanId!)));
        assert.equal((await getJson<StatusJson>('/api/status')).logRecordCount, 10);
      });
    }
  });

  describe('the SDK log exporters', () => {
    /** A span exported over OTLP/HTTP, and one left unended (never exported), as an instrumentation that fails to end a span leaves it. */
    async function exportSpans(): Promise<{ ended: SpanContext; unended: SpanContext }> {
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }))] });
      const tracer = provider.getTracer('logs-test');
      const root = tracer.startSpan('handle_request');
      const unended = tracer.startSpan('call_tool', {}, trace.setSpan(context.active(), root));
      root.end();
      await provider.forceFlush();
      return { ended: root.spanContext(), unended: unended.spanContext() };
    }

    /** Emits a record in each span, and one outside any span, through `exporter`. */
    async function emitLogs(exporter: LogRecordExporter, spans: { ended: SpanContext; unended: SpanContext }): Promise<void> {
      const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'logs-test' }), processors: [new BatchLogRecordProcessor({ exporter })] });
      const logger = provider.getLogger('app');
      const inSpan = (span: SpanContext) => trace.setSpanContext(context.active(), span);
      logger.emit({ context: inSpan(spans.ended), severityNumber: SeverityNumber.WARN, severityText: 'WARN', eventName: 'cache.miss', body: 'cache miss for user 42', attributes: { 'cache.key': 'user:42' } });
      logger.emit({ context: inSpan(spans.unended), severityNumber: SeverityNumber.ERROR, body: { tool: 'search', error: 'timeout' } });
      logger.emit({ severityNumber: SeverityNumber.INFO, body: 'worker started' });
      await provider.forceFlush();
      await provider.shutdown();
    }

    const exporters: Array<[string, () => LogRecordExporter]> = [
      ['protobuf with gzip', () => new ProtoLogExporter({ url: `${base}/v1/logs`, compression: CompressionAlgorithm.GZIP })],
      ['gRPC', () => new GrpcLogExporter({ url: inspector.grpcEndpoint })],
    ];
    for (const [transport, exporter] of exporters) {
      it(`takes logs over ${transport}: attached to their span, listed with their trace when their span never came, kept when they have no trace`, async () => {
        const spans = await exportSpans();
        await emitLogs(exporter(), spans);
        const traceId = spans.ended.traceId;
        const detail = await getJson<TraceDetailJson>(`/api/traces/${traceId}`);
        const [handled] = detail.spans;
        const [event] = handled.events;
        assert.equal(event.name, 'cache.miss');
        assert.equal(event.attributes['event.body'], 'cache miss for user 42');
        assert.equal(event.attributes['cache.key'], 'user:42');
        assert.deepEqual([event.log?.severityNumber, event.log?.severityText], [SeverityNumber.WARN, 'WARN']);

        assert.equal(detail.logs.length, 1, 'the record of the span that never came is listed with the trace');
        const [waiting] = detail.logs;
        assert.equal(waiting.spanId, spans.unended.spanId);
        assert.deepEqual(waiting.body, { tool: 'search', error: 'timeout' });
        assert.equal(waiting.severityNumber, SeverityNumber.ERROR);
        assert.equal(waiting.resource['service.name'], 'logs-test');

        const untraced = await getJson<UntracedLogsJson>('/api/logs');
        assert.deepEqual(
          untraced.logs.map((record) => record.body),
          ['worker started'],
        );
        assert.equal(untraced.received, 1);
      });
    }
  });

  describe('the SDK metric exporters', () => {
    async function collectMetrics() {
      const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 600_000 });
      const provider = new MeterProvider({ readers: [reader] });
      const meter = provider.getMeter('metrics-test');
      const usage = meter.createHistogram('gen_ai.client.token.usage');
      usage.record(31, { 'gen_ai.token.type': 'input' });
      usage.record(12, { 'gen_ai.token.type': 'output' });
      const { resourceMetrics } = await reader.collect();
      await provider.shutdown();
      return resourceMetrics;
    }

    it('answers metrics over HTTP JSON, HTTP protobuf and gRPC with success, and counts them in /api/status', async () => {
      const metrics = await collectMetrics();
      const exporters: PushMetricExporter[] = [
        new JsonMetricExporter({ url: `${base}/v1/metrics` }),
        new ProtoMetricExporter({ url: `${base}/v1/metrics` }),
        new GrpcMetricExporter({ url: inspector.grpcEndpoint }),
      ];
      const before = (await getJson<StatusJson>('/api/status')).metrics;
      for (const exporter of exporters) {
        const result = await new Promise<ExportResult>((resolve) => exporter.export(metrics, resolve));
        assert.equal(result.error, undefined);
        assert.equal(result.code, ExportResultCode.SUCCESS);
        await exporter.shutdown();
      }
      const after = (await getJson<StatusJson>('/api/status')).metrics;
      assert.deepEqual(after, { exportRequests: before.exportRequests + 3, dataPoints: before.dataPoints + 3 * 2 });
    });
  });

  describe('bad input on the logs and metrics paths', () => {
    const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}) => rawRequest(`${base}${path}`, { method: 'POST', body, headers });
    const json = { 'Content-Type': 'application/json' };
    const proto = { 'Content-Type': 'application/x-protobuf' };

    function assertError(response: RawResponse, status: number, pattern: RegExp): void {
      assert.equal(response.status, status, response.text);
      assert.match(messageOf(response), pattern);
    }

    /** Two records as the SDK serializes them (OTLP/JSON), in a span of trace `traceId`. */
    async function sdkLogsJson(traceId: string): Promise<{ resourceLogs: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> }> {
      const exporter = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
      const logger = provider.getLogger('app');
      const inSpan = trace.setSpanContext(context.active(), { traceId, spanId: 'a1b2c3d4e5f60718', traceFlags: TraceFlags.SAMPLED });
      logger.emit({ context: inSpan, body: 'first' });
      logger.emit({ context: inSpan, body: 'second' });
      await provider.forceFlush();
      return JSON.parse(Buffer.from(JsonLogsSerializer.serializeRequest(exporter.getFinishedLogRecords())!).toString('utf8'));
    }

    /** A real trace export (one span) in OTLP protobuf and JSON. */
    function sdkTraces(): { protobuf: Buffer; json: Buffer } {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      provider.getTracer('test').startSpan('chat gpt-4o-mini').end();
      const spans = exporter.getFinishedSpans();
      return { protobuf: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), json: Buffer.from(JsonTraceSerializer.serializeRequest(spans)!) };
    }

    it('answers malformed JSON and protobuf with 400 in their own encoding', async () => {
      assertError(await post('/v1/logs', '{"resourceLogs": [', json), 400, /invalid JSON/);
      const broken = await post('/v1/logs', Buffer.from([0x0a, 0x05, 0x12]), proto);
      assert.equal(broken.headers['content-type'], 'application/x-protobuf');
      assertError(broken, 400, /invalid OTLP protobuf/);
      assertError(await post('/v1/metrics', '[]', json), 400, /must be a JSON object/);
      assertError(await post('/v1/metrics', Buffer.from([0x0a, 0x05, 0x12]), proto), 400, /invalid OTLP protobuf/);
    });

    it('answers an unsupported content type with 415, a wrong method with 405, a bad gzip body with 400', async () => {
      assertError(await post('/v1/logs', '<logs/>', { 'Content-Type': 'text/xml' }), 415, /application\/json or application\/x-protobuf/);
      const get = await rawRequest(`${base}/v1/logs`);
      assert.equal(get.status, 405);
      assert.equal(get.headers.allow, 'POST');
      assertError(await post('/v1/logs', 'not gzip', { ...json, 'Content-Encoding': 'gzip' }), 400, /not valid gzip/);
    });

    it('answers a body over the limit, after decompression, with 413', async () => {
      const body = JSON.stringify({ resourceLogs: [], padding: 'x'.repeat(LIMIT) });
      assertError(await post('/v1/logs', body, json), 413, new RegExp(`limit of ${LIMIT} bytes`));
      assertError(await post('/v1/logs', gzipSync(body), { ...json, 'Content-Encoding': 'gzip' }), 413, /after decompression/);
      assertError(await post('/v1/metrics', gzipSync(body), { ...json, 'Content-Encoding': 'gzip' }), 413, /after decompression/);
    });

    it('refuses a trace export on the logs and metrics paths, naming the mistake, and stores nothing', async () => {
      const traces = sdkTraces();
      assertError(await post('/v1/logs', traces.json, json), 400, /trace or metrics export; this endpoint takes logs/);
      assertError(await post('/v1/logs', traces.protobuf, proto), 400, /trace or metrics export sent to the logs path/);
      assertError(await post('/v1/metrics', traces.json, json), 400, /trace or logs export; this endpoint takes metrics/);
      assertError(await post('/v1/metrics', traces.protobuf, proto), 400, /sent to the metrics path/);
      assert.equal(store.traceCount, 0);
      assert.equal(store.logRecordCount, 0);
    });

    it('keeps the good records of a JSON export with a bad one, and says which was rejected (also under /api)', async () => {
      const traceId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
      const body = await sdkLogsJson(traceId);
      const records = body.resourceLogs[0].scopeLogs[0].logRecords;
      records.splice(1, 0, { traceId: 'not-hex', body: { stringValue: 'bad' } });
      for (const path of ['/v1/logs', '/api/v1/logs']) {
        store.clear();
        const response = await post(path, JSON.stringify(body), json);
        assert.equal(response.status, 200, response.text);
        const answer = JSON.parse(response.text) as { partialSuccess: { rejectedLogRecords: number; errorMessage: string } };
        assert.equal(answer.partialSuccess.rejectedLogRecords, 1);
        assert.match(answer.partialSuccess.errorMessage, /^1 log record rejected: resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]: trace id "not-hex"/);
        const { logs } = await getJson<TraceLogsJson>(`/api/traces/${traceId}/logs`);
        assert.deepEqual(
          logs.map((record: LogRecordJson) => record.body),
          ['first', 'second'],
        );
      }
    });

    /** OTLP logs protobuf from plain objects, for records no SDK would write. */
    const logsProto = protobuf.Root.fromJSON({
      nested: {
        AnyValue: { fields: { stringValue: { type: 'string', id: 1 } } },
        Request: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
        ResourceLogs: { fields: { scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 } } },
        ScopeLogs: { fields: { logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 } } },
        LogRecord: { fields: { body: { type: 'AnyValue', id: 5 }, traceId: { type: 'bytes', id: 9 }, spanId: { type: 'bytes', id: 10 } } },
      },
    }).lookupType('Request');
    const TRACE_ID = Buffer.from('c0ffee00c0ffee00c0ffee00c0ffee00', 'hex');
    const withBadRecord = Buffer.from(
      logsProto
        .encode(
          logsProto.fromObject({
            resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: TRACE_ID, body: { stringValue: 'kept' } }, { traceId: Buffer.from('c0ffee', 'hex'), body: { stringValue: 'bad' } }] }] }],
          }),
        )
        .finish(),
    );

    it('keeps the good records of a protobuf export with a bad one, over HTTP and gRPC', async () => {
      const response = await post('/v1/logs', withBadRecord, proto);
      assert.equal(response.status, 200);
      const answer = decodeLogsResponseProto(response.body);
      assert.equal(answer.rejectedLogRecords, 1);
      assert.match(answer.errorMessage, /logRecords\[1\]: trace id must be 16 bytes, got 3/);

      store.clear();
      const client = new grpc.Client(`127.0.0.1:${inspector.grpc!.port}`, grpc.credentials.createInsecure());
      const call = (path: string, bytes: Buffer) =>
        new Promise<{ error: grpc.ServiceError | null; answer?: Buffer }>((resolve) => client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, (error, answer) => resolve({ error, answer })));
      try {
        const partial = await call('/opentelemetry.proto.collector.logs.v1.LogsService/Export', withBadRecord);
        assert.equal(partial.error, null);
        assert.equal(decodeLogsResponseProto(partial.answer!).rejectedLogRecords, 1);
        const refused = await call('/opentelemetry.proto.collector.logs.v1.LogsService/Export', sdkTraces().protobuf);
        assert.equal(refused.error?.code, grpc.status.INVALID_ARGUMENT);
        assert.match(refused.error!.details, /sent to the logs path/);
        const metrics = await call('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', Buffer.from([0x0a, 0x05, 0x12]));
        assert.equal(metrics.error?.code, grpc.status.INVALID_ARGUMENT);
      } finally {
        client.close();
      }
      const { logs } = await getJson<TraceLogsJson>(`/api/traces/${TRACE_ID.toString('hex')}/logs`);
      assert.deepEqual(
        logs.map((record) => record.body),
        ['kept'],
      );
    });

    it('answers an export whose every record is bad with 400', async () => {
      const allBad = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ spanId: 'x' }, { traceId: 7 }] }] }] });
      assertError(await post('/v1/logs', allBad, json), 400, /^no log record could be accepted; 2 log records rejected/);
    });
  });
});

describe('log records within the memory bound', function () {
  this.timeout(60_000);

  it('evicts early records of traces that never got a span, oldest first, keeping the store within its bound', async () => {
    const store = new TraceStore({ maxBytes: 2 * 1024 * 1024 });
    const inspector = await startInspector({ store, httpPort: 0, grpcPort: null });
    try {
      const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: new JsonLogExporter({ url: `${inspector.httpUrl}/v1/logs` }) })] });
      const logger = provider.getLogger('app');
      const traceIds = Array.from({ length: 5 }, (_, i) => `${(i + 1).toString(16).padStart(2, '0')}${'ab'.repeat(15)}`);
      for (const traceId of traceIds) {
        logger.emit({ context: trace.setSpanContext(context.active(), { traceId, spanId: '0102030405060708', traceFlags: TraceFlags.SAMPLED }), body: 'p'.repeat(700_000) });
        await provider.forceFlush();
      }
      await provider.shutdown();
      assert.ok(store.approxBytes <= 2 * 1024 * 1024, `the store holds ${store.approxBytes} bytes`);
      assert.ok(store.logRecordCount < traceIds.length);
      const status = (id: string) => fetch(`${inspector.httpUrl}/api/traces/${id}/logs`).then((response) => response.status);
      assert.equal(await status(traceIds[0]), 404, 'the oldest went');
      assert.equal(await status(traceIds[4]), 200, 'the newest stayed');
    } finally {
      await inspector.stop();
    }
  });
});
