/**
 * OTLP/JSON decoding of `ExportLogsServiceRequest` (`/v1/logs`), with the
 * rules of the trace decoder: camelCase and snake_case field names, hex ids,
 * int64 as strings or numbers, enums as numbers or names. A malformed record
 * is rejected on its own; the rest of the request is kept.
 */

import { describe, parseJsonId, parseJsonInt64 } from '../encoding';
import { assembleLogRecord, severityNumberOf, type LogDecodeResult, type LogRecord } from '../logs/record';
import type { Attributes, InstrumentationScope } from '../model';
import { runToEnd } from '../steps';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, type DecodeLimits } from './common';
import { JsonValueDecoder, field, isObject, parseJsonBytesInSteps, readJsonExportInSteps, type JsonExportLayout, type JsonObject } from './json';

/** An id of no bytes but zeros, in hex or base64: OTLP's "no trace context", as an empty id is. */
const NO_CONTEXT_ID = /^(?:0*|A+=*)$/;

/** An optional id: null when absent, empty or all zeros. */
function optionalId(value: unknown, byteLength: 16 | 8): string | null | { error: string } {
  if (value === undefined || value === null || (typeof value === 'string' && NO_CONTEXT_ID.test(value))) return null;
  return parseJsonId(value, byteLength);
}

class JsonLogsDecoder extends JsonValueDecoder {
  logRecord(raw: unknown, resource: Attributes, scope: InstrumentationScope): LogRecord | string {
    if (!isObject(raw)) return `a log record must be an object, got ${describe(raw)}`;
    const traceId = optionalId(field(raw, 'traceId', 'trace_id'), 16);
    if (typeof traceId === 'object' && traceId !== null) return traceId.error;
    const spanId = optionalId(field(raw, 'spanId', 'span_id'), 8);
    if (typeof spanId === 'object' && spanId !== null) return spanId.error;
    const time = this.time(raw, 'timeUnixNano', 'time_unix_nano');
    if (typeof time === 'string') return time;
    const observed = this.time(raw, 'observedTimeUnixNano', 'observed_time_unix_nano');
    if (typeof observed === 'string') return observed;
    const severityText = field(raw, 'severityText', 'severity_text');
    if (severityText !== undefined && severityText !== null && typeof severityText !== 'string') return `severityText must be a string, got ${describe(severityText)}`;
    const eventName = field(raw, 'eventName', 'event_name');
    if (eventName !== undefined && eventName !== null && typeof eventName !== 'string') return `eventName must be a string, got ${describe(eventName)}`;
    const attributes: Attributes = {};
    const dropped = this.attributes(raw.attributes, attributes);
    if (typeof dropped === 'string') return dropped;
    const flags = raw.flags;
    return assembleLogRecord({
      traceId,
      spanId,
      timeUnixNano: time,
      observedTimeUnixNano: observed,
      severityNumber: severityNumberOf(field(raw, 'severityNumber', 'severity_number')),
      severityText: this.text(severityText ?? ''),
      eventName: this.text(eventName ?? ''),
      body: raw.body === undefined ? null : this.anyValue(raw.body, 0),
      attributes,
      droppedAttributesCount: dropped + Number(field(raw, 'droppedAttributesCount', 'dropped_attributes_count') ?? 0),
      flags: typeof flags === 'number' ? flags : 0,
      resource,
      scope,
    });
  }

  /** An optional time: 0 when absent, a problem when not an int64. */
  private time(raw: JsonObject, camel: string, snake: string): bigint | string {
    const value = field(raw, camel, snake);
    if (value === undefined || value === null) return 0n;
    return parseJsonInt64(value) ?? `${camel} must be a decimal string or number, got ${describe(value)}`;
  }
}

/** Where log records sit in an `ExportLogsServiceRequest`. */
const LOGS_LAYOUT: JsonExportLayout = {
  signal: 'logs',
  groups: ['resourceLogs', 'resource_logs'],
  otherSignals: ['resourceSpans', 'resource_spans', 'resourceMetrics', 'resource_metrics'],
  wrongSignal: 'this is an OTLP trace or metrics export; this endpoint takes logs (resourceLogs)',
  scopeGroups: [['scopeLogs', 'scope_logs']],
  scopes: ['scope'],
  items: ['logRecords', 'log_records'],
  itemsNoun: 'log records',
};

/**
 * Decodes a parsed OTLP/JSON `ExportLogsServiceRequest`. Throws
 * {@link MalformedPayloadError} only when the request as a whole is unusable.
 */
export function decodeOtlpLogsJson(body: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): LogDecodeResult {
  return runToEnd(decodeOtlpLogsJsonInSteps(body, limits));
}

/** {@link decodeOtlpLogsJson} in steps: pauses every {@link DECODE_STEP_SPANS} log records. */
export function* decodeOtlpLogsJsonInSteps(body: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, LogDecodeResult> {
  const result: LogDecodeResult = { records: [], rejected: [] };
  const decoder = new JsonLogsDecoder(limits);
  yield* readJsonExportInSteps(body, LOGS_LAYOUT, decoder, result, (raw, resource, scope) => {
    const record = decoder.logRecord(raw, resource, scope);
    if (typeof record === 'string') return record;
    result.records.push(record);
    return undefined;
  });
  return result;
}

/** Decodes an OTLP/JSON logs request body. */
export function decodeOtlpLogsJsonBytes(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): LogDecodeResult {
  return runToEnd(decodeOtlpLogsJsonBytesInSteps(bytes, limits));
}

/** {@link decodeOtlpLogsJsonBytes} in steps, with a pause after decoding the text and after `JSON.parse`. */
export function* decodeOtlpLogsJsonBytesInSteps(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, LogDecodeResult> {
  return yield* decodeOtlpLogsJsonInSteps(yield* parseJsonBytesInSteps(bytes), limits);
}
