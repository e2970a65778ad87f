/**
 * OTLP metrics (`/v1/metrics`, gRPC `MetricsService/Export`): the inspector
 * shows no metrics, but apps export them alongside traces, and an unanswered
 * export is an error in the app's log. So requests are checked to be metrics
 * exports, their data points counted, and answered with success.
 */

import { describe } from '../encoding';
import { MalformedPayloadError } from '../model';
import { decodeUtf8 } from '../utf8';
import { field, isObject, parseJsonText } from './json';
import { LEN, ProtoMessageReader, isWireFailure } from './protoWire';
import { DEFAULT_DECODE_LIMITS } from './common';
import { OtlpTypes } from './schema';

/** `Metric` fields holding a data kind (gauge, sum, histogram, exponential histogram, summary), each with `dataPoints` as field 1. */
const DATA_FIELDS: ReadonlySet<number> = new Set([5, 7, 9, 10, 11]);

/** Said with every wrong-wire-type problem: the usual cause. */
const NOT_METRICS_HINT = 'is this a trace or logs export sent to the metrics path?';

/** Walks an `ExportMetricsServiceRequest` down to the data points, counting them; any field of the wrong wire type is an error. */
class ProtoMetricsCounter extends ProtoMessageReader {
  dataPoints = 0;

  /** Reads the repeated message field `wanted` of the message ending at `end`, calling `each` on every item. */
  private items(end: number, wanted: ReadonlySet<number> | number, each: (itemEnd: number) => void): void {
    const reader = this.reader;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (typeof wanted === 'number' ? field === wanted : wanted.has(field)) {
        if (wireType !== LEN) throw new MalformedPayloadError(`not an OTLP metrics export: field ${field} has wire type ${wireType}, expected ${LEN} (${NOT_METRICS_HINT})`);
        const itemEnd = this.subEnd();
        each(itemEnd);
        reader.pos = itemEnd;
        continue;
      }
      reader.skipType(wireType);
    }
    this.ended(end);
  }

  request(): void {
    this.items(this.reader.len, 1, (resourceEnd) =>
      this.items(resourceEnd, 2, (scopeEnd) =>
        this.items(scopeEnd, 2, (metricEnd) =>
          this.items(metricEnd, DATA_FIELDS, (dataEnd) =>
            this.items(dataEnd, 1, () => {
              this.dataPoints++;
            }),
          ),
        ),
      ),
    );
  }
}

/** The data points of an OTLP protobuf `ExportMetricsServiceRequest`; throws {@link MalformedPayloadError} when the bytes are not one. */
export function countMetricsProto(bytes: Uint8Array): number {
  const counter = new ProtoMetricsCounter(bytes, DEFAULT_DECODE_LIMITS);
  try {
    counter.request();
  } catch (error) {
    if (isWireFailure(error)) throw new MalformedPayloadError(`invalid OTLP protobuf: ${error.message} (${NOT_METRICS_HINT})`);
    throw error;
  }
  return counter.dataPoints;
}

/** The data kinds of a JSON `Metric`, by their camelCase and snake_case names. */
const DATA_KINDS = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
] as const;

/** Items of an optional JSON array field; a non-array is an error naming the field. */
function listOf(object: Record<string, unknown>, camel: string, snake: string): unknown[] {
  const value = field(object, camel, snake);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MalformedPayloadError(`${camel} must be an array, got ${describe(value)}`);
  return value;
}

/** The data points of a parsed OTLP/JSON `ExportMetricsServiceRequest`; throws {@link MalformedPayloadError} when it is not one. */
export function countMetricsJson(body: unknown): number {
  if (!isObject(body)) throw new MalformedPayloadError(`an OTLP metrics export must be a JSON object, got ${describe(body)}`);
  if (field(body, 'resourceMetrics', 'resource_metrics') === undefined && ('resourceSpans' in body || 'resource_spans' in body || 'resourceLogs' in body || 'resource_logs' in body)) {
    throw new MalformedPayloadError('this is an OTLP trace or logs export; this endpoint takes metrics (resourceMetrics)');
  }
  let dataPoints = 0;
  for (const resource of listOf(body, 'resourceMetrics', 'resource_metrics')) {
    if (!isObject(resource)) continue;
    for (const scope of listOf(resource, 'scopeMetrics', 'scope_metrics')) {
      if (!isObject(scope)) continue;
      for (const metric of listOf(scope, 'metrics', 'metrics')) {
        if (!isObject(metric)) continue;
        for (const [camel, snake] of DATA_KINDS) {
          const data = field(metric, camel, snake);
          if (isObject(data)) dataPoints += listOf(data, 'dataPoints', 'data_points').length;
        }
      }
    }
  }
  return dataPoints;
}

/** Decodes an OTLP/JSON metrics request body and counts its data points. */
export function countMetricsJsonBytes(bytes: Uint8Array): number {
  return countMetricsJson(parseJsonText(decodeUtf8(bytes)));
}

/** Protobuf `ExportMetricsServiceResponse`: full success. */
export function encodeMetricsResponseProto(): Uint8Array {
  return OtlpTypes.ExportMetricsServiceResponse.encode(OtlpTypes.ExportMetricsServiceResponse.create({})).finish();
}
