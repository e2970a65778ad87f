/**
 * OTLP protobuf decoding of `ExportLogsServiceRequest` (HTTP
 * `application/x-protobuf` on `/v1/logs`, and gRPC `LogsService/Export`), and
 * the protobuf answer.
 */

import type { Attributes, InstrumentationScope } from '../model';
import { MalformedPayloadError, rejectedCount } from '../model';
import { assembleLogRecord, severityNumberOf, type LogDecodeResult, type LogRecord } from '../logs/record';
import { runToEnd } from '../steps';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, overSpanLimit, rejectSpan, spanLimitOf, type DecodeLimits } from './common';
import { FIXED32, FIXED64, LEN, ProtoMessageReader, VARINT, hex16, hex8, isWireFailure, isZero } from './protoWire';
import { OtlpTypes } from './schema';

/** The wire type and name of each `LogRecord` field. */
const LOG_RECORD_FIELDS: ReadonlyMap<number, { wireType: number; name: string }> = new Map([
  [1, { wireType: FIXED64, name: 'timeUnixNano' }],
  [2, { wireType: VARINT, name: 'severityNumber' }],
  [3, { wireType: LEN, name: 'severityText' }],
  [5, { wireType: LEN, name: 'body' }],
  [6, { wireType: LEN, name: 'attributes' }],
  [7, { wireType: VARINT, name: 'droppedAttributesCount' }],
  [8, { wireType: FIXED32, name: 'flags' }],
  [9, { wireType: LEN, name: 'traceId' }],
  [10, { wireType: LEN, name: 'spanId' }],
  [11, { wireType: FIXED64, name: 'observedTimeUnixNano' }],
  [12, { wireType: LEN, name: 'eventName' }],
]);

/** Said with every wrong-wire-type problem: the usual cause. */
const NOT_LOGS_HINT = 'is this a trace or metrics export sent to the logs path?';

/**
 * Walks an `ExportLogsServiceRequest` and builds log records as it reads,
 * within the {@link DecodeLimits}. A record with a field of the wrong wire
 * type is rejected, naming the field: log records have no required field, so
 * another signal's export would otherwise read as empty records.
 */
class ProtoLogsDecoder extends ProtoMessageReader {
  private recordBudget: number;
  /** Log records left to read before the next pause. */
  private untilPause = DECODE_STEP_SPANS;

  constructor(
    bytes: Uint8Array,
    limits: DecodeLimits,
    private readonly result: LogDecodeResult,
  ) {
    super(bytes, limits);
    this.recordBudget = spanLimitOf(limits);
  }

  /** Reads the request, pausing every {@link DECODE_STEP_SPANS} log records. */
  *request(): Generator<void, void> {
    const end = this.reader.len;
    let r = 0;
    for (let groupEnd = this.nextMessage(end, 1); groupEnd >= 0; groupEnd = this.nextMessage(end, 1)) yield* this.resourceLogs(groupEnd, r++);
  }

  private *resourceLogs(end: number, r: number): Generator<void, void> {
    const resource: Attributes = {};
    this.groupResource(end, resource);
    let s = 0;
    for (let scopeEnd = this.nextMessage(end, 2); scopeEnd >= 0; scopeEnd = this.nextMessage(end, 2)) yield* this.scopeLogs(scopeEnd, resource, r, s++);
  }

  private *scopeLogs(end: number, resource: Attributes, r: number, s: number): Generator<void, void> {
    const scope = this.groupScope(end);
    let index = 0;
    for (let recordEnd = this.nextMessage(end, 2); recordEnd >= 0; recordEnd = this.nextMessage(end, 2), index++) {
      if (--this.untilPause === 0) {
        this.untilPause = DECODE_STEP_SPANS;
        yield;
      }
      const path = () => `resourceLogs[${r}].scopeLogs[${s}].logRecords[${index}]`;
      if (this.recordBudget <= 0) {
        this.reader.pos = recordEnd;
        rejectSpan(this.result, path, overSpanLimit(this.limits, 'log records'));
        continue;
      }
      this.recordBudget--;
      const record = this.logRecord(recordEnd, resource, scope);
      if (typeof record === 'string') rejectSpan(this.result, path, record);
      else this.result.records.push(record);
    }
  }

  /** Reads one `LogRecord`; a string says why it is rejected. */
  private logRecord(end: number, resource: Attributes, scope: InstrumentationScope): LogRecord | string {
    const reader = this.reader;
    let time = 0n;
    let observed = 0n;
    let severityNumber = 0;
    let severityText = '';
    let eventName = '';
    let body: LogRecord['body'] = null;
    const attributes: Attributes = {};
    let kept = 0;
    let dropped = 0;
    let droppedBySender = 0;
    let flags = 0;
    let traceAt = -1;
    let traceLength = 0;
    let spanAt = -1;
    let spanLength = 0;
    let wrongField: string | undefined;
    while (reader.pos < end) {
      const tag = this.tag();
      const field = tag >>> 3;
      const wireType = tag & 7;
      const known = LOG_RECORD_FIELDS.get(field);
      if (known === undefined) {
        reader.skipType(wireType);
        continue;
      }
      if (known.wireType !== wireType) {
        this.wrongWireTypes++;
        wrongField ??= `field ${field} (${known.name}) has wire type ${wireType}, expected ${known.wireType}: ${NOT_LOGS_HINT}`;
        reader.skipType(wireType);
        continue;
      }
      switch (field) {
        case 1:
          time = this.fixed64();
          break;
        case 11:
          observed = this.fixed64();
          break;
        case 2:
          severityNumber = severityNumberOf(reader.int32());
          break;
        case 3:
          severityText = this.text(this.string());
          break;
        case 12:
          eventName = this.text(this.string());
          break;
        case 5:
          body = this.anyValue(this.subEnd(), 0);
          break;
        case 6: {
          const before = kept;
          kept = this.limitedAttribute(attributes, kept);
          if (kept === before) dropped++;
          break;
        }
        case 7:
          droppedBySender = reader.uint32();
          break;
        case 8:
          flags = reader.fixed32();
          break;
        case 9:
          traceAt = this.bytesAt();
          traceLength = reader.pos - traceAt;
          break;
        case 10:
          spanAt = this.bytesAt();
          spanLength = reader.pos - spanAt;
          break;
      }
    }
    this.ended(end);
    if (wrongField !== undefined) return wrongField;
    const traceId = this.optionalId(traceAt, traceLength, 16);
    if (typeof traceId === 'object' && traceId !== null) return traceId.problem;
    const spanId = this.optionalId(spanAt, spanLength, 8);
    if (typeof spanId === 'object' && spanId !== null) return spanId.problem;
    return assembleLogRecord({
      traceId,
      spanId,
      timeUnixNano: time,
      observedTimeUnixNano: observed,
      severityNumber,
      severityText,
      eventName,
      body,
      attributes,
      droppedAttributesCount: dropped + droppedBySender,
      flags,
      resource,
      scope,
    });
  }

  /** An optional id: null when absent, empty or all zeros (OTLP's "no trace context"), its hex when well formed. */
  private optionalId(at: number, length: number, byteLength: 8 | 16): string | null | { problem: string } {
    if (at < 0 || length === 0 || isZero(this.buf, at, length)) return null;
    if (length !== byteLength) return { problem: `${byteLength === 16 ? 'trace id' : 'span id'} must be ${byteLength} bytes, got ${length}` };
    return byteLength === 16 ? hex16(this.buf, at) : hex8(this.buf, at);
  }
}

/**
 * Decodes an OTLP protobuf `ExportLogsServiceRequest`, within `limits`.
 * Throws {@link MalformedPayloadError} when the bytes are not one.
 */
export function decodeOtlpLogsProto(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): LogDecodeResult {
  return runToEnd(decodeOtlpLogsProtoInSteps(bytes, limits));
}

/** {@link decodeOtlpLogsProto} in steps: pauses every {@link DECODE_STEP_SPANS} log records (the bytes must not change meanwhile). */
export function* decodeOtlpLogsProtoInSteps(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, LogDecodeResult> {
  const result: LogDecodeResult = { records: [], rejected: [] };
  const decoder = new ProtoLogsDecoder(bytes, limits, result);
  try {
    yield* decoder.request();
  } catch (error) {
    if (isWireFailure(error)) {
      const hint = decoder.wrongWireTypes > 0 ? ` (${decoder.wrongWireTypes} fields have the wrong wire type for a logs export: ${NOT_LOGS_HINT})` : '';
      throw new MalformedPayloadError(`invalid OTLP protobuf: ${error.message}${hint}`);
    }
    throw error;
  }
  if (result.records.length === 0 && rejectedCount(result) === 0 && decoder.wrongWireTypes > 0) {
    throw new MalformedPayloadError(`not an OTLP logs export: no log record could be read (${decoder.wrongWireTypes} fields have the wrong wire type: ${NOT_LOGS_HINT})`);
  }
  return result;
}

/** Protobuf `ExportLogsServiceResponse`, with `partialSuccess` when records were rejected. */
export function encodeLogsResponseProto(rejectedLogRecords: number, errorMessage: string): Uint8Array {
  const message = rejectedLogRecords > 0 || errorMessage ? { partialSuccess: { rejectedLogRecords, errorMessage } } : {};
  return OtlpTypes.ExportLogsServiceResponse.encode(OtlpTypes.ExportLogsServiceResponse.create(message)).finish();
}

/** Decodes a protobuf `ExportLogsServiceResponse` (for tests). */
export function decodeLogsResponseProto(bytes: Uint8Array): { rejectedLogRecords: number; errorMessage: string } {
  const decoded = OtlpTypes.ExportLogsServiceResponse.toObject(OtlpTypes.ExportLogsServiceResponse.decode(bytes), { longs: Number }) as {
    partialSuccess?: { rejectedLogRecords?: number; errorMessage?: string };
  };
  return { rejectedLogRecords: decoded.partialSuccess?.rejectedLogRecords ?? 0, errorMessage: decoded.partialSuccess?.errorMessage ?? '' };
}

