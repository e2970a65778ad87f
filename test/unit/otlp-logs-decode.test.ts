/**
 * The OTLP logs decoders (protobuf and JSON) and the metrics counter, on
 * bodies written by the OpenTelemetry SDK's own serializers, and on bodies of
 * the wrong signal.
 */
import * as assert from 'node:assert/strict';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { JsonLogsSerializer, JsonMetricsSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MalformedPayloadError } from '../../src/core/model';
import { decodeOtlpLogsJson, decodeOtlpLogsJsonBytes } from '../../src/core/otlp/logsJson';
import { decodeOtlpLogsProto } from '../../src/core/otlp/logsProto';
import { countMetricsJsonBytes, countMetricsProto } from '../../src/core/otlp/metrics';
import { decodeOtlpProto } from '../../src/core/otlp/proto';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** Log records as the SDK hands them to exporters: one GenAI event in a span, one plain line outside any span. */
async function sdkLogRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'decode-test' }), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('openai-instrumentation', '0.21.0');
  const inSpan = trace.setSpanContext(context.active(), { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
  logger.emit({
    timestamp: 1_700_000_000_123,
    context: inSpan,
    severityNumber: SeverityNumber.INFO,
    attributes: { 'event.name': 'gen_ai.assistant.message', 'gen_ai.system': 'openai' },
    body: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
  });
  logger.emit({ eventName: 'app.started', severityNumber: SeverityNumber.WARN, severityText: 'warning', body: 'started on port 8080', attributes: { big: 2 ** 40 } });
  await provider.forceFlush();
  return exporter.getFinishedLogRecords();
}

describe('OTLP logs decoding', () => {
  it('reads what the SDK serializes, the same through protobuf and JSON', async () => {
    const records = await sdkLogRecords();
    const fromProto = decodeOtlpLogsProto(ProtobufLogsSerializer.serializeRequest(records)!);
    const fromJson = decodeOtlpLogsJsonBytes(JsonLogsSerializer.serializeRequest(records)!);
    assert.deepEqual(fromProto.rejected, []);
    assert.deepEqual(fromJson.rejected, []);
    assert.deepEqual(fromJson.records, fromProto.records);
    const [message, line] = fromProto.records;
    assert.equal(message.traceId, TRACE);
    assert.equal(message.spanId, SPAN);
    assert.equal(message.eventName, 'gen_ai.assistant.message', 'the event.name attribute names the event');
    assert.equal(message.timeUnixNano, 1_700_000_000_123_000_000n);
    assert.equal(message.severityNumber, 9);
    assert.equal(message.flags, 1);
    assert.deepEqual(message.body, { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] });
    assert.equal(message.resource['service.name'], 'decode-test');
    assert.deepEqual([message.scope.name, message.scope.version], ['openai-instrumentation', '0.21.0']);
    assert.equal(line.traceId, null);
    assert.equal(line.spanId, null);
    assert.equal(line.eventName, 'app.started', 'the eventName field names the event');
    assert.equal(line.severityText, 'warning');
    assert.equal(line.body, 'started on port 8080');
    assert.equal(line.timeUnixNano, line.observedTimeUnixNano, 'without a time, the observed time stands in');
    assert.ok(line.timeUnixNano > 0n);
    assert.equal(line.attributes.big, 2 ** 40);
  });

  it('reads snake_case JSON, severity names and an all-zero trace id as no trace context', () => {
    const result = decodeOtlpLogsJson({
      resource_logs: [{ scope_logs: [{ log_records: [{ trace_id: '0'.repeat(32), span_id: '', severity_number: 'SEVERITY_NUMBER_ERROR2', event_name: 'x', time_unix_nano: '5' }] }] }],
    });
    assert.deepEqual(result.rejected, []);
    assert.equal(result.records[0].traceId, null);
    assert.equal(result.records[0].severityNumber, 18);
    assert.equal(result.records[0].timeUnixNano, 5n);
  });

  it('rejects a record with a malformed id and keeps the others', () => {
    const good = { traceId: TRACE, spanId: SPAN, body: { stringValue: 'ok' } };
    const json = decodeOtlpLogsJson({ resourceLogs: [{ scopeLogs: [{ logRecords: [good, { traceId: 'zz', body: { stringValue: 'bad' } }, good] }] }] });
    assert.equal(json.records.length, 2);
    assert.equal(json.rejected.length, 1);
    assert.equal(json.rejected[0].path, 'resourceLogs[0].scopeLogs[0].logRecords[1]');
    assert.match(json.rejected[0].reason, /trace id "zz" is not 32 hex digits/);
  });

  it('refuses a trace export sent as logs, in JSON and in protobuf, naming the likely mistake', () => {
    assert.throws(() => decodeOtlpLogsJson({ resourceSpans: [] }), /this is an OTLP trace or metrics export; this endpoint takes logs/);
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.getTracer('test').startSpan('chat gpt-4o-mini', { attributes: { 'gen_ai.system': 'openai' } }).end();
    const traces = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!;
    assert.throws(() => decodeOtlpLogsProto(traces), (error: Error) => error instanceof MalformedPayloadError && /trace or metrics export sent to the logs path/.test(error.message));
  });

  it('is refused by the trace decoder when sent as traces', async () => {
    const logs = ProtobufLogsSerializer.serializeRequest(await sdkLogRecords())!;
    assert.throws(() => decodeOtlpProto(logs), /logs or metrics export/);
  });
});

describe('OTLP metrics counting', () => {
  async function sdkMetrics() {
    const reader = new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('decode-test');
    const tokens = meter.createHistogram('gen_ai.client.token.usage');
    tokens.record(31, { 'gen_ai.token.type': 'input' });
    tokens.record(12, { 'gen_ai.token.type': 'output' });
    meter.createCounter('requests').add(1);
    const { resourceMetrics } = await reader.collect();
    await provider.shutdown();
    return resourceMetrics;
  }

  it('counts the data points the SDK serializes, the same through protobuf and JSON', async () => {
    const metrics = await sdkMetrics();
    assert.equal(countMetricsProto(ProtobufMetricsSerializer.serializeRequest(metrics)!), 3);
    assert.equal(countMetricsJsonBytes(JsonMetricsSerializer.serializeRequest(metrics)!), 3);
  });

  it('refuses another signal sent as metrics', async () => {
    assert.throws(() => countMetricsJsonBytes(Buffer.from('{"resourceLogs":[]}')), /trace or logs export; this endpoint takes metrics/);
    const logs = ProtobufLogsSerializer.serializeRequest(await sdkLogRecords())!;
    assert.throws(() => countMetricsProto(logs), (error: Error) => error instanceof MalformedPayloadError && /metrics path/.test(error.message));
  });
});
