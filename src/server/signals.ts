/**
 * The three OTLP signals as the receivers (OTLP/HTTP and OTLP/gRPC) handle
 * them: how each export request decodes, where what it carried goes, and how
 * each is answered. Traces and logs are kept; metrics are counted and answered
 * with success, so an app that exports them logs no errors.
 */

import type { LogDecodeResult, LogRecord } from '../core/logs/record';
import type { Rejections, Span } from '../core/model';
import type { DecodeLimits } from '../core/otlp/common';
import { decodeOtlpLogsJsonBytesInSteps } from '../core/otlp/logsJson';
import { decodeOtlpLogsProtoInSteps, encodeLogsResponseProto } from '../core/otlp/logsProto';
import { countMetricsJsonBytes, countMetricsProto, encodeMetricsResponseProto } from '../core/otlp/metrics';
import { encodeExportResponseProto } from '../core/otlp/proto';
import { decodeSpanSourceInSteps, type SpanSource, type SpanSourceFormat } from '../core/spanSource';

/** Where receivers deliver what they decoded. */
export interface OtlpSinks {
  /** Spans, with the request body they were decoded from when there is one (the store's journal keeps it); resolves once they are stored (a large body is stored in steps). */
  spans(spans: Span[], source?: SpanSource): Promise<void>;
  logs(records: LogRecord[]): void;
  /** One metrics export request with this many data points. */
  metrics(dataPoints: number): void;
  /** Resolves when the sinks take what is delivered (after the store's journal replayed); undefined when they take it now. */
  whenWritable(): Promise<void> | undefined;
}

/** What one export request carried, decoded. */
export interface DecodedExport {
  rejections: Rejections;
  /** Items accepted. */
  accepted: number;
  /** Hands the accepted items to the sinks; resolves once they took them. */
  deliver(sinks: OtlpSinks): Promise<void>;
}

/** One OTLP signal. */
export interface OtlpSignal {
  /** The export request message, for messages (`ExportTraceServiceRequest`). */
  requestName: string;
  /** One item, for messages (`span`, `log record`). */
  item: string;
  /** Its plural. */
  items: string;
  /** Full method path of its gRPC `Export`. */
  grpcPath: string;
  /** Decodes an OTLP/JSON export body, in steps (see `core/steps.ts`): the receivers run it with `runInSteps`. */
  decodeJson(body: Uint8Array, limits: DecodeLimits): Generator<void, DecodedExport>;
  /** Decodes an OTLP protobuf export body, in steps. */
  decodeProto(body: Uint8Array, limits: DecodeLimits): Generator<void, DecodedExport>;
  /** The protobuf `Export…ServiceResponse`, with `partialSuccess` when items were rejected. */
  protoAnswer(rejected: number, errorMessage: string): Uint8Array;
  /** The OTLP/JSON `Export…ServiceResponse`. */
  jsonAnswer(rejected: number, errorMessage: string): Record<string, unknown>;
}

/** Decodes a trace export body in steps, through the one table the journal also replays it with. */
function* spansDecoded(format: SpanSourceFormat, body: Uint8Array, limits: DecodeLimits): Generator<void, DecodedExport> {
  const source: SpanSource = { format, bytes: body, receivedAtMs: Date.now() };
  const result = yield* decodeSpanSourceInSteps(source, limits);
  return { rejections: result, accepted: result.spans.length, deliver: (sinks) => sinks.spans(result.spans, source) };
}

/** A decoder that runs at once, as one step (metrics are only counted). */
function* atOnce(decoded: () => DecodedExport): Generator<void, DecodedExport> {
  return decoded();
}

/** Decodes a logs export body in steps. */
function* logsDecoded(steps: Generator<void, LogDecodeResult>): Generator<void, DecodedExport> {
  const result = yield* steps;
  return { rejections: result, accepted: result.records.length, deliver: async (sinks) => sinks.logs(result.records) };
}

function metricsDecoded(dataPoints: number): DecodedExport {
  return { rejections: { rejected: [] }, accepted: dataPoints, deliver: async (sinks) => sinks.metrics(dataPoints) };
}

/** `ExportTraceServiceRequest`: spans, stored. */
export const TRACES: OtlpSignal = {
  requestName: 'ExportTraceServiceRequest',
  item: 'span',
  items: 'spans',
  grpcPath: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  decodeJson: (body, limits) => spansDecoded('otlp-json', body, limits),
  decodeProto: (body, limits) => spansDecoded('otlp-protobuf', body, limits),
  protoAnswer: encodeExportResponseProto,
  jsonAnswer: (rejectedSpans, errorMessage) => (rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage } } : {}),
};

/** `ExportLogsServiceRequest`: log records, attached to their spans or kept per trace. */
export const LOGS: OtlpSignal = {
  requestName: 'ExportLogsServiceRequest',
  item: 'log record',
  items: 'log records',
  grpcPath: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  decodeJson: (body, limits) => logsDecoded(decodeOtlpLogsJsonBytesInSteps(body, limits)),
  decodeProto: (body, limits) => logsDecoded(decodeOtlpLogsProtoInSteps(body, limits)),
  protoAnswer: encodeLogsResponseProto,
  jsonAnswer: (rejectedLogRecords, errorMessage) => (rejectedLogRecords > 0 ? { partialSuccess: { rejectedLogRecords, errorMessage } } : {}),
};

/** `ExportMetricsServiceRequest`: counted, never rejected. */
export const METRICS: OtlpSignal = {
  requestName: 'ExportMetricsServiceRequest',
  item: 'data point',
  items: 'data points',
  grpcPath: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  decodeJson: (body) => atOnce(() => metricsDecoded(countMetricsJsonBytes(body))),
  decodeProto: (body) => atOnce(() => metricsDecoded(countMetricsProto(body))),
  protoAnswer: () => encodeMetricsResponseProto(),
  jsonAnswer: () => ({}),
};

/** Every signal, for the gRPC services. */
export const SIGNALS: readonly OtlpSignal[] = [TRACES, LOGS, METRICS];
