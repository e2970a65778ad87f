/**
 * The fuzz corpus: real payloads to mutate. OTLP JSON and protobuf exactly as
 * the OpenTelemetry SDK serialises them (traces, logs, metrics), generated
 * OTLP requests covering every AnyValue type, and Respan ingest bodies.
 */

import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import { encodeExportRequestProto } from '../../src/core/otlp/proto';
import { randomOtlpRequest, seededRandom, toProtoObject } from '../fixtures/otlp';

/** What a seed is, which decides where it is sent and how it is labelled. */
export type SeedKind = 'otlp-json' | 'otlp-proto' | 'logs-json' | 'logs-proto' | 'metrics-json' | 'metrics-proto' | 'ingest';

/** One corpus entry. */
export interface Seed {
  kind: SeedKind;
  bytes: Buffer;
}

/** Counting ids, so the corpus (and so every fuzz input) is the same on every run. */
function countingIds(): IdGenerator {
  let next = 0;
  const hex = (length: number) => (++next).toString(16).padStart(length, '0');
  return { generateTraceId: () => `f0${hex(30)}`, generateSpanId: () => hex(16) };
}

/** Spans recorded by the real SDK: an agent workflow with an LLM call, a tool, an error and an event; fixed ids and times. */
async function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz-agent', 'deployment.environment': 'dev' }),
    idGenerator: countingIds(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('fuzz', '1.0.0');
  const at = (ms: number) => new Date(1_700_000_000_000 + ms);
  const root = tracer.startSpan('joke_workflow.workflow', { startTime: at(0), attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.input': '{"args":["x"],"kwargs":{}}' } });
  const parent = trace.setSpan(context.active(), root);
  const llm = tracer.startSpan(
    'openai.chat',
    {
      kind: SpanKind.CLIENT,
      startTime: at(1),
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Tell me a joke',
        'gen_ai.completion.0.content': 'Why did the span cross the road?',
        'gen_ai.usage.input_tokens': 12,
        'llm.is_streaming': false,
        scores: [0.1, 0.2],
        tags: ['a', 'b'],
      },
    },
    parent,
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': 'Tell me a joke' }, at(2));
  llm.end(at(900));
  const tool = tracer.startSpan('get_weather.tool', { startTime: at(901), links: [{ context: llm.spanContext(), attributes: { why: 'caused-by' } }] }, parent);
  tool.recordException({ name: 'RateLimitError', message: 'rate limited', stack: 'RateLimitError: rate limited\n    at call (/app/agent.js:12:5)' }, at(950));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  tool.end(at(960));
  root.end(at(1_000));
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** Log records recorded by the real SDK: GenAI message events in a span, a plain line outside any; fixed times. */
async function sdkLogRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'fuzz-agent' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('fuzz', '1.0.0');
  const inSpan = trace.setSpanContext(context.active(), { traceId: `f0${'1'.padStart(30, '0')}`, spanId: '2'.padStart(16, '0'), traceFlags: TraceFlags.SAMPLED });
  const at = 1_700_000_000_000;
  logger.emit({ timestamp: at, observedTimestamp: at, context: inSpan, severityNumber: SeverityNumber.INFO, attributes: { 'event.name': 'gen_ai.user.message', 'gen_ai.system': 'openai' }, body: { content: 'Tell me a joke' } });
  logger.emit({
    timestamp: at + 1,
    observedTimestamp: at + 1,
    context: inSpan,
    severityNumber: SeverityNumber.INFO,
    eventName: 'gen_ai.choice',
    body: { index: 0, finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] } },
  });
  logger.emit({ timestamp: at + 2, observedTimestamp: at + 2, severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'worker restarted', attributes: { attempts: 3, tags: ['a', 'b'] } });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

/** Metrics recorded by the real SDK: a histogram and a counter. */
async function sdkMetrics() {
  const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'fuzz-agent' }), readers: [reader] });
  const meter = provider.getMeter('fuzz', '1.0.0');
  meter.createHistogram('gen_ai.client.token.usage').record(31, { 'gen_ai.token.type': 'input' });
  meter.createCounter('requests').add(2, { route: '/chat' });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  // The SDK stamps data points with the clock: fixed times keep the corpus the same on every run.
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints as Array<{ startTime: [number, number]; endTime: [number, number] }>) {
        point.startTime = [1_700_000_000, 0];
        point.endTime = [1_700_000_001, 0];
      }
    }
  }
  return resourceMetrics;
}

/** Builds the corpus; the same bytes on every run. */
export async function buildSeeds(): Promise<Seed[]> {
  const spans = await sdkSpans();
  const records = await sdkLogRecords();
  const metrics = await sdkMetrics();
  const seeds: Seed[] = [
    { kind: 'otlp-json', bytes: Buffer.from(JsonTraceSerializer.serializeRequest(spans)!) },
    { kind: 'otlp-proto', bytes: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!) },
    { kind: 'logs-json', bytes: Buffer.from(JsonLogsSerializer.serializeRequest(records)!) },
    { kind: 'logs-proto', bytes: Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!) },
    { kind: 'metrics-json', bytes: Buffer.from(JsonMetricsSerializer.serializeRequest(metrics)!) },
    { kind: 'metrics-proto', bytes: Buffer.from(ProtobufMetricsSerializer.serializeRequest(metrics)!) },
  ];
  const random = seededRandom(0xc0ffee);
  for (let i = 0; i < 6; i++) {
    const request = randomOtlpRequest(random, 4);
    seeds.push({ kind: 'otlp-json', bytes: Buffer.from(JSON.stringify(request)) });
    seeds.push({ kind: 'otlp-proto', bytes: Buffer.from(encodeExportRequestProto(toProtoObject(request))) });
  }
  const ingest = [
    {
      trace_unique_id: 'trace-1',
      span_unique_id: 'span-1',
      span_parent_id: null,
      span_name: 'agent.run',
      start_time: '2025-01-01T00:00:00.000000Z',
      timestamp: '2025-01-01T00:00:01.5Z',
      latency: 1.5,
      model: 'gpt-4o',
      prompt_messages: [{ role: 'user', content: 'hi' }],
      completion_message: { role: 'assistant', content: 'hello' },
      usage: { prompt_tokens: 3, completion_tokens: 2 },
      metadata: { env: 'dev', nested: { a: [1, 2, { b: null }] } },
      status_code: 200,
    },
    { trace_unique_id: 'trace-1', span_unique_id: 'span-2', span_parent_id: 'span-1', span_name: 'tool', input: '{"q":1}', output: { ok: true }, error_bit: 1, error_message: 'boom' },
  ];
  seeds.push({ kind: 'ingest', bytes: Buffer.from(JSON.stringify(ingest)) });
  seeds.push({ kind: 'ingest', bytes: Buffer.from(JSON.stringify({ data: ingest })) });
  return seeds;
}
